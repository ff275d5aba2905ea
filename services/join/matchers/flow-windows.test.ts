import { describe, expect, it } from 'vitest';
import { buildFlowSeries } from './flow-series.ts';
import { T0, flowRecord } from './flow-record.fixture.ts';
import { project, recordWindows } from './flow-windows.ts';

const rec = flowRecord;

describe('recordWindows / project', () => {
  it('cuts silences into record-length empty windows and conserves projected traffic', () => {
    const [s] = buildFlowSeries([rec(0, 2_000, 100), rec(2_000, 4_000, 50), rec(10_000, 12_000, 30), rec(12_000, 12_000, 7, 'END_OF_FLOW')], 120_000);
    const w = recordWindows(s!, 1_000);
    expect(Array.from(w.start, (t) => t - T0)).toEqual([0, 2_000, 4_000, 6_000, 8_000, 10_000]);
    expect(Array.from(w.octets)).toEqual([100, 50, 0, 0, 0, 37]);
    const octets = new Float64Array(w.length);
    const packets = new Float64Array(w.length);
    project(s!, 1_000, w, octets, packets); // shifted by 1 s: half of each record moves on
    expect(Array.from(octets)).toEqual([50, 75, 25, 0, 0, 15]);
  });
});

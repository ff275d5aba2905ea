import { describe, expect, it } from 'vitest';
import type { FlowEndReason } from '../../../schemas/types.gen.ts';
import type { IndexedEvent } from '../../common/join-types.ts';
import { buildFlowSeries } from './flow-series.ts';
import { project, recordWindows } from './flow-windows.ts';

const T0 = 1_760_000_000_000;
let seq = 0;
function rec(start: number, end: number, octets: number, endReason: FlowEndReason = 'ACTIVE_TIMEOUT'): IndexedEvent {
  return {
    kind: 'flow',
    dir: 'in',
    producedAt: T0 + end + 100,
    ev: {
      eventId: `e${seq++}`, exporterId: 'x1', exportTime: T0 + end, srcAddr: '198.51.100.1', srcPort: 40000,
      dstAddr: '192.0.2.10', dstPort: 22, protocol: 6, startTime: T0 + start, endTime: T0 + end, octets, packets: 1,
      postNatSrcAddr: null, postNatSrcPort: null, endReason, jurisdiction: 'NL', providerId: 'p1', clockOffsetMs: 0,
    },
  };
}

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

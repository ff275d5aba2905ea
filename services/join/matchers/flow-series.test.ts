import { describe, expect, it } from 'vitest';
import { buildFlowSeries } from './flow-series.ts';
import { T0, flowRecord } from './flow-record.fixture.ts';

const rec = flowRecord;

describe('buildFlowSeries', () => {
  it('chains interval records into one flow and ends it at the final record', () => {
    const [s, ...rest] = buildFlowSeries([rec(0, 5_000, 10), rec(5_000, 10_000, 20), rec(10_000, 12_000, 5, 'END_OF_FLOW')], 120_000);
    expect(rest).toEqual([]);
    expect(s).toMatchObject({ start: T0, end: T0 + 12_000, final: true, typicalIntervalMs: 5_000, jurisdiction: 'NL', providerId: 'p1' });
    expect(s!.intervals.map((i) => i.octets)).toEqual([10, 20, 5]);
  });

  it('accepts records that keep the flow start as startTime (cumulative-start exporters)', () => {
    const [s] = buildFlowSeries([rec(0, 5_000, 10), rec(0, 10_000, 20), rec(0, 12_000, 5, 'IDLE_TIMEOUT')], 120_000);
    expect(s!.intervals.map((i) => [i.start - T0, i.end - T0])).toEqual([[0, 5_000], [5_000, 10_000], [10_000, 12_000]]);
  });

  it('joins pieces split by an idle timeout, splits at END_OF_FLOW and after flowGapMs', () => {
    const events = [
      rec(0, 5_000, 1), rec(5_000, 6_000, 1, 'IDLE_TIMEOUT'), // pause of 30 s: same connection
      rec(36_000, 40_000, 1, 'END_OF_FLOW'), // closed
      rec(41_000, 45_000, 1), // port reuse: new flow
      rec(300_000, 301_000, 1, 'END_OF_FLOW'), // after a lost final record and a long gap
    ];
    const series = buildFlowSeries(events, 120_000);
    expect(series.map((s) => [s.start - T0, s.end - T0, s.final])).toEqual([[0, 40_000, true], [41_000, 45_000, false], [300_000, 301_000, true]]);
  });

  it('keeps exporters, directions and 5-tuples apart', () => {
    const series = buildFlowSeries(
      [rec(0, 1_000, 1), rec(0, 1_000, 1, 'ACTIVE_TIMEOUT', { exporterId: 'x2' }), rec(0, 1_000, 1, 'ACTIVE_TIMEOUT', { srcPort: 40001 }), rec(0, 1_000, 1, 'ACTIVE_TIMEOUT', { srcPort: null })],
      120_000,
    );
    expect(series).toHaveLength(4);
    expect(new Set(series.map((s) => s.key)).size).toBe(4);
  });

  it('ignores duplicates by eventId and does not depend on input order', () => {
    const events = [rec(0, 5_000, 10), rec(5_000, 10_000, 20), rec(10_000, 12_000, 5, 'END_OF_FLOW')];
    const expected = buildFlowSeries(events, 120_000);
    const noisy = [events[2]!, structuredClone(events[0]!), events[1]!, events[0]!, structuredClone(events[2]!)];
    expect(buildFlowSeries(noisy, 120_000)).toEqual(expected);
  });
});

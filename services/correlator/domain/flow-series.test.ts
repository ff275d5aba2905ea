import { describe, expect, it } from 'vitest';
import type { FlowEndReason, FlowEvent } from '../../../schemas/types.gen.ts';
import type { IndexedEvent } from '../../common/join-types.ts';
import { buildFlowSeries } from './flow-series.ts';

const T0 = 1_760_000_000_000;
let seq = 0;
function rec(start: number, end: number, octets: number, endReason: FlowEndReason = 'ACTIVE_TIMEOUT', over: Partial<FlowEvent> = {}): IndexedEvent {
  return {
    kind: 'flow',
    dir: 'in',
    producedAt: T0 + end + 100,
    ev: {
      eventId: `e${seq++}`, exporterId: 'x1', exportTime: T0 + end, srcAddr: '198.51.100.1', srcPort: 40000,
      dstAddr: '192.0.2.10', dstPort: 22, protocol: 6, startTime: T0 + start, endTime: T0 + end, octets, packets: 1,
      postNatSrcAddr: null, postNatSrcPort: null, endReason, jurisdiction: 'NL', providerId: 'p1', clockOffsetMs: 0, ...over,
    },
  };
}

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

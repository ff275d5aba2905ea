import { describe, expect, it } from 'vitest';
import { keyPartition } from '../common/kafkajs-patch.ts';
import { FLOW_MARK_HEADER, FLOW_MARK_TIME_HEADER, flowMarkOf } from '../join/flow-watermark.ts';
import { createFlowMarker } from './flow-marker.ts';

/** Keys whose partitions (of `parts`) are exactly `want`, one each. */
function keysFor(want: number[], parts: number): string[] {
  return want.map((p) => { for (let i = 0; ; i++) if (keyPartition(`k${i}`, parts) === p) return `k${i}`; });
}
const read = (ms: ReturnType<ReturnType<ReturnType<typeof createFlowMarker>['batch']>['marks']>) =>
  ms.map((m) => ({ ...flowMarkOf({ partition: m.partition, value: m.value, headers: m.headers })!, key: m.key }));

describe('ingest flow marks', () => {
  it('marks every partition an exporter\'s batch did not reach, at its latest export time less the lag', () => {
    const marker = createFlowMarker({ lagMs: 60_000, everyMs: 1000 });
    const b = marker.batch(6);
    const [k1, k4] = keysFor([1, 4], 6);
    b.see('fr-flow-1', 1_000_000, [{ key: k1! }]);
    b.see('fr-flow-1', 1_005_000, [{ key: k4! }]); // the later export time counts
    b.see('fr-flow-1', 1_002_000, [{ key: k1! }, { key: k4! }]);
    expect(read(b.marks(50_000))).toEqual([0, 2, 3, 5].map((partition) => ({ exporterId: 'fr-flow-1', partition, exportTime: 945_000, key: null })));
  });

  it('sends none for an exporter whose records reached every partition, or with one partition', () => {
    const marker = createFlowMarker({ lagMs: 0, everyMs: 0 });
    const b = marker.batch(3);
    for (const k of keysFor([0, 1, 2], 3)) b.see('busy', 10, [{ key: k }]);
    const [k0] = keysFor([0], 3);
    b.see('quiet', 20, [{ key: k0! }]);
    expect(read(b.marks(1)).map((m) => [m.exporterId, m.partition])).toEqual([['quiet', 1], ['quiet', 2]]);
    const one = marker.batch(1);
    expect(one.active).toBe(false);
    one.see('quiet', 30, [{ key: 'k0' }]);
    expect(one.marks(2)).toEqual([]);
  });

  it('marks an exporter at most once per interval, each exporter on its own clock', () => {
    const marker = createFlowMarker({ lagMs: 0, everyMs: 1000 });
    const [k0] = keysFor([0], 2);
    const round = (now: number, ...exporters: string[]) => {
      const b = marker.batch(2);
      for (const e of exporters) b.see(e, now, [{ key: k0! }]);
      return b.marks(now).map((m) => `${m.headers[FLOW_MARK_HEADER]}@${m.headers[FLOW_MARK_TIME_HEADER]}`);
    };
    expect(round(10_000, 'a')).toEqual(['a@10000']);
    expect(round(10_500, 'a', 'b')).toEqual(['b@10500']); // a marked 500 ms ago
    expect(round(11_000, 'a', 'b')).toEqual(['a@11000']); // b marked 500 ms ago
    expect(round(11_600, 'a', 'b')).toEqual(['b@11600']);
  });

  it('counts a flow with no window key (neither address its provider\'s) for its exporter\'s time', () => {
    const marker = createFlowMarker({ lagMs: 1000, everyMs: 1000 });
    const only = marker.batch(3);
    only.see('transit', 50_000, []); // a batch of such flows only: every partition is marked
    expect(read(only.marks(10_000)).map((m) => [m.partition, m.exportTime])).toEqual([[0, 49_000], [1, 49_000], [2, 49_000]]);
    const mixed = createFlowMarker({ lagMs: 1000, everyMs: 1000 }).batch(3);
    const [k2] = keysFor([2], 3);
    mixed.see('transit', 40_000, [{ key: k2! }]);
    mixed.see('transit', 60_000, []); // the later export time is the keyless flow's
    expect(read(mixed.marks(10_000)).map((m) => [m.partition, m.exportTime])).toEqual([[0, 59_000], [1, 59_000]]);
  });
});

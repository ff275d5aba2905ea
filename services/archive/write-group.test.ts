import { describe, expect, it } from 'vitest';
import type { FlowRow, SessionRecordRow } from './domain/archive-rows.ts';
import type { HistoryBatch, WriteResult } from './history-writer.ts';
import { createWriteGroup } from './write-group.ts';

const batch = (flows: number, sessions = 0): HistoryBatch => ({
  flows: Array.from({ length: flows }, () => ({}) as FlowRow), sessions: Array.from({ length: sessions }, () => ({}) as SessionRecordRow), intervals: [],
});
const ok = (b: HistoryBatch): PromiseSettledResult<WriteResult> => ({ status: 'fulfilled', value: { flowsNew: b.flows.length, sessionsNew: b.sessions.length, intervals: 0 } });

/** A writeMany that records each call's batch sizes and settles when told to. */
function fakeWriter(outcome: (b: HistoryBatch) => PromiseSettledResult<WriteResult> = ok) {
  const calls: number[][] = [];
  const gates: (() => void)[] = [];
  return {
    calls, open: () => { for (const g of gates.splice(0)) g(); },
    writeMany: async (bs: readonly HistoryBatch[]) => {
      calls.push(bs.map((b) => b.flows.length + b.sessions.length));
      await new Promise<void>((r) => gates.push(r));
      return bs.map(outcome);
    },
  };
}
const turn = () => new Promise((r) => setImmediate(r));

describe('write group (group commit)', () => {
  it('writes the batches handed in in one turn in one transaction; each caller gets its own result', async () => {
    const w = fakeWriter();
    const g = createWriteGroup({ writeMany: w.writeMany, maxRows: 100, inFlight: 1 });
    const done = [g.write(batch(3)), g.write(batch(0, 2)), g.write(batch(5))];
    await turn();
    w.open();
    expect(await Promise.all(done)).toEqual([{ flowsNew: 3, sessionsNew: 0, intervals: 0 }, { flowsNew: 0, sessionsNew: 2, intervals: 0 }, { flowsNew: 5, sessionsNew: 0, intervals: 0 }]);
    expect(w.calls).toEqual([[3, 2, 5]]);
  });
  it('what comes while a transaction is under way goes together in the next one, up to maxRows', async () => {
    const w = fakeWriter();
    const g = createWriteGroup({ writeMany: w.writeMany, maxRows: 10, inFlight: 1 });
    const first = g.write(batch(4));
    await turn();
    const later = [g.write(batch(4)), g.write(batch(4)), g.write(batch(4)), g.write(batch(20))];
    await turn();
    expect(w.calls).toEqual([[4]]);
    for (let i = 0; i < 4; i++) { w.open(); await turn(); await turn(); }
    await Promise.all([first, ...later]);
    expect(w.calls).toEqual([[4], [4, 4], [4], [20]]);
  });
  it('a batch that fails fails alone; a transaction that fails fails each of its batches', async () => {
    const w = fakeWriter((b) => (b.flows.length === 2 ? { status: 'rejected', reason: new Error('refused') } : ok(b)));
    const g = createWriteGroup({ writeMany: w.writeMany, maxRows: 100, inFlight: 1 });
    const [a, b] = [g.write(batch(1)), g.write(batch(2))];
    await turn();
    w.open();
    await expect(a).resolves.toMatchObject({ flowsNew: 1 });
    await expect(b).rejects.toThrow('refused');
    const down = createWriteGroup({ writeMany: () => Promise.reject(new Error('connection refused')), maxRows: 100, inFlight: 1 });
    await expect(Promise.all([down.write(batch(1)), down.write(batch(1))])).rejects.toThrow('connection refused');
  });
});

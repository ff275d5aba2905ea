import { describe, expect, it } from 'vitest';
import { runBatch, type BatchRunOptions } from './batch-runner.ts';
import { dependencyDown, permanent, type CrosstraceError } from './errors.ts';

function harness(handle: (ms: number[]) => Promise<void>, over: Partial<BatchRunOptions<number>> = {}) {
  const dead: [number, string][] = [];
  const retries: string[] = [];
  const opts: BatchRunOptions<number> = {
    handle, deadLetter: async (m, e) => { dead.push([m, e.code]); }, onRetry: (e) => { retries.push(e.code); },
    shouldStop: () => false, sleep: async () => undefined, ...over,
  };
  return { dead, retries, opts };
}

describe('runBatch', () => {
  it('retries a batch while a dependency is down, dead-letters nothing, then processes it', async () => {
    let calls = 0;
    const h = harness(async () => { if (++calls < 4) throw dependencyDown('redis down', null); });
    expect(await runBatch([1, 2, 3], h.opts)).toEqual({ deadLettered: 0, isolated: false });
    expect(h.retries).toEqual(['CT_DEPENDENCY_DOWN', 'CT_DEPENDENCY_DOWN', 'CT_DEPENDENCY_DOWN']);
    expect(h.dead).toEqual([]);
  });

  it('a record that throws (even a plain TypeError) is dead-lettered with its reason; the rest of the batch is processed in order', async () => {
    const done: number[] = [];
    const h = harness(async (ms) => {
      for (const m of ms) if (m === 2) throw new TypeError('cannot read properties of undefined'); else if (m === 4) throw permanent('CT_INVALID_ADDRESS', 'bad addr');
      done.push(...ms);
    });
    expect(await runBatch([1, 2, 3, 4, 5], h.opts)).toEqual({ deadLettered: 2, isolated: true });
    expect(h.dead).toEqual([[2, 'CT_PROCESSING_FAILED'], [4, 'CT_INVALID_ADDRESS']]);
    expect(done).toEqual([1, 3, 5]);
  });

  it('a dead letter that cannot be written now is retried, not dropped', async () => {
    let fails = 2;
    const written: number[] = [];
    const h = harness(async () => { throw permanent('CT_BAD_MAGIC', 'x'); }, {
      deadLetter: async (m: number, _e: CrosstraceError) => { if (fails-- > 0) throw Object.assign(new Error('broker gone'), { name: 'KafkaJSConnectionError' }); written.push(m); },
    });
    await runBatch([9], h.opts);
    expect(written).toEqual([9]);
    expect(h.retries).toEqual(['CT_DEPENDENCY_DOWN', 'CT_DEPENDENCY_DOWN']);
  });

  it('stops retrying when told to, rethrowing (nothing committed)', async () => {
    let stop = false;
    const h = harness(async () => { stop = true; throw dependencyDown('kafka down', null); }, { shouldStop: () => stop });
    await expect(runBatch([1], h.opts)).rejects.toMatchObject({ code: 'CT_DEPENDENCY_DOWN' });
  });

  it('a heartbeat that fails while waiting (a rebalance) ends the run as it is: nothing dead-lettered', async () => {
    const rebalancing = Object.assign(new Error('The group is rebalancing'), { name: 'KafkaJSProtocolError', retriable: false });
    const h = harness(async () => { throw dependencyDown('redis down', null); }, { onRetry: () => { throw rebalancing; } });
    await expect(runBatch([1, 2], h.opts)).rejects.toBe(rebalancing);
    expect(h.dead).toEqual([]);
  });

  it('backs off doubling up to the bound', async () => {
    const delays: number[] = [];
    let calls = 0;
    const h = harness(async () => { if (++calls < 8) throw dependencyDown('down', null); }, { onRetry: (_e, d) => { delays.push(d); }, initialBackoffMs: 100, maxBackoffMs: 1000 });
    await runBatch([1], h.opts);
    expect(delays).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
  });
});

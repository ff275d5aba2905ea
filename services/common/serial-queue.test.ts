import { describe, expect, it } from 'vitest';
import { createSerialQueue } from './serial-queue.ts';

const tick = () => new Promise((r) => setTimeout(r, 1));

describe('serial queue', () => {
  it('runs one function at a time per key, in order, and keys side by side', async () => {
    const q = createSerialQueue();
    const log: string[] = [];
    const job = (name: string, fail = false) => async () => { log.push(`${name}>`); await tick(); log.push(`<${name}`); if (fail) throw new Error(name); return name; };
    const runs = [q('a', job('a1')), q('a', job('a2', true)), q('b', job('b1')), q('a', job('a3'))];
    const results = await Promise.allSettled(runs);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual(['a1', 'a2', 'b1', 'a3']);
    const a = log.filter((x) => x.includes('a'));
    expect(a).toEqual(['a1>', '<a1', 'a2>', '<a2', 'a3>', '<a3']); // a failure does not stop the queue
    expect(log.indexOf('b1>')).toBeLessThan(log.indexOf('<a1')); // b did not wait for a
    await tick();
    expect(q.busyKeys()).toBe(0);
  });
});

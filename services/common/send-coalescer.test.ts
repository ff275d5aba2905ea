import { describe, expect, it } from 'vitest';
import type { OutTopicMessages } from './kafka.ts';
import { coalesceSends } from './send-coalescer.ts';

const m = (v: string) => ({ key: null, value: Buffer.from(v) });

/** A producer whose requests complete when the test says so. */
function broker() {
  const requests: { topicMessages: OutTopicMessages[]; done(e?: Error): void }[] = [];
  return {
    requests,
    sendBatch: ({ topicMessages }: { topicMessages: OutTopicMessages[] }) => new Promise<void>((resolve, reject) => {
      requests.push({ topicMessages, done: (e) => (e ? reject(e) : resolve()) });
    }),
  };
}
const flush = () => new Promise((r) => setImmediate(r));
const shape = (t: OutTopicMessages[]) => t.map((x) => [x.topic, x.messages.map((y) => y.value!.toString())]);

describe('coalesceSends (one produce request in flight per stage)', () => {
  it('sends a call at once when nothing is in flight, and merges the calls made meanwhile into the next request, in order', async () => {
    const b = broker();
    const s = coalesceSends(b);
    const settled: string[] = [];
    const a = s.sendBatch({ topicMessages: [{ topic: 'x', messages: [m('a1')] }] }).then(() => settled.push('a'));
    const c = s.sendBatch({ topicMessages: [{ topic: 'y', messages: [m('c1')] }, { topic: 'x', messages: [m('c2')] }] }).then(() => settled.push('c'));
    const d = s.sendBatch({ topicMessages: [{ topic: 'x', messages: [m('d1'), m('d2')] }] }).then(() => settled.push('d'));
    await flush();
    expect(b.requests.map((r) => shape(r.topicMessages))).toEqual([[['x', ['a1']]]]);
    b.requests[0]!.done();
    await a;
    await flush();
    expect(settled).toEqual(['a']); // c and d wait for the request they went in
    expect(b.requests.map((r) => shape(r.topicMessages))).toEqual([[['x', ['a1']]], [['y', ['c1']], ['x', ['c2', 'd1', 'd2']]]]);
    b.requests[1]!.done();
    await Promise.all([c, d]);
    expect(settled).toEqual(['a', 'c', 'd']);
    expect(s.requests()).toBe(2);
  });

  it('keeps each request within maxBytes; a call larger than it goes alone', async () => {
    const b = broker();
    const s = coalesceSends(b, 300); // each one-byte message counts 65 bytes
    const calls = [1, 2, 2, 6, 1].map((n, i) => s.sendBatch({ topicMessages: [{ topic: 't', messages: Array.from({ length: n }, (_, j) => m(`${i}.${j}`)) }] }));
    for (let i = 0; i < 4; i++) { await flush(); b.requests[i]!.done(); }
    await Promise.all(calls);
    expect(b.requests.map((r) => r.topicMessages[0]!.messages.length)).toEqual([1, 4, 6, 1]);
  });

  it('rejects every call of a failed request and goes on with the next', async () => {
    const b = broker();
    const s = coalesceSends(b);
    const first = s.sendBatch({ topicMessages: [{ topic: 't', messages: [m('1')] }] });
    const second = s.sendBatch({ topicMessages: [{ topic: 't', messages: [m('2')] }] });
    const third = s.sendBatch({ topicMessages: [{ topic: 't', messages: [m('3')] }] });
    await flush();
    b.requests[0]!.done();
    await first;
    await flush();
    b.requests[1]!.done(new Error('broker down'));
    await expect(second).rejects.toThrow('broker down');
    await expect(third).rejects.toThrow('broker down');
    const fourth = s.sendBatch({ topicMessages: [{ topic: 't', messages: [m('4')] }] });
    await flush();
    expect(b.requests).toHaveLength(3);
    b.requests[2]!.done();
    await fourth;
  });

  it('rejects the caller when the producer throws at once', async () => {
    const s = coalesceSends({ sendBatch: () => { throw new Error('not connected'); } });
    await expect(s.sendBatch({ topicMessages: [{ topic: 't', messages: [m('1')] }] })).rejects.toThrow('not connected');
  });
});

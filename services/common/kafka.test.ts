import type { Producer } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { sendChunked } from './kafka.ts';

describe('sendChunked', () => {
  it('splits produce requests below the size limit and keeps the order within each topic', async () => {
    const calls: { topic: string; n: number[] }[][] = [];
    const producer = { sendBatch: async ({ topicMessages }: { topicMessages: { topic: string; messages: { value: Buffer }[] }[] }) => {
      calls.push(topicMessages.map((t) => ({ topic: t.topic, n: t.messages.map((m) => m.value.readUInt32BE(0)) })));
      return [];
    } } as unknown as Producer;
    const msg = (i: number) => { const v = Buffer.alloc(100_000); v.writeUInt32BE(i, 0); return { key: 'k', value: v }; };
    await sendChunked(producer, [{ topic: 'a', messages: [0, 1, 2, 3, 4, 5, 6].map(msg) }, { topic: 'b', messages: [7, 8].map(msg) }], 250_000);
    expect(calls.map((c) => c.map((t) => `${t.topic}:${t.n.join(',')}`).join(' '))).toEqual(['a:0,1', 'a:2,3', 'a:4,5', 'a:6 b:7', 'b:8']);
    await sendChunked(producer, [{ topic: 'a', messages: [] }]);
    expect(calls).toHaveLength(5); // nothing to send, no request
  });
});

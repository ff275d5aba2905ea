import { describe, expect, it } from 'vitest';
import { createLogger } from '../common/logger.ts';
import { createRecordSink } from './record-sink.ts';

type Batch = { topicMessages: { topic: string; messages: { key: unknown; value: Buffer | null }[] }[] };

function producer(failFirst = 0) {
  const sent: Batch[] = [];
  let fails = failFirst;
  return {
    sent,
    sendBatch: async (b: Batch) => {
      await new Promise((r) => setTimeout(r, 1));
      if (fails-- > 0) throw new Error('broker not available');
      sent.push(b);
      return [];
    },
  };
}
const registry = { encode: (_t: string, v: unknown) => Buffer.from(JSON.stringify(v)) };
const logger = createLogger('test', 'silent');

describe('record sink', () => {
  it('acknowledges a record only after Kafka took it, in batches of at most batchRecords', async () => {
    const p = producer();
    const sink = createRecordSink({ producer: p as never, registry, logger, batchRecords: 3, lingerMs: 5, maxQueued: 100, maxInFlight: 1 });
    const acked: number[] = [];
    for (let i = 0; i < 7; i++) sink.addEvent('flows.raw', 'k', { i }, () => acked.push(i));
    expect(acked).toEqual([]);
    await sink.drain();
    expect(acked.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(p.sent.map((b) => b.topicMessages.reduce((n, t) => n + t.messages.length, 0))).toEqual([3, 3, 1]);
  });

  it('keeps a failed batch and produces it again (an outage loses nothing it holds), unhealthy meanwhile', async () => {
    const p = producer(2);
    const sink = createRecordSink({ producer: p as never, registry, logger, batchRecords: 10, lingerMs: 1, maxQueued: 100 });
    let acked = 0;
    for (let i = 0; i < 5; i++) sink.addEvent('sessions.raw', 'k', { i }, () => { acked++; });
    await new Promise((r) => setTimeout(r, 30));
    expect(sink.healthy()).toBe(false);
    await sink.drain(5000);
    expect(acked).toBe(5);
    expect(sink.healthy()).toBe(true);
    expect(p.sent.flatMap((b) => b.topicMessages.flatMap((t) => t.messages))).toHaveLength(5);
  });

  it('refuses records beyond maxQueued (the caller counts the drop)', () => {
    const sink = createRecordSink({ producer: producer() as never, registry, logger, batchRecords: 1000, lingerMs: 1000, maxQueued: 2 });
    expect([1, 2, 3].map((i) => sink.addRaw({ topic: 'dlq.collector', key: null, value: Buffer.from([i]) }))).toEqual([true, true, false]);
    void sink.drain(100);
  });
});

describe('record sink callbacks', () => {
  it('a throwing after-produce callback does not make the batch be produced again', async () => {
    const p = producer();
    const sink = createRecordSink({ producer: p as never, registry, logger, batchRecords: 10, lingerMs: 1, maxQueued: 100 });
    sink.addEvent('sessions.raw', 'k', { i: 1 }, () => { throw new Error('socket closed'); });
    sink.addEvent('sessions.raw', 'k', { i: 2 });
    await sink.drain(1000);
    expect(p.sent).toHaveLength(1);
    expect(sink.healthy()).toBe(true);
  });
});

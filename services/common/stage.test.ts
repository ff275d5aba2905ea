import { describe, expect, it } from 'vitest';
import { dependencyDown, permanent } from './errors.ts';
import type { ConsumedMessage, OutTopicMessages } from './kafka.ts';
import { createLogger } from './logger.ts';
import { createStageMetrics } from './metrics.ts';
import { deadLetterOne, wrapStage, type StageIo } from './stage.ts';

const msg = (offset: string, value: string): ConsumedMessage => ({ topic: 'in', partition: 0, offset, key: null, value: Buffer.from(value), headers: {}, timestamp: 1 });

function harness(failSend = false) {
  const sent: OutTopicMessages[] = [];
  const counted: string[] = [];
  const io: StageIo = {
    stage: 'demo', metrics: createStageMetrics('demo'), logger: createLogger('demo', 'silent'), now: () => 42,
    producer: { sendBatch: async ({ topicMessages }) => { if (failSend) throw new Error('broker down'); sent.push(...(topicMessages as OutTopicMessages[])); return []; } },
    onDeadLetter: (err, m) => counted.push(`${m.offset}:${err.code}`),
  };
  const value = async (name: string, labels: Record<string, string>) =>
    (await io.metrics.registry.getSingleMetric(name)!.get()).values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value ?? 0;
  return { io, sent, counted, value };
}

/** Doubles each record's number; a record that is not a number is rejected (not retriably).
 *  `now`: read with batch.readNow (at once) instead of batch.read. */
const doubling = (io: StageIo, now = false) => wrapStage(io, async (msgs, batch) => {
  const out = [];
  for (const m of msgs) {
    const read = () => {
      const v = Number(m.value!.toString());
      if (!Number.isFinite(v)) throw permanent('CT_MALFORMED_AVRO', `not a number: ${m.value!.toString()}`);
      if (v < 0) throw dependencyDown('the store is down', null);
      return v;
    };
    const n = now ? batch.readNow(m, read) : await batch.read(m, read);
    if (n !== undefined) out.push({ key: null, value: Buffer.from(String(n * 2)) });
  }
  return [{ topic: 'out', messages: out }, { topic: 'empty', messages: [] }];
});

describe('the stage wrapper (every stage\'s dead letters, counts and logs)', () => {
  it.each([false, true])('produces the output and the dead letters in one go, then counts them (readNow: %s)', async (now) => {
    const h = harness();
    await doubling(h.io, now)([msg('1', '2'), msg('2', 'x'), msg('3', '5')]);
    expect(h.sent.map((t) => [t.topic, t.messages.length])).toEqual([['out', 2], ['dlq.demo', 1]]);
    expect(h.sent[0]!.messages.map((m) => m.value!.toString())).toEqual(['4', '10']);
    expect(h.sent[1]!.messages[0]!.headers).toMatchObject({ 'ct-stage': 'demo', 'ct-reasonCode': 'CT_MALFORMED_AVRO', 'ct-sourceOffset': '2', 'ct-failedAt': '42' });
    expect(h.sent[1]!.messages[0]!.value!.toString()).toBe('x');
    expect(await h.value('crosstrace_demo_messages_out_total', { topic: 'out' })).toBe(2);
    expect(await h.value('crosstrace_demo_messages_out_total', { topic: 'dlq.demo' })).toBe(1);
    expect(await h.value('crosstrace_demo_dead_letters_total', { topic: 'in', reason: 'CT_MALFORMED_AVRO' })).toBe(1);
    expect(h.counted).toEqual(['2:CT_MALFORMED_AVRO']);
  });

  it.each([false, true])('fails the whole batch on a retriable failure, producing and counting nothing (readNow: %s)', async (now) => {
    const h = harness();
    await expect(doubling(h.io, now)([msg('1', 'x'), msg('2', '-1')])).rejects.toMatchObject({ code: 'CT_DEPENDENCY_DOWN', retriable: true });
    expect(h.sent).toEqual([]);
    expect(await h.value('crosstrace_demo_dead_letters_total', { topic: 'in', reason: 'CT_MALFORMED_AVRO' })).toBe(0);
  });

  it('turns a failed produce into an outage (the batch is retried) and counts nothing', async () => {
    const h = harness(true);
    await expect(doubling(h.io)([msg('1', 'x')])).rejects.toMatchObject({ retriable: true });
    expect(h.counted).toEqual([]);
    await expect(deadLetterOne(h.io, msg('1', 'x'), permanent('CT_MALFORMED_AVRO', 'bad'))).rejects.toMatchObject({ retriable: true });
  });

  it('dead-letters one record the stage failed on by itself, counted the same way', async () => {
    const h = harness();
    await deadLetterOne(h.io, msg('9', 'y'), permanent('CT_PROCESSING_FAILED', 'engine refused it'));
    expect(h.sent.map((t) => [t.topic, t.messages[0]!.headers?.['ct-reasonCode']])).toEqual([['dlq.demo', 'CT_PROCESSING_FAILED']]);
    expect(await h.value('crosstrace_demo_dead_letters_total', { topic: 'in', reason: 'CT_PROCESSING_FAILED' })).toBe(1);
    expect(h.counted).toEqual(['9:CT_PROCESSING_FAILED']);
  });

  it('merges what concurrent batches produce while a request is in flight into the next request (send-coalescer.ts)', async () => {
    const h = harness();
    const requests: number[] = [];
    const inner = h.io.producer;
    h.io.producer = { sendBatch: async (b) => { requests.push(b.topicMessages!.length); await new Promise((r) => setTimeout(r, 5)); return inner.sendBatch(b); } };
    const handle = doubling(h.io);
    await Promise.all([handle([msg('1', '1')]), handle([msg('2', '2')]), handle([msg('3', '3')])]);
    expect(requests).toHaveLength(2);
    expect(h.sent.flatMap((t) => t.messages.map((x) => x.value!.toString()))).toEqual(['2', '4', '6']);
  });
});

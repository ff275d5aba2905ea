// The consumer loop's per-partition queues (services/common/partition-queues.ts, kafka.ts
// `queueAhead`) on a real broker:
//   - a record of one partition is handled while another partition's batch is still slow: kafkajs
//     fetches again only once every batch of its last fetch is handled, so before, the record
//     waited for the slow batch (it can fail with queueAhead false);
//   - members joining and leaving the group while records flow (two rebalances): every record is
//     handled, one member never skips a record of a partition, and the group's committed offsets
//     reach the end of every partition.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Admin, Kafka } from 'kafkajs';
import { createConsumerLoop, type ConsumerLoop } from '../services/common/kafka.ts';
import type { Logger } from '../services/common/logger.ts';
import { createStageMetrics } from '../services/common/metrics.ts';
import { createTopics, testKafka, uniqueTopic } from './support/stack.ts';

const quiet = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined, child: () => quiet } as unknown as Logger;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let metricsN = 0;

describe('a consumer loop that queues each partition\'s batches', () => {
  let kafka: Kafka;
  let admin: Admin;
  beforeAll(async () => {
    kafka = testKafka('queue-ahead');
    admin = kafka.admin();
    await admin.connect();
  });
  afterAll(async () => { await admin.disconnect(); });

  const loopOf = (topic: string, groupId: string, handle: (offsets: string[], partition: number) => Promise<void>): ConsumerLoop => createConsumerLoop({
    kafka: testKafka(`queue-ahead-${metricsN}`), groupId, topics: [topic], logger: quiet, metrics: createStageMetrics(`queueahead${metricsN++}`), stage: 'queue-ahead', queueAhead: true,
    sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000, maxWaitTimeInMs: 100, commitIntervalMs: 100,
    deadLetter: async () => { throw new Error('nothing here fails'); },
    handle: (ms, _topic, partition) => handle(ms.map((m) => m.offset), partition),
  });

  it('handles a record of one partition while another partition\'s batch is still being handled', async () => {
    const topic = uniqueTopic('queue-ahead-slow');
    await createTopics(admin, [topic], 2);
    const producer = kafka.producer();
    await producer.connect();
    let slowEnded = 0;
    let slowStarted = 0;
    let fastAt = 0;
    const loop = loopOf(topic, `${topic}-g`, async (_offsets, partition) => {
      if (partition === 0) { slowStarted = Date.now(); await sleep(8_000); slowEnded = Date.now(); } else fastAt = Date.now();
    });
    try {
      await loop.start();
      for (let i = 0; i < 300 && !loop.running(); i++) await sleep(100);
      await producer.send({ topic, messages: [{ partition: 0, key: 'a', value: 'slow' }] });
      for (let i = 0; i < 300 && !slowStarted; i++) await sleep(100);
      expect(slowStarted).toBeGreaterThan(0);
      const sent = Date.now();
      await producer.send({ topic, messages: [{ partition: 1, key: 'b', value: 'fast' }] });
      for (let i = 0; i < 150 && !fastAt; i++) await sleep(100);
      expect(fastAt).toBeGreaterThan(0);
      // handled within a few fetches, while partition 0's batch was still running
      expect({ waitedMs: fastAt - sent < 4_000, slowStillRunning: slowEnded === 0 || fastAt < slowEnded }).toEqual({ waitedMs: true, slowStillRunning: true });
    } finally {
      await producer.disconnect();
      await loop.stop();
    }
  }, 120_000);

  it('over two rebalances while records flow: every record handled, none skipped by a member, every partition committed to its end', async () => {
    const topic = uniqueTopic('queue-ahead-rebalance');
    const groupId = `${topic}-g`;
    const PARTITIONS = 4;
    const SENDS = 40;
    const PER_SEND = 25;
    await createTopics(admin, [topic], PARTITIONS);
    const producer = kafka.producer();
    await producer.connect();
    /** member -> partition -> offsets handled, in order */
    const handled = new Map<string, Map<number, number[]>>();
    const handler = (member: string) => async (offsets: string[], partition: number) => {
      await sleep(2 * offsets.length); // batches in flight when the group rebalances
      const byP = handled.get(member) ?? new Map<number, number[]>();
      handled.set(member, byP);
      byP.set(partition, [...(byP.get(partition) ?? []), ...offsets.map(Number)]);
    };
    const a = loopOf(topic, groupId, handler('a'));
    const b = loopOf(topic, groupId, handler('b'));
    try {
      await a.start();
      for (let i = 0; i < 300 && !a.running(); i++) await sleep(100);
      for (let s = 0; s < SENDS; s++) {
        await producer.send({ topic, messages: Array.from({ length: PER_SEND }, (_, i) => ({ partition: (s * PER_SEND + i) % PARTITIONS, key: `k${i}`, value: `v${s}-${i}` })) });
        if (s === 10) await b.start(); // a rebalance: b joins
        if (s === 25) await a.stop(); // another: a leaves, b gets every partition
        await sleep(100);
      }
      const ends = await admin.fetchTopicOffsets(topic);
      const committed = async () => (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]!.partitions;
      for (const until = Date.now() + 90_000; Date.now() < until;) {
        const c = await committed();
        if (ends.every((e) => c.find((x) => x.partition === e.partition)?.offset === e.offset)) break;
        await sleep(500);
      }
      const c = await committed();
      expect(c.map((x) => `${x.partition}@${x.offset}`).sort()).toEqual(ends.map((e) => `${e.partition}@${e.offset}`).sort());
      for (const e of ends) {
        const all = new Set([...handled.values()].flatMap((byP) => byP.get(e.partition) ?? []));
        expect(all.size, `partition ${e.partition}: every offset handled`).toBe(Number(e.offset));
      }
      // a member reads a partition forward, or again from its committed offset after a rebalance,
      // never past a record it did not handle
      for (const [member, byP] of handled) {
        for (const [p, offsets] of byP) {
          const skips = offsets.filter((o, i) => i > 0 && o > offsets[i - 1]! + 1);
          expect(skips, `${member} skipped records of partition ${p}`).toEqual([]);
        }
      }
    } finally {
      await producer.disconnect();
      await b.stop();
      await a.stop();
    }
  }, 240_000);
});

// A batch slower than the group's session (issue 9: a starved ingest made no committed progress
// in 600 s while it kept processing). On a real broker, a consumer stage whose per-record work is
// slowed so that one fetched batch takes about twice the session: the loop must heartbeat while
// it works and commit what it has done, so the partition moves on and no record is handled twice.
// Before: heartbeats went only between batches; the member was expelled mid-batch, its commit
// refused, and it rejoined to read the same batch again, for ever.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Admin, Kafka } from 'kafkajs';
import { createConsumerLoop, type ConsumerLoop } from '../services/common/kafka.ts';
import type { Logger } from '../services/common/logger.ts';
import { createStageMetrics } from '../services/common/metrics.ts';
import { createTopics, testKafka, uniqueTopic } from './support/stack.ts';

const RECORDS = 120;
const PER_RECORD_MS = 100; // one batch of RECORDS: 12 s, twice the session below
const SESSION_MS = 6_000;

const quiet = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined, child: () => quiet } as unknown as Logger;

describe('a consumer stage whose batch takes longer than the session', () => {
  let kafka: Kafka;
  let admin: Admin;
  beforeAll(async () => {
    kafka = testKafka('slow-batch');
    admin = kafka.admin();
    await admin.connect();
  });
  afterAll(async () => { await admin.disconnect(); });

  it('commits its progress and handles every record once', async () => {
    const topic = uniqueTopic('slow-batch');
    const groupId = `${topic}-g`;
    await createTopics(admin, [topic], 1);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: Array.from({ length: RECORDS }, (_, i) => ({ key: `k${i}`, value: `v${i}` })) });
    await producer.disconnect();

    const handled: number[] = [];
    let loop: ConsumerLoop | undefined;
    const committed = async (): Promise<number> => {
      // a fresh broker answers NOT_COORDINATOR until the offsets topic is ready: nothing yet
      const t = await admin.fetchOffsets({ groupId, topics: [topic] }).then(([x]) => x, () => undefined);
      return Number(t?.partitions[0]?.offset ?? -1);
    };
    try {
      loop = createConsumerLoop({
        kafka: testKafka('slow-batch-stage'), groupId, topics: [topic], logger: quiet, metrics: createStageMetrics('slowbatch'), stage: 'slow-batch',
        sessionTimeoutMs: SESSION_MS, heartbeatIntervalMs: 1_000, maxBatchRecords: 20,
        deadLetter: async () => { throw new Error('nothing here fails'); },
        handle: async (ms) => {
          for (const m of ms) {
            await new Promise((r) => setTimeout(r, PER_RECORD_MS)); // the starved stage's work
            handled.push(Number(m.offset));
          }
        },
      });
      await loop.start();
      // until everything is committed, or the records were handled three times over (the
      // same batch redone: no progress); bounded so that a stuck loop fails, not hangs
      const until = Date.now() + 240_000;
      let at = await committed();
      while (at < RECORDS && handled.length < 3 * RECORDS && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 1_000));
        at = await committed();
      }
      expect({ committed: at, handledTimes: handled.length }).toEqual({ committed: RECORDS, handledTimes: RECORDS });
      expect(handled).toEqual(Array.from({ length: RECORDS }, (_, i) => i));
    } finally {
      await loop?.stop();
    }
  }, 300_000);
});

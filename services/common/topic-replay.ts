// Reads topics from given offsets up to the end offsets they had when the replay started,
// with a throwaway consumer group (nothing committed, the group deleted after): what a
// rebuild of Redis from Kafka reads. Topics written in transactions are read committed.
import type { Admin, Kafka, KafkaMessage } from 'kafkajs';

/** Every replay's throwaway group id starts with this: the principals that rebuild Redis from
 *  Kafka (correlator, tracer) get Read and Delete on the prefix (deploy/security/acls.json). */
export const REPLAY_GROUP_PREFIX = 'crosstrace-replay-';
export const replayGroupId = (): string => `${REPLAY_GROUP_PREFIX}${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;

export interface ReplayOptions {
  kafka: Kafka;
  admin: Admin;
  topics: string[];
  /** First offset per partition; default the earliest. Return undefined to start at the earliest. */
  startOffset?(topic: string, partition: number): Promise<string | undefined>;
  /** One partition's batch of records, in offset order. */
  onBatch(topic: string, partition: number, messages: KafkaMessage[]): Promise<void>;
  /** Gives up when, after the group was joined, no batch arrives nor is being handled for this
   *  long while records are still expected, ms (default 30 s). A caller that keeps its progress
   *  (state-rebuild.ts) resumes where it was on the next try. */
  idleTimeoutMs?: number;
  /** What will be read, known before the first record: per partition, from and to (exclusive). */
  onPlan?(plan: { topic: string; partition: number; from: number; to: number }[]): void;
  /** Fetch sizes (defaults: 4 MiB per partition, 32 MiB per fetch). */
  maxBytesPerPartition?: number;
  maxBytes?: number;
}

export async function replayTopics(o: ReplayOptions): Promise<void> {
  const target = new Map<string, number>();
  const from = new Map<string, string>();
  for (const topic of o.topics) {
    for (const p of await o.admin.fetchTopicOffsets(topic)) {
      const start = (await o.startOffset?.(topic, p.partition)) ?? p.low;
      const begin = Math.max(Number(start) < 0 ? Number(p.high) : Number(start), Number(p.low));
      if (begin < Number(p.high)) { target.set(`${topic}/${p.partition}`, Number(p.high)); from.set(`${topic}/${p.partition}`, String(begin)); }
    }
  }
  o.onPlan?.([...target].map(([tp, to]) => ({ topic: tp.slice(0, tp.lastIndexOf('/')), partition: Number(tp.slice(tp.lastIndexOf('/') + 1)), from: Number(from.get(tp)), to })));
  if (target.size === 0) return;
  const groupId = replayGroupId();
  const consumer = o.kafka.consumer({ groupId, maxBytesPerPartition: o.maxBytesPerPartition ?? 4 * 1_048_576, maxBytes: o.maxBytes ?? 32 * 1_048_576, maxWaitTimeInMs: 100, allowAutoTopicCreation: false });
  // idle = joined, no batch being handled, and none arrived for idleTimeoutMs: a slow start
  // (a group join under load) or a slow batch (Redis under load) is not idleness
  let last = Number.POSITIVE_INFINITY;
  const started = Date.now();
  let handling = 0;
  let failed: unknown;
  consumer.on(consumer.events.GROUP_JOIN, () => { last = Date.now(); });
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: o.topics, fromBeginning: true });
    await consumer.run({
      autoCommit: false, partitionsConsumedConcurrently: 6, eachBatchAutoResolve: true,
      eachBatch: async ({ batch, heartbeat }) => {
        const tp = `${batch.topic}/${batch.partition}`;
        const end = target.get(tp);
        if (end === undefined) return;
        last = Date.now();
        handling++;
        // the seek below is an optimisation: a consumer that restarted after a crash (a fresh
        // broker answers the first group join with NOT_COORDINATOR) reads from the beginning
        const start = Number(from.get(tp) ?? 0);
        const msgs = batch.messages.filter((m) => Number(m.offset) < end && Number(m.offset) >= start);
        try { await o.onBatch(batch.topic, batch.partition, msgs); } catch (e) { failed = e; } finally { handling--; last = Date.now(); }
        await heartbeat();
        // transaction markers have offsets too: the batch may end before the end offset
        if (Number(batch.lastOffset()) >= end - 1 || Number(batch.highWatermark) <= Number(batch.lastOffset()) + 1) target.delete(tp);
      },
    });
    // run() can return before the group exists (kafkajs: "Consumer group was not initialized"
    // while it restarts a first join); seeking waits for it, 30 s at most
    for (const [tp, off] of from) {
      const i = tp.lastIndexOf('/');
      for (let waited = 0; ; waited += 100) {
        try { consumer.seek({ topic: tp.slice(0, i), partition: Number(tp.slice(i + 1)), offset: off }); break; } catch (e) {
          if (waited >= 30_000 || !/not initialized/i.test((e as Error).message)) throw e;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    }
    while (target.size > 0 && failed === undefined) {
      if (last === Number.POSITIVE_INFINITY && Date.now() - started > 10 * (o.idleTimeoutMs ?? 30_000)) throw new Error(`replay of ${o.topics.join(', ')} stopped: its consumer group ${groupId} was not joined in ${10 * (o.idleTimeoutMs ?? 30_000)} ms`);
      if (handling === 0 && Date.now() - last > (o.idleTimeoutMs ?? 30_000)) throw new Error(`replay of ${o.topics.join(', ')} stopped: nothing read for ${o.idleTimeoutMs ?? 30_000} ms, ${target.size} partitions unfinished`);
      await new Promise((r) => setTimeout(r, 50));
    }
    if (failed !== undefined) throw failed;
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await o.admin.deleteGroups([groupId]).catch(() => undefined);
  }
}

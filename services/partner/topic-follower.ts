// Reads topics from the beginning in a throwaway consumer group (nothing committed: every
// start rebuilds its state from the log) and says when each has been read up to where it
// ended at start ("caught up"). A retriable error (registry or Kafka down) retries the same
// message with backoff; any other error skips the message through `onSkip` (bad data must
// not stop a follower). Used by `crosstrace watch` and the gateway.
import type { Consumer, Kafka } from 'kafkajs';
import { CrosstraceError } from '../common/errors.ts';

export interface FollowedMessage { topic: string; partition: number; offset: string; key: Buffer | null; value: Buffer | null; timestamp: number }

export interface FollowOptions {
  kafka: Kafka;
  groupId: string;
  topics: string[];
  handle(m: FollowedMessage): Promise<void> | void;
  onSkip?(m: FollowedMessage, err: unknown): void;
  onRetry?(err: unknown, retryInMs: number): void;
  /** Called while a topic does not exist yet (checked every 2 s, up to waitForTopicsMs). */
  onWaiting?(topic: string, err: unknown): void;
  /** How long to wait for missing topics at start, ms; default 0 (fail at once). */
  waitForTopicsMs?: number;
}

export interface TopicFollower {
  /** True once every partition of `topic` (or of every topic) was read to its end at start. */
  caughtUp(topic?: string): boolean;
  /** `topic:partition@lastOffset` of the partitions not read to their end at start yet. */
  lagging(): string[];
  running(): boolean;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const retriable = (e: unknown): boolean => e instanceof CrosstraceError ? e.retriable : (e as { retriable?: boolean } | null)?.retriable === true;

async function endOffsets(kafka: Kafka, o: FollowOptions): Promise<Map<string, bigint>> {
  const admin = kafka.admin();
  await admin.connect();
  const deadline = Date.now() + (o.waitForTopicsMs ?? 0);
  try {
    const out = new Map<string, bigint>();
    for (const topic of o.topics) {
      for (;;) {
        try {
          for (const p of await admin.fetchTopicOffsets(topic)) {
            if (BigInt(p.high) > BigInt(p.low)) out.set(`${topic}:${p.partition}`, BigInt(p.high) - 1n);
          }
          break;
        } catch (e) {
          if (Date.now() >= deadline) throw new Error(`cannot read the end offsets of ${topic}: ${(e as Error).message}`, { cause: e });
          o.onWaiting?.(topic, e);
          await sleep(2000);
        }
      }
    }
    return out;
  } finally {
    await admin.disconnect();
  }
}

export async function followTopics(o: FollowOptions): Promise<TopicFollower> {
  const pending = await endOffsets(o.kafka, o); // partition -> last offset still to read for catch-up
  let stopping = false;
  let isRunning = false;
  // after a broker outage kafkajs restarts the consumer once its retries ran out, after the
  // last retry's delay: at most 5 s here, not kafkajs' 30 s
  // maxWait: the idle polling only (a record that arrives completes a waiting fetch at once)
  const consumer: Consumer = o.kafka.consumer({ groupId: o.groupId, maxWaitTimeInMs: 500, allowAutoTopicCreation: false, retry: { initialRetryTime: 300, maxRetryTime: 5_000, retries: 10 } });
  consumer.on(consumer.events.GROUP_JOIN, () => { isRunning = true; });
  consumer.on(consumer.events.CRASH, () => { isRunning = false; });
  // Transactions put commit/abort markers (and aborted records, not delivered) at the end of
  // a partition, so its last offset may never arrive as a message: a partition is caught up
  // once a batch ends at or past it, which kafkajs reports for marker-only batches too.
  consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
    const k = `${e.payload.topic}:${e.payload.partition}`;
    const last = pending.get(k);
    if (last !== undefined && BigInt(e.payload.lastOffset) >= last) pending.delete(k);
  });
  await consumer.connect();
  await consumer.subscribe({ topics: o.topics, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ topic, partition, message, heartbeat }) => {
      const m: FollowedMessage = { topic, partition, offset: message.offset, key: message.key ?? null, value: message.value ?? null, timestamp: Number(message.timestamp) };
      let backoff = 200;
      for (;;) {
        try { await o.handle(m); break; } catch (e) {
          if (!retriable(e) || stopping) { if (!stopping) o.onSkip?.(m, e); break; }
          o.onRetry?.(e, backoff);
          await sleep(backoff);
          backoff = Math.min(backoff * 2, 5000);
          await heartbeat();
        }
      }
      const k = `${topic}:${partition}`;
      const last = pending.get(k);
      if (last !== undefined && BigInt(message.offset) >= last) pending.delete(k);
    },
  });
  return {
    caughtUp: (topic) => (topic === undefined ? pending.size === 0 : ![...pending.keys()].some((k) => k.startsWith(`${topic}:`))),
    lagging: () => [...pending].map(([k, o]) => `${k}@${o}`),
    running: () => isRunning,
    async stop() {
      if (stopping) return;
      stopping = true;
      isRunning = false;
      await consumer.disconnect();
    },
  };
}

// Rebuilding Redis from Kafka when Redis lost its data (a FLUSHALL, a restart without its
// AOF, a new instance). Kafka is the source of truth:
//   - windows: flows.norm / sessions.norm replayed from the retention horizon into the
//     windows (the same idempotent index scripts the correlator runs; waiters are not woken);
//   - the audit head needs nothing: the tracer reads it from audit.disclosures (audit-head.ts).
// A marker key says "this Redis holds state built from Kafka": written after a rebuild and at
// the first start on empty topics; a Redis without it while the topics hold data has lost it.
import type { Admin, Kafka } from 'kafkajs';
import type { Redis } from 'ioredis';
import { indexRequestOf } from './index-request.ts';
import type { ConsumedMessage } from './kafka.ts';
import { TOPICS } from './topics.ts';
import type { IndexRequest, WindowStore } from './window-store.ts';

/** Present = this Redis holds state built from Kafka (value: when, ISO). */
export const STATE_MARKER = 'ct:state:built';

export interface RebuildProgress { events: number; skipped: number; ms: number; perSecond: number; done: boolean }

/** True when the norm topics hold records but Redis has no marker: its state is gone. */
export async function redisStateLost(redis: Redis, admin: Admin, topics = [TOPICS.flowsNorm, TOPICS.sessionsNorm]): Promise<boolean> {
  if ((await redis.exists(STATE_MARKER)) === 1) return false;
  for (const t of topics) {
    const offsets = await admin.fetchTopicOffsets(t).catch(() => []);
    if (offsets.some((p) => Number(p.high) > Number(p.low))) return true;
  }
  return false;
}

export const markStateBuilt = (redis: Redis, now = Date.now()): Promise<unknown> => redis.set(STATE_MARKER, new Date(now).toISOString());

/**
 * Replays flows.norm and sessions.norm into the windows, from the first record produced after
 * `now - retentionMs - slackMs` up to the end offsets seen at the start, then sets the marker.
 * Events older than the retention are skipped (their windows would trim them at once).
 * `onProgress` is called about once a second and at the end.
 */
export async function rebuildWindows(o: {
  kafka: Kafka; admin: Admin; redis: Redis; store: WindowStore; retentionMs: number; slackMs?: number; now?: () => number;
  onProgress?(p: RebuildProgress): void;
}): Promise<RebuildProgress> {
  const now = o.now ?? Date.now;
  const t0 = now();
  const horizon = t0 - o.retentionMs;
  const topics = [TOPICS.flowsNorm, TOPICS.sessionsNorm];
  const from = new Map<string, string>();
  const target = new Map<string, number>();
  for (const topic of topics) {
    const ends = await o.admin.fetchTopicOffsets(topic);
    const starts = await o.admin.fetchTopicOffsetsByTimestamp(topic, horizon - (o.slackMs ?? 3_600_000));
    for (const e of ends) {
      const start = starts.find((s) => s.partition === e.partition)?.offset ?? e.low;
      const begin = Number(start) < 0 ? Number(e.high) : Math.max(Number(start), Number(e.low));
      if (begin < Number(e.high)) { from.set(`${topic}/${e.partition}`, String(begin)); target.set(`${topic}/${e.partition}`, Number(e.high)); }
    }
  }
  let events = 0;
  let skipped = 0;
  const progress = (done: boolean): RebuildProgress => {
    const ms = Math.max(1, now() - t0);
    return { events, skipped, ms, perSecond: Math.round((events * 1000) / ms), done };
  };
  if (target.size > 0) {
    const groupId = `crosstrace-rebuild-${process.pid}-${t0.toString(36)}`;
    const consumer = o.kafka.consumer({ groupId, maxBytesPerPartition: 4 * 1_048_576, maxWaitTimeInMs: 100, allowAutoTopicCreation: false });
    let finished!: () => void;
    const allDone = new Promise<void>((r) => { finished = r; });
    const ticker = setInterval(() => o.onProgress?.(progress(false)), 1_000);
    try {
      await consumer.connect();
      await consumer.subscribe({ topics, fromBeginning: true });
      await consumer.run({
        autoCommit: false, partitionsConsumedConcurrently: 4, eachBatchAutoResolve: false,
        eachBatch: async ({ batch, heartbeat }) => {
          const tp = `${batch.topic}/${batch.partition}`;
          const end = target.get(tp);
          if (end === undefined) return;
          const reqs: IndexRequest[] = [];
          for (const m of batch.messages) {
            if (Number(m.offset) >= end) break;
            const msg: ConsumedMessage = { topic: batch.topic, partition: batch.partition, offset: m.offset, key: m.key ?? null, value: m.value ?? null, headers: m.headers ?? {}, timestamp: Number(m.timestamp) };
            let r: IndexRequest;
            try { r = indexRequestOf(msg); } catch { skipped++; continue; } // dead-lettered when first read
            if (r.time < horizon) { skipped++; continue; }
            reqs.push(r);
          }
          for (let i = 0; i < reqs.length; i += 2048) await o.store.indexMany(reqs.slice(i, i + 2048), now());
          events += reqs.length;
          await heartbeat();
          if (Number(batch.lastOffset()) >= end - 1) {
            target.delete(tp);
            if (target.size === 0) finished();
          }
        },
      });
      for (const [tp, off] of from) {
        const [topic, partition] = tp.split('/') as [string, string];
        consumer.seek({ topic, partition: Number(partition), offset: off });
      }
      await allDone;
    } finally {
      clearInterval(ticker);
      await consumer.disconnect().catch(() => undefined);
      await o.admin.deleteGroups([groupId]).catch(() => undefined);
    }
  }
  await markStateBuilt(o.redis);
  const last = progress(true);
  o.onProgress?.(last);
  return last;
}

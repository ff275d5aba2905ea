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
import type { ConsumedMessage } from '../common/kafka.ts';
import { replayTopics } from '../common/topic-replay.ts';
import { TOPICS } from '../common/topics.ts';
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
 * the horizon (now - retention, sessions: - sessionRetentionMs) less `slackMs`, up to the end
 * offsets seen at the start, then sets the marker. Events older than their horizon are
 * skipped (their windows would trim them at once).
 * `onProgress` is called about once a second and at the end.
 */
export async function rebuildWindows(o: {
  kafka: Kafka; admin: Admin; redis: Redis; store: WindowStore; retentionMs: number;
  /** How long windows keep session records (the join's maxSessionAgeMs), ms; default retentionMs. */
  sessionRetentionMs?: number;
  slackMs?: number; now?: () => number;
  onProgress?(p: RebuildProgress): void;
}): Promise<RebuildProgress> {
  const now = o.now ?? Date.now;
  const t0 = now();
  // sessions stay in their windows as long as a session may last; flows for the retention
  const horizonOf = (topic: string): number => t0 - (topic === TOPICS.sessionsNorm ? Math.max(o.retentionMs, o.sessionRetentionMs ?? o.retentionMs) : o.retentionMs);
  let events = 0;
  let skipped = 0;
  const progress = (done: boolean): RebuildProgress => {
    const ms = Math.max(1, now() - t0);
    return { events, skipped, ms, perSecond: Math.round((events * 1000) / ms), done };
  };
  const ticker = setInterval(() => o.onProgress?.(progress(false)), 1_000);
  try {
    await replayTopics({
      kafka: o.kafka, admin: o.admin, topics: [TOPICS.flowsNorm, TOPICS.sessionsNorm],
      startOffset: async (topic, partition) => {
        const at = await o.admin.fetchTopicOffsetsByTimestamp(topic, horizonOf(topic) - (o.slackMs ?? 3_600_000));
        return at.find((p) => p.partition === partition)?.offset;
      },
      onBatch: async (topic, partition, messages) => {
        const reqs: IndexRequest[] = [];
        const horizon = horizonOf(topic);
        for (const m of messages) {
          const msg: ConsumedMessage = { topic, partition, offset: m.offset, key: m.key ?? null, value: m.value ?? null, headers: m.headers ?? {}, timestamp: Number(m.timestamp) };
          let r: IndexRequest;
          try { r = indexRequestOf(msg); } catch { skipped++; continue; } // dead-lettered when first read
          if (r.time < horizon) { skipped++; continue; }
          reqs.push(r);
        }
        for (let i = 0; i < reqs.length; i += 2048) await o.store.indexMany(reqs.slice(i, i + 2048), now());
        events += reqs.length;
      },
    });
  } finally {
    clearInterval(ticker);
  }
  await markStateBuilt(o.redis);
  const last = progress(true);
  o.onProgress?.(last);
  return last;
}

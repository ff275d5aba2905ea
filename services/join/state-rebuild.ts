// Rebuilding Redis from Kafka when Redis lost its data (a FLUSHALL, a restart without its
// AOF, a new instance). Kafka is the source of truth:
//   - windows: flows.norm / sessions.norm replayed from the retention horizon into the
//     windows (a bulk write that leaves the state the correlator's index scripts leave;
//     waiters are not woken);
//   - the audit head needs nothing: the tracer reads it from audit.disclosures (audit-head.ts).
// A marker key says "this Redis holds state built from Kafka": written after a rebuild and at
// the first start on empty topics; a Redis without it while the topics hold data has lost it.
import type { Admin, Kafka } from 'kafkajs';
import type { Redis } from 'ioredis';
import { dependencyDown } from '../common/errors.ts';
import type { RegistryClient } from '../common/registry.ts';
import type { FlowEvent } from '../../schemas/types.gen.ts';
import { batchMarks, flowMarkOf, type FlowMarkSample } from './flow-watermark.ts';
import { indexRequestOf } from './index-request.ts';
import { luaScript } from './lua-script.ts';
import type { ConsumedMessage } from '../common/kafka.ts';
import { replayTopics } from '../common/topic-replay.ts';
import { TOPICS } from '../common/topics.ts';
import type { IndexRequest, WindowStore } from './window-store.ts';
import { LAYOUT_VERSION, STATE_MARKER } from './window-layout.ts';

export { STATE_MARKER };

export interface RebuildProgress {
  /** Events written into windows by this run; records skipped (older than their horizon, or invalid). */
  events: number; skipped: number;
  /** Records still to read to the end offsets seen at the start. */
  remaining: number;
  /** This run continued a failed one's progress (REBUILD_PROGRESS). */
  resumed: boolean;
  ms: number; perSecond: number; done: boolean;
}

/** True when Redis has no marker while the norm topics hold records (its state is gone), or
 *  while a rebuild holds the progress (one that stopped midway: its windows are a prefix of the
 *  topics until a rebuild completes; and while it holds it, nothing else marks them). */
export async function redisStateLost(redis: Redis, admin: Admin, topics = [TOPICS.flowsNorm, TOPICS.sessionsNorm]): Promise<boolean> {
  if ((await redis.exists(STATE_MARKER)) === 1) return false;
  if ((await redis.hget(REBUILD_PROGRESS, 'run')) !== null) return true;
  for (const t of topics) {
    const offsets = await admin.fetchTopicOffsets(t).catch(() => []);
    if (offsets.some((p) => Number(p.high) > Number(p.low))) return true;
  }
  return false;
}

/** The rebuild's progress, kept with the state it describes: per partition (`topic/partition`),
 *  the offset below which every record is written. A rebuild that failed (a lost broker, an
 *  idle consumer) resumes there on its next try; a Redis that lost it lost those windows too. */
export const REBUILD_PROGRESS = `ct:state:rebuild:v${LAYOUT_VERSION}`;

/** Marks Redis built without a rebuild (lua/mark-built.lua) unless it already is or a rebuild
 *  holds the progress: the marker's value names the build (window-layout.ts STATE_MARKER), so a
 *  correlator's restart on windows it keeps leaves it as it was (readers take a changed value as
 *  windows built anew and read again what they read meanwhile). True when it marked. */
export async function markStateBuilt(redis: Redis, now = Date.now()): Promise<boolean> {
  return (await progressCommands(redis).ctMarkBuilt(REBUILD_PROGRESS, STATE_MARKER, new Date(now).toISOString())) === 1;
}

/** Takes the windows as they are (CROSSTRACE_CORRELATOR_REBUILD_EMPTY_REDIS=false): marks them
 *  built, or says why it cannot — a rebuild holds the progress (one running, or one stopped
 *  midway, which only a completed rebuild clears): the state check shows it and tries again. */
export async function takeWindowsAsBuilt(redis: Redis, now = Date.now()): Promise<void> {
  if (await markStateBuilt(redis, now)) return;
  if ((await redis.exists(STATE_MARKER)) === 1) return;
  const run = await redis.hget(REBUILD_PROGRESS, 'run');
  throw dependencyDown(`the windows cannot be marked built: a rebuild holds the progress (${REBUILD_PROGRESS} run ${run}; running, or stopped midway): every window read is fenced until a rebuild completes: wait for the one running, or run \`crosstrace rebuild\` if it stopped`, null);
}

type ProgressCmds = {
  ctRebuildClaim(key: string, marker: string, run: string): Promise<string[]>;
  ctMarkBuilt(progress: string, marker: string, at: string): Promise<number>;
  ctRebuildProgress(key: string, run: string, ...offsets: string[]): Promise<number>;
  ctRebuildDone(progress: string, marker: string, run: string, at: string): Promise<number>;
};
function progressCommands(redis: Redis): ProgressCmds {
  const r = redis as Redis & ProgressCmds;
  if (!('ctRebuildClaim' in r)) {
    redis.defineCommand('ctRebuildClaim', { numberOfKeys: 2, lua: luaScript('rebuild-claim') });
    redis.defineCommand('ctMarkBuilt', { numberOfKeys: 2, lua: luaScript('mark-built') });
    redis.defineCommand('ctRebuildProgress', { numberOfKeys: 1, lua: luaScript('rebuild-progress') });
    redis.defineCommand('ctRebuildDone', { numberOfKeys: 2, lua: luaScript('rebuild-done') });
  }
  return r;
}

/** Redis lost what this rebuild wrote while it ran (a FLUSHALL, a restart without AOF): the
 *  rebuild stops without marking Redis built; the next try (the correlator's state check, every
 *  5 s; or the operator) starts over. Retriable. */
export const lostDuringRebuild = (): Error => dependencyDown('the window rebuild lost its claim on the progress: Redis lost its data meanwhile (FLUSHALL or restart), or another rebuild took over (the correlator\'s own, when it found the windows unmarked); not marked built by this run', null);

/** How far before the horizon the replay starts reading, ms. A record's Kafka timestamp is the
 *  time ingest produced it, which is after ingest received the raw record; ingest refuses an
 *  event time more than its future tolerance past that receipt (CROSSTRACE_INGEST_FUTURE_TOLERANCE_MS,
 *  default 300000: normalise.ts). So every record whose event time is at or past the horizon
 *  was produced at or after horizon - future tolerance: seeking there by timestamp misses none. */
export const DEFAULT_REBUILD_SLACK_MS = 300_000;

/** Events buffered before a bulk write (a write runs while the next batches are read). Issue
 *  14, bench/drain-memory.ts rebuild of 200k events: 40k -> 10k changed neither the peak RSS
 *  nor CPU per event beyond the noise; kept small, as it bounds two batches in memory. */
export const FLUSH_EVENTS = 10_000;

/** Most bytes per fetch of the replay, all partitions together: kafkajs decodes a whole fetch
 *  into message objects (~8 per record: headers, key, value), several times its bytes in V8's
 *  heap. Issue 14, bench/drain-memory.ts rebuild of 200k events (load 11-16): peak RSS 504 MiB
 *  at 32 MiB, 366 at 4 MiB, 324 at 4 MiB with the flow-mark copy (onBatch), 288 at 2 MiB; CPU
 *  per event 15.3, 13.9, 15.9, 15.3 µs (start-up included). */
export const REPLAY_FETCH_BYTES = 2 * 1_048_576;

/** The replay's fetch sizes for `fetchBytes` per fetch: an eighth of it per partition. */
export const replayFetch = (fetchBytes = REPLAY_FETCH_BYTES): { maxBytes: number; maxBytesPerPartition: number } =>
  ({ maxBytes: fetchBytes, maxBytesPerPartition: Math.max(65_536, Math.floor(fetchBytes / 8)) });

/**
 * Replays flows.norm and sessions.norm into the windows, from the first record produced after
 * the horizon (now - retention, sessions: - sessionRetentionMs) less `slackMs`, up to the end
 * offsets seen at the start, then sets the marker. Events older than their horizon are
 * skipped (their windows would trim them at once). The events go in by the store's bulk write
 * (bulkIndex: the state index-one.lua leaves, a few plain commands per window and batch);
 * progress is kept in REBUILD_PROGRESS, so a failed rebuild resumes where it was.
 * `onProgress` is called about once a second, after each batch written and at the end. If Redis
 * loses its data meanwhile (a FLUSHALL: this run's id is gone from the progress), it stops with
 * lostDuringRebuild() and leaves the marker unset.
 */
export async function rebuildWindows(o: {
  kafka: Kafka; admin: Admin; redis: Redis; store: WindowStore; retentionMs: number;
  /** How long windows keep session records (the join's maxSessionAgeMs), ms; default retentionMs. */
  sessionRetentionMs?: number;
  slackMs?: number; now?: () => number;
  /** About once a second, after each batch written and at the end; a promise it returns is
   *  awaited after a batch and at the end (not on the ticker). */
  onProgress?(p: RebuildProgress): unknown;
  /** Replay consumer tuning (tests). */
  idleTimeoutMs?: number;
  /** Events buffered before a bulk write (default FLUSH_EVENTS). */
  flushEvents?: number;
  /** Most bytes per fetch of the replay, all partitions together (default REPLAY_FETCH_BYTES);
   *  per partition an eighth of it. */
  fetchBytes?: number;
  /** The flow watermark (ct:flowmark, flow-watermark.ts; `marks`: flow-marks.ts createFlowMarks),
   *  which the loss took too, and the registry to decode the flow records it is read from: without
   *  it, marks come back only with flows indexed live after the rebuild, and a relay lookup on an
   *  exporter silent since then never settles. */
  flowMarks?: { registry: RegistryClient; marks: { advance(marks: ReadonlyMap<string, number>): Promise<void> } };
}): Promise<RebuildProgress> {
  const now = o.now ?? Date.now;
  const t0 = now();
  // sessions stay in their windows as long as a session may last; flows for the retention
  const horizonOf = (topic: string): number => t0 - (topic === TOPICS.sessionsNorm ? Math.max(o.retentionMs, o.sessionRetentionMs ?? o.retentionMs) : o.retentionMs);
  const cmds = progressCommands(o.redis);
  const run = `${process.pid}-${t0.toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const claimed = await cmds.ctRebuildClaim(REBUILD_PROGRESS, STATE_MARKER, run);
  const resume: Record<string, string> = {};
  for (let i = 0; i + 1 < claimed.length; i += 2) if (claimed[i] !== 'run') resume[claimed[i]!] = claimed[i + 1]!;
  let events = 0;
  let skipped = 0;
  const to = new Map<string, number>();
  const at = new Map<string, number>();
  const progress = (done: boolean): RebuildProgress => {
    const ms = Math.max(1, now() - t0);
    let remaining = 0;
    for (const [tp, end] of to) remaining += Math.max(0, end - (at.get(tp) ?? end));
    return { events, skipped, remaining, resumed: Object.keys(resume).length > 0, ms, perSecond: Math.round((events * 1000) / ms), done };
  };
  const seen = new Set<string>();
  let buf: IndexRequest[] = [];
  let bufAt = new Map<string, number>();
  // per (exporter, flows.norm partition), the last flow record buffered: an exporter's records
  // reach a partition in export order, so its export time is that pair's mark (only these few
  // are decoded). The exporter is the ct-uid's first segment (ingest: exporterId/eventId).
  let lastFlows = new Map<string, { partition: number; value: Buffer }>();
  /** watermark records read (ingest's, join/flow-watermark.ts): their marks, no event */
  let markRecords: FlowMarkSample[] = [];
  const marks = o.flowMarks?.marks;
  const marksOf = async (flows: Map<string, { partition: number; value: Buffer }>, samples: FlowMarkSample[]): Promise<Map<string, number>> => {
    for (const f of flows.values()) {
      try {
        const ev = await o.flowMarks!.registry.decode<FlowEvent>(TOPICS.flowsNorm, f.value);
        samples.push({ exporterId: ev.exporterId, partition: f.partition, exportTime: ev.exportTime });
      } catch { /* dead-lettered when first read */ }
    }
    return batchMarks(samples);
  };
  let writing: Promise<void> = Promise.resolve();
  let failed: { e: unknown } | undefined;
  const flush = async (): Promise<void> => {
    const reqs = buf;
    const offsets = bufAt;
    const flows = lastFlows;
    const marked = markRecords;
    buf = [];
    bufAt = new Map();
    lastFlows = new Map();
    markRecords = [];
    await writing; // one write in flight while the next batches are read
    if (failed) throw failed.e;
    writing = (async () => {
      await o.store.bulkIndex(reqs, seen);
      // the watermark moves only over records already in their windows (as the correlator's)
      if (marks && (flows.size > 0 || marked.length > 0)) await marks.advance(await marksOf(flows, marked));
      // the offsets are recorded after their events are written, and only beside this run
      if ((await cmds.ctRebuildProgress(REBUILD_PROGRESS, run, ...[...offsets].flatMap(([tp, off]) => [tp, String(off)]))) !== 1) throw lostDuringRebuild();
      events += reqs.length;
      for (const [tp, off] of offsets) at.set(tp, off);
      await o.onProgress?.(progress(false));
    })().catch((e: unknown) => { failed = { e }; });
  };
  const ticker = setInterval(() => { void o.onProgress?.(progress(false)); }, 1_000);
  try {
    await replayTopics({
      kafka: o.kafka, admin: o.admin, topics: [TOPICS.flowsNorm, TOPICS.sessionsNorm], idleTimeoutMs: o.idleTimeoutMs,
      ...replayFetch(o.fetchBytes),
      startOffset: async (topic, partition) => {
        const found = await o.admin.fetchTopicOffsetsByTimestamp(topic, horizonOf(topic) - (o.slackMs ?? DEFAULT_REBUILD_SLACK_MS));
        const byTime = found.find((p) => p.partition === partition)?.offset;
        const done = resume[`${topic}/${partition}`];
        if (done === undefined) return byTime;
        return byTime === undefined || Number(byTime) < 0 ? byTime : String(Math.max(Number(byTime), Number(done)));
      },
      onPlan: (plan) => { for (const p of plan) { to.set(`${p.topic}/${p.partition}`, p.to); at.set(`${p.topic}/${p.partition}`, p.from); } },
      onBatch: async (topic, partition, messages) => {
        if (failed) throw failed.e;
        if (messages.length === 0) return;
        const horizon = horizonOf(topic);
        const lastOfBatch = new Map<string, Buffer>();
        for (const m of messages) {
          const msg: ConsumedMessage = { topic, partition, offset: m.offset, key: m.key ?? null, value: m.value ?? null, headers: m.headers ?? {}, timestamp: Number(m.timestamp) };
          const mark = topic === TOPICS.flowsNorm ? flowMarkOf(msg) : null;
          if (mark) { if (marks && Number.isFinite(mark.exportTime)) markRecords.push(mark); continue; }
          let r: IndexRequest;
          try { r = indexRequestOf(msg); } catch { skipped++; continue; } // dead-lettered when first read
          if (r.time < horizon) { skipped++; continue; }
          buf.push(r);
          if (marks && topic === TOPICS.flowsNorm) lastOfBatch.set(r.uid.slice(0, r.uid.indexOf('/')), m.value!);
        }
        // copied: a record's value is a slice of its fetch response, which it would keep whole
        // (up to the fetch size) until the flush
        for (const [exporter, value] of lastOfBatch) lastFlows.set(`${exporter}|${partition}`, { partition, value: Buffer.from(value) });
        bufAt.set(`${topic}/${partition}`, Number(messages[messages.length - 1]!.offset) + 1);
        if (buf.length >= (o.flushEvents ?? FLUSH_EVENTS)) await flush();
      },
    });
    await flush();
    await writing;
    if (failed) throw failed.e;
  } finally {
    clearInterval(ticker);
  }
  // marked built only if Redis still holds this run's progress (nothing was flushed meanwhile);
  // the progress is dropped by PEXPIRE 0 (deleted at once): the correlator's Redis user has no DEL (with
  // DEL on its key patterns it could delete the windows' events; redis-acl.test.ts)
  if ((await cmds.ctRebuildDone(REBUILD_PROGRESS, STATE_MARKER, run, new Date(now()).toISOString())) !== 1) throw lostDuringRebuild();
  const last = progress(true);
  await o.onProgress?.(last);
  return last;
}

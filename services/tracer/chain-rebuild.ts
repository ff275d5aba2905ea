// Rebuilds the tracer's chain state when Redis lost it, from Kafka: the latest full update of
// each trace (trace.state, compacted) and its request (trace.requests: the OPEN, expiry moved
// by EXTENDs). An open chain gets back its seq, status, hops and the lookups it wants; then
// the engine registers those lookups again and probes their windows (engine.reprobe), so
// what arrived while the state was lost is found and published with the next seq — never a
// seq partners already saw. Run after the windows are back (state-rebuild.ts marker).
import type { Admin, Kafka } from 'kafkajs';
import type { Redis } from 'ioredis';
import type { TraceRequest, TraceUpdate } from '../../schemas/types.gen.ts';
import type { Logger } from '../common/logger.ts';
import type { RegistryClient } from '../common/registry.ts';
import { replayTopics } from '../common/topic-replay.ts';
import { extendedExpiry } from '../common/extend-step.ts';
import { STATE_MARKER } from '../join/state-rebuild.ts';
import { TOPICS } from '../common/topics.ts';
import type { ChainStore } from './chain-store.ts';
import { restoreChain, type DirectoryLike } from './domain/chain.ts';
import type { TracerEngine } from './engine.ts';

/** Present = the chain state in this Redis was built from Kafka (or started empty with it). */
export const CHAINS_MARKER = 'ct:chains:built';
const FINAL = new Set(['CLOSED', 'EXPIRED']);

/** True when trace.state holds chains but Redis has no marker: its chain state is gone. */
export async function chainStateLost(redis: Redis, admin: Admin): Promise<boolean> {
  if ((await redis.exists(CHAINS_MARKER)) === 1) return false;
  const offsets = await admin.fetchTopicOffsets(TOPICS.traceState).catch(() => []);
  return offsets.some((p) => Number(p.high) > Number(p.low));
}

/** At start on a Redis that lost nothing: marks it (a first start, trace.state empty). */
export async function markChainsBuiltUnlessLost(redis: Redis, admin: Admin): Promise<void> {
  if (!(await chainStateLost(redis, admin))) await redis.set(CHAINS_MARKER, new Date().toISOString(), 'NX');
}

export async function rebuildChains(d: {
  kafka: Kafka; admin: Admin; redis: Redis; registry: RegistryClient; chains: ChainStore; engine: TracerEngine; logger: Logger; now?: () => number;
  /** Where relay lookups open (the engine's directory). */
  directory: DirectoryLike;
}): Promise<{ traces: number; reopened: number; updates: number; ms: number }> {
  const now = d.now ?? Date.now;
  const t0 = now();
  const requests = new Map<string, TraceRequest>();
  const latest = new Map<string, TraceUpdate>();
  await replayTopics({
    kafka: d.kafka, admin: d.admin, topics: [TOPICS.traceRequests, TOPICS.traceState],
    onBatch: async (topic, _p, messages) => {
      for (const m of messages) {
        if (!m.value) continue;
        try {
          if (topic === TOPICS.traceRequests) {
            const r = await d.registry.decode<TraceRequest>(topic, m.value);
            const have = requests.get(r.traceId);
            if (r.action === 'OPEN' && !have) requests.set(r.traceId, r);
            else if (have && r.action === 'EXTEND') requests.set(r.traceId, { ...have, expiresAt: extendedExpiry(have.expiresAt, r.expiresAt) });
          } else {
            const u = await d.registry.decode<TraceUpdate>(topic, m.value);
            if ((latest.get(u.traceId)?.seq ?? 0) < u.seq) latest.set(u.traceId, u);
          }
        } catch (e) { d.logger.warn({ err: e, topic, offset: m.offset }, 'chain rebuild: record skipped (it was dead-lettered when first read)'); }
      }
    },
  });
  let reopened = 0;
  let updates = 0;
  for (const [traceId, u] of latest) {
    const req = requests.get(traceId);
    if (!req || FINAL.has(u.status)) continue; // past its expiry: the tick expires it (and says so)
    // CAS on "absent": a chain the running tracer already holds again is left alone
    if (!(await d.chains.save(traceId, -1, restoreChain(req, u, now(), d.directory, d.engine.options), true))) continue;
    reopened++;
    updates += (await d.engine.reprobe(traceId)).length;
  }
  await d.redis.set(CHAINS_MARKER, new Date(now()).toISOString());
  return { traces: latest.size, reopened, updates, ms: now() - t0 };
}

type RebuildDeps = Parameters<typeof rebuildChains>[0];

/** Waits for the windows to be back (the correlator rebuilds them; up to 10 min), then
 *  rebuilds the chains, so a lookup registered again finds what arrived meanwhile. */
export async function recoverChains(d: RebuildDeps & { stopping(): boolean }): Promise<void> {
  for (let i = 0; i < 600 && !d.stopping() && (await d.redis.exists(STATE_MARKER)) === 0; i++) await new Promise((r) => setTimeout(r, 1_000));
  if (d.stopping()) return;
  const r = await rebuildChains(d);
  d.logger.warn(r, 'chain state rebuilt from Kafka');
}

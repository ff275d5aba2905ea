// A trace opened while the windows are being rebuilt from Kafka (after a FLUSHALL, a Redis
// restart without its AOF, a layout bump). The replay writes a partition in offset order, so a
// window read midway holds a prefix of its records: here the CGN's port-block log of one public
// address, where an earlier subscriber's block START (the decoy) comes before its STOP and
// before the START of the subscriber who held the block at the observed time. Read alone, the
// decoy's START is an open block covering the observation: before the fence the tracer decided
// it at 1.0, a wrong subscriber. With the fence the read decides nothing while the windows'
// marker is missing, and once the rebuild marks them built (a new marker value) the tracer reads
// the chain again and finds the true subscriber. Tracer as a service, real Kafka, registry, Redis;
// the rebuild's writes are made with the window store's own index (what a rebuild leaves).
import type { Consumer, Producer } from 'kafkajs';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionEvent, TraceRequest, TraceUpdate } from '../schemas/types.gen.ts';
import type { RegistryClient } from '../services/common/registry.ts';
import { TOPICS } from '../services/common/topics.ts';
import { indexRequestOf } from '../services/join/index-request.ts';
import { STATE_MARKER } from '../services/join/state-rebuild.ts';
import { createWindowStore } from '../services/join/window-store.ts';
import { CHAINS_MARKER } from '../services/tracer/chain-rebuild.ts';
import { WINDOWS_READ_UNDER } from '../services/tracer/chain-store.ts';
import { DEFAULT_CHAIN_OPTIONS } from '../services/tracer/domain/chain-status.ts';
import { normContext, normalisedMessages } from './support/norm-records.ts';
import { pipelineServices } from './support/pipeline.ts';
import { pipelineReady, readerAtEnd, waitHealthy } from './support/services.ts';
import { stackEndpoints } from './support/stack.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const DB = 13; // a database of its own, emptied: the windows start "lost"

describe('the windows\' fence: a trace opened while the windows are rebuilt', () => {
  const stops: (() => Promise<void>)[] = [];
  let registry: RegistryClient;
  let producer: Producer;
  let consumer: Consumer;
  let redis: Redis;
  const updates: TraceUpdate[] = [];
  const run = `fence-${Date.now().toString(36)}`;
  const now = Date.now();
  const tObs = now - 60_000;
  const h = Number.parseInt(run.slice(-4), 36);
  const cgn = `198.51.100.${1 + (h % 250)}`;
  const decoyInside = `100.65.${h % 200}.7`;
  const trueInside = `100.65.${h % 200}.8`;
  const base = { exportTime: now, natEvent: null, protocol: null, outsideAddr: null, outsidePort: null, portRangeStart: null, portRangeEnd: null,
    insideAddr: null, insidePort: null, framedIpAddress: null, framedIpv6Prefix: null, delegatedIpv6Prefix: null, acctSessionId: null,
    acctDelayTime: null, subscriberHandle: null, jurisdiction: null, providerId: null, clockOffsetMs: 0 } as const;
  const block = (id: string, action: 'START' | 'STOP', at: number, inside: string): SessionEvent => ({
    ...base, eventId: `${run}-${id}`, exporterId: 'fr-cgn-1', kind: 'PORT_BLOCK', action, natEvent: action === 'START' ? 16 : 17,
    eventTime: at, outsideAddr: cgn, portRangeStart: 39936, portRangeEnd: 40447, insideAddr: inside,
  });
  const radius = (id: string, inside: string, handle: string): SessionEvent => ({
    ...base, eventId: `${run}-${id}`, exporterId: 'fr-bng-1', kind: 'ACCESS_SESSION', action: 'START',
    eventTime: tObs - 1_200_000, framedIpAddress: inside, acctSessionId: `${run}-${id}`, subscriberHandle: handle, acctDelayTime: 0,
  });
  // the CGN's log in its order (one window, one partition): the decoy's block, released, then the true one's
  const decoyStart = block('pb-1', 'START', tObs - 1_200_000, decoyInside);
  const decoyStop = block('pb-1-stop', 'STOP', tObs - 900_000, decoyInside);
  const trueStart = block('pb-2', 'START', tObs - 600_000, trueInside);
  const subscribers = [radius('acct-d', decoyInside, `fr-sub-decoy-${run}`), radius('acct-t', trueInside, `fr-sub-true-${run}`)];
  const request: TraceRequest = {
    traceId: `trace-${run}`, action: 'OPEN', requestingJurisdiction: 'GB', legalBasis: 'ART33_REALTIME_TRAFFIC', caseReference: `GB-NCA-${run}`,
    srcAddr: cgn, srcPort: 40001, dstAddr: '192.0.2.10', dstPort: 443, protocol: 6, observedTime: tObs, toleranceMs: 5000,
    requestedAt: now, expiresAt: now + 3_600_000,
  };
  const services = pipelineServices({ name: 'fence', stack: { ...stackEndpoints(), redisUrl: `${stackEndpoints().redisUrl.replace(/\/\d+$/, '')}/${DB}` },
    env: { TRACER: { CROSSTRACE_TRACER_STALL_AFTER_MS: '3000', CROSSTRACE_TRACER_MAX_SESSION_AGE_MS: '7200000' } } });
  const store = () => createWindowStore(redis, { retentionMs: 3_600_000, sessionRetentionMs: 7_200_000 });
  /** What the rebuild writes: the records' normalised copies indexed into their windows. */
  const rebuildWrites = async (sessions: SessionEvent[]) => {
    const reqs = normalisedMessages(registry, normContext(), { sessions }).flatMap(({ topic, messages }) => messages.map((m, i) => indexRequestOf({
      topic, partition: 0, offset: String(i), key: Buffer.from(m.key), value: m.value, headers: m.headers, timestamp: Date.now(),
    })));
    await store().indexMany(reqs, Date.now());
  };
  let first: Awaited<ReturnType<typeof services.tracer>> | undefined;
  const metricOf = async (port: number, name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text())?.[1] ?? 0);
  const decides = (u: TraceUpdate, inside: string) => u.hops.some((x) => x.leadsToAddr === inside && x.rank === 1 && x.confidence >= DEFAULT_CHAIN_OPTIONS.decisiveConfidence);

  beforeAll(async () => {
    const stack = stackEndpoints();
    redis = new Redis(services.stack.redisUrl);
    await redis.flushdb();
    await redis.set(CHAINS_MARKER, new Date().toISOString()); // the chains are whole; only the windows are being rebuilt
    const ready = await pipelineReady(stack, 'fence', [TOPICS.sessionsNorm, TOPICS.traceRequests, TOPICS.traceUpdates]);
    registry = ready.registry;
    producer = ready.kafka.producer();
    await producer.connect();
    consumer = await readerAtEnd(ready.kafka, stack, 'fence-reader', [TOPICS.traceUpdates], 50);
    await consumer.run({ eachMessage: async ({ message }) => {
      if (message.key?.toString() === request.traceId) updates.push(await registry.decode<TraceUpdate>(TOPICS.traceUpdates, message.value));
    } });
  }, 300_000);

  afterAll(async () => {
    await first?.stop();
    await consumer?.disconnect();
    await producer?.disconnect();
    for (const s of stops.reverse()) await s();
    redis?.disconnect();
  });

  it('decides nothing from a window read midway through the rebuild, then the true subscriber once it is built', async () => {
    // the rebuild has written the subscribers' RADIUS windows and the first record of the CGN's
    if (await redis.exists(STATE_MARKER)) throw new Error('the windows\' marker must be missing here');
    await rebuildWrites([...subscribers, decoyStart]);
    const t = await services.tracer();
    first = t;
    await waitHealthy(t.port());
    await producer.send({ topic: TOPICS.traceRequests, messages: [{ key: request.traceId, value: registry.encode(TOPICS.traceRequests, request) }] });
    const metric = (name: string) => metricOf(t.port(), name);
    for (let i = 0; i < 600 && (updates.length === 0 || await metric('crosstrace_tracer_window_reads_deferred_total') === 0); i++) await sleep(100);
    expect(updates.length, 'the trace opened').toBeGreaterThan(0);
    expect(await metric('crosstrace_tracer_window_reads_deferred_total')).toBeGreaterThan(0);
    await sleep(3_000); // ticks (200 ms) and a stall check (3 s) pass on the partial window
    const health = await (await fetch(`http://127.0.0.1:${t.port()}/healthz`)).json() as { windows: string };
    expect(health.windows).toMatch(/not built/);
    expect(await metric('crosstrace_tracer_windows_built')).toBe(0);
    expect(updates.filter((u) => decides(u, decoyInside)).map((u) => u.seq), 'no update decides the decoy\'s block').toEqual([]);
    expect(updates.some((u) => u.status === 'TERMINATED_AT_SUBSCRIBER')).toBe(false);
    // the deferred read is kept with the chain (a restart, or a race with the tick, cannot lose it)
    const stored = async () => JSON.parse((await redis.hget(`ct:chain:{${request.traceId}}`, 'state'))!) as { unbuiltReads?: string[]; lookups: { lookupId: string }[] };
    const kept = await stored();
    expect(kept.unbuiltReads, 'the deferred lookup, kept with the chain').toEqual([kept.lookups[0]!.lookupId]);

    // the rebuild writes the rest of the CGN's log, then marks the windows built (rebuild-done.lua)
    await rebuildWrites([decoyStop, trueStart]);
    await redis.set(STATE_MARKER, new Date().toISOString());
    // no flow records of the subscriber's line here: the chain ends at its owner, or AMBIGUOUS
    // between the owner and a client it may relay for (relay-settling.ts) — either way the owner
    // found is the true one
    const owner = (u: TraceUpdate) => u.hops.filter((x) => x.subscriberHandle !== null && x.rank === 1).map((x) => x.subscriberHandle);
    for (let i = 0; i < 600 && !(updates.length > 0 && decides(updates.at(-1)!, trueInside) && owner(updates.at(-1)!).length > 0); i++) await sleep(100);
    const last = updates.at(-1)!;
    expect(decides(last, trueInside), `last update: seq ${last.seq} ${last.status} ${last.change}`).toBe(true);
    expect(owner(last)).toEqual([`fr-sub-true-${run}`]);
    expect(updates.flatMap(owner).filter((x) => x !== `fr-sub-true-${run}`), 'no other subscriber named').toEqual([]);
    expect(updates.filter((u) => decides(u, decoyInside)).map((u) => u.seq), 'no update ever decided the decoy').toEqual([]);
    expect(await metric('crosstrace_tracer_chains_reread_after_rebuild_total')).toBeGreaterThan(0);
    expect(await metric('crosstrace_tracer_windows_built')).toBe(1);
    expect((await stored()).unbuiltReads, 'cleared by the read on built windows').toBeUndefined();
  }, 300_000);

  it('a tracer that was down while the windows were built anew reads every open chain again when it starts, and only then', async () => {
    expect(first, 'the first test ran').toBeDefined();
    const built = await redis.get(STATE_MARKER);
    // the running tracer read every open chain under this build (the first test): it says so beside the chains
    for (let i = 0; i < 100 && (await redis.get(WINDOWS_READ_UNDER)) !== built; i++) await sleep(100);
    expect(await redis.get(WINDOWS_READ_UNDER)).toBe(built);
    expect(await redis.sismember('ct:traces:open', request.traceId), 'the traced chain is still open').toBe(1);
    await first!.stop();
    first = undefined;
    // meanwhile a rebuild ran and marked the windows built anew (a new value)
    const again = new Date(Date.now() + 1).toISOString();
    await redis.set(STATE_MARKER, again);
    const t2 = await services.tracer();
    try {
      await waitHealthy(t2.port());
      for (let i = 0; i < 100 && await metricOf(t2.port(), 'crosstrace_tracer_chains_reread_after_rebuild_total') === 0; i++) await sleep(100);
      expect(await metricOf(t2.port(), 'crosstrace_tracer_chains_reread_after_rebuild_total'), 'the open chain read again at start').toBeGreaterThan(0);
      for (let i = 0; i < 100 && (await redis.get(WINDOWS_READ_UNDER)) !== again; i++) await sleep(100);
      expect(await redis.get(WINDOWS_READ_UNDER)).toBe(again);
    } finally { await t2.stop(); }
    // a restart on the same build reads nothing again
    const t3 = await services.tracer();
    try {
      await waitHealthy(t3.port());
      await sleep(2_000); // ten ticks
      expect(await metricOf(t3.port(), 'crosstrace_tracer_windows_built')).toBe(1);
      expect(await metricOf(t3.port(), 'crosstrace_tracer_chains_reread_after_rebuild_total'), 'no chain read again').toBe(0);
    } finally { await t3.stop(); }
    expect(updates.filter((u) => decides(u, decoyInside)).map((u) => u.seq), 'no update ever decided the decoy').toEqual([]);
  }, 120_000);
});

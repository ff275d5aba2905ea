// The correlator's wake reads: the waiters a batch meets on one window part are read in one
// script call (range-many.lua) that reads the events they share once, and those events are
// decoded once and shared by every waiter's matcher. Each waiter must see exactly the events, in
// the order and with the truncated flag, that a read of its own (range-events.lua, the oracle)
// gives it, whatever the ranges' overlap, ties in event time, limits or missing payloads; and the
// hops the correlator stage publishes must be those each waiter resolves from a read of its own
// with events decoded for it alone.
import type { Producer } from 'kafkajs';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowEvent, SessionEvent } from '../schemas/types.gen.ts';
import type { ConsumedMessage } from '../services/common/kafka.ts';
import { createLogger } from '../services/common/logger.ts';
import { createProviderDirectory, loadProvidersFile } from '../services/common/provider-directory.ts';
import { createRegistryClient, type RegistryClient } from '../services/common/registry.ts';
import { TOPICS } from '../services/common/topics.ts';
import { createCorrelatorMetrics } from '../services/correlator/metrics.ts';
import { createCorrelatorPipeline } from '../services/correlator/pipeline.ts';
import { indexRequestOf } from '../services/join/index-request.ts';
import { markStateBuilt } from '../services/join/state-rebuild.ts';
import { DEFAULT_JOIN_SETTINGS, lookupRange, resolveLookup, type ReadRange } from '../services/join/join.ts';
import type { IndexedEvent, Lookup, LookupMode } from '../services/join/join-types.ts';
import { relayScenario } from '../services/simulator/relay-fixtures.ts';
import { memberOf, partKeys } from '../services/join/window-layout.ts';
import { createWindowStore, encodeStored, type IndexRequest, type StoredEvent } from '../services/join/window-store.ts';
import { stackEndpoints } from './support/stack.ts';

/** A small deterministic generator (the cases are reproducible from the seed printed on failure). */
function lcg(seed: number) {
  let s = seed >>> 0;
  return (n: number) => { s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0; return s % n; };
}
const show = (e: StoredEvent) => `${e.kind}/${e.producedAt}/${e.value.toString('hex')}`;

describe('wake reads: many waiters of one window part in one read', () => {
  let redis: Redis;
  beforeAll(() => { redis = new Redis(stackEndpoints().redisUrl); });
  afterAll(() => redis.disconnect());

  for (const mode of ['session', 'relay'] as const satisfies readonly LookupMode[]) {
    it(`gives each of 400 overlapping ${mode} ranges the events, order and cut of a read of its own`, async () => {
      const seed = Date.now() % 1_000_000;
      const rnd = lcg(seed);
      const base = 1_800_000_000_000;
      const key = `wk-${mode}-${seed}|203.0.113.77`;
      const store = createWindowStore(redis, { retentionMs: 400 * 86_400_000 });
      // 3000 events on 400 distinct times: many ties in score (ordered by member within a time)
      const reqs: IndexRequest[] = Array.from({ length: 3000 }, (_, i) => {
        const time = base + 1_000 * rnd(400);
        const kind = mode === 'session' ? 'session' : i % 2 ? 'flow-in' : 'flow-out';
        return { key, uid: `x/${seed}-${i}:${kind}`, time, payload: encodeStored({ kind, producedAt: time + i, value: Buffer.from(`event ${i}`) }) };
      });
      for (let i = 0; i < reqs.length; i += 500) await store.indexMany(reqs.slice(i, i + 500), base);
      // members whose payload is gone (the zset and hash out of step): a read leaves them out
      const [hashKey] = partKeys(key, mode === 'relay' ? 'flow' : 'session');
      for (const i of [5, 77, 1500, 2999]) await redis.hdel(hashKey, memberOf(reqs[i]!.uid));
      // ranges on and between the events' times, overlapping, with small and large limits, and
      // degenerate ones (an empty core, a side beyond the core, nothing in range)
      const at = () => base + 1_000 * rnd(420) - 10_000 + [0, 0, 1, -1, 500][rnd(5)]!;
      const ranges: ReadRange[] = Array.from({ length: 400 }, (_, i) => {
        const coreFrom = at();
        const coreTo = i % 37 === 0 ? coreFrom - 2_000 : coreFrom + 1_000 * rnd(30);
        const from = i % 41 === 0 ? coreFrom + 5_000 : coreFrom - 1_000 * rnd(200);
        const to = i % 43 === 0 ? coreTo - 5_000 : coreTo + 1_000 * rnd(200);
        return { from, coreFrom, coreTo, to, limit: [1, 3, 10, 100, 5_000][rnd(5)]! };
      });
      ranges.push({ ...ranges[3]! }, { from: base - 9e6, coreFrom: base - 8e6, coreTo: base - 7e6, to: base - 6e6, limit: 10 });

      const many = await store.rangeMany(key, ranges, mode);
      let cut = 0;
      let shared = 0;
      for (let i = 0; i < ranges.length; i++) {
        const own = await store.range(key, ranges[i]!, mode);
        const got = many.reads[i]!;
        expect(got.picks.map((p) => show(many.stored[p]!)), `seed ${seed} range ${i} ${JSON.stringify(ranges[i])}`).toEqual(own.events.map(show));
        expect(got.truncated, `seed ${seed} range ${i}`).toBe(own.truncated);
        if (own.truncated) cut++;
        shared += own.events.length;
      }
      // the cases did reach cuts, and the reads did share events
      expect(cut).toBeGreaterThan(20);
      expect(many.stored.length).toBeLessThan(shared / 10);
    });
  }

  it('runs as the correlator\'s Redis user (its ACL grants what range-many calls)', async (ctx) => {
    const userUrl = stackEndpoints().redisUserUrls?.correlator;
    if (!userUrl) { ctx.skip(); return; }
    const as = new Redis(userUrl);
    try {
      const key = `wk-acl-${Date.now()}|203.0.113.78`;
      const store = createWindowStore(as, { retentionMs: 86_400_000 });
      const t = 1_800_000_000_000;
      await store.indexMany([{ key, uid: 'x/acl-1', time: t, payload: encodeStored({ kind: 'session', producedAt: t, value: Buffer.from('a') }) }], t);
      const read = await store.rangeMany(key, [{ from: t - 10, coreFrom: t - 1, coreTo: t + 1, to: t + 10, limit: 10 }], 'session');
      expect(read.reads[0]!.picks.map((p) => read.stored[p]!.value.toString())).toEqual(['a']);
    } finally { as.disconnect(); }
  });

  it('answers every event of a hot window in one index-many call with its waiters', async () => {
    const now = Date.now();
    const key = `wk-hot-${now}|203.0.113.79`;
    const store = createWindowStore(redis, { retentionMs: 86_400_000 });
    const ids = Array.from({ length: 5 }, (_, i) => `wk-hot-${now}-${i}`);
    for (const id of ids) {
      await store.registerAndProbe(key, { lookupId: id, traceId: id, mode: 'session', windowFrom: now, windowTo: now } as Lookup, now + 60_000,
        { from: now, coreFrom: now, coreTo: now, to: now, limit: 10 }, now);
    }
    const reqs = Array.from({ length: 300 }, (_, i) => ({ key: i % 3 ? key : `wk-cold-${now}-${i}|198.19.0.1`, uid: `x/hot-${now}-${i}`, time: now,
      payload: encodeStored({ kind: 'session', producedAt: now, value: Buffer.from(`e${i}`) }) }));
    const res = await store.indexMany(reqs, now);
    for (let i = 0; i < reqs.length; i++) expect(res[i]!.waiters.map((w) => w.lookupId).sort(), `event ${i}`).toEqual(i % 3 ? ids : []);
  });
});

describe('correlator stage: hops from shared wake reads', () => {
  let redis: Redis;
  let registry: RegistryClient;
  beforeAll(async () => {
    // a database of its own, emptied: its windows start unbuilt (no STATE_MARKER)
    redis = new Redis(`${stackEndpoints().redisUrl.replace(/\/\d+$/, '')}/14`);
    await redis.flushdb();
    registry = createRegistryClient({ url: stackEndpoints().schemaRegistryUrl });
    await registry.ensureSubjects([TOPICS.sessionsNorm, TOPICS.flowsNorm, TOPICS.traceHops]);
  });
  afterAll(() => redis.disconnect());

  it('publishes, for 100 waiters with overlapping windows on a CGN address and a relay, the hops each resolves from its own read', async () => {
    const seed = Date.now() % 1_000_000;
    const rnd = lcg(seed);
    const now = Date.now();
    const t0 = now - 3_600_000;
    const run = `wks${seed}`;
    const cgn = '198.51.100.77';
    const victim = '192.0.2.10';
    const key = (a: string) => `${run}|${a}`;
    const settings = { ...DEFAULT_JOIN_SETTINGS, windowReadLimit: 150 }; // some reads are cut
    const directory = createProviderDirectory(loadProvidersFile(new URL('../deploy/providers.json', import.meta.url).pathname));
    // retention long enough for the relay scenario's flows (2025) not to be trimmed as old
    const store = createWindowStore(redis, { retentionMs: 1_000 * 86_400_000 });
    const ports = [40_001, 40_002, 40_003, 41_000, 50_123];
    const session = (i: number, t: number): SessionEvent => {
      const block = i % 3 === 0;
      const lo = 40_000 + 256 * rnd(8);
      return { eventId: `${run}-s${i}`, exporterId: 'fr-cgn-1', exportTime: t + 500, kind: block ? 'PORT_BLOCK' : 'NAT_SESSION', action: i % 7 === 6 ? 'STOP' : 'START',
        natEvent: block ? (i % 7 === 6 ? 17 : 16) : (i % 7 === 6 ? 5 : 4), eventTime: t, protocol: block ? null : 6, outsideAddr: cgn,
        outsidePort: block ? null : ports[rnd(ports.length)]!, portRangeStart: block ? lo : null, portRangeEnd: block ? lo + 255 : null,
        insideAddr: `100.64.0.${1 + rnd(20)}`, insidePort: block ? null : 1024 + rnd(1000), framedIpAddress: null, framedIpv6Prefix: null, delegatedIpv6Prefix: null,
        acctSessionId: null, acctDelayTime: null, subscriberHandle: null, jurisdiction: 'FR', providerId: 'fr-telecom', clockOffsetMs: 0 };
    };
    // the relay: the simulator's traffic through a stepping stone (one inbound feeds the
    // outbound toward the peer, among unrelated connections), under this run's window key
    const sc = relayScenario({ seed: 1 + (seed % 50), concurrent: 40 });
    const relay = sc.lookup.addr;
    const flowMsg = (e: IndexedEvent, i: number): ConsumedMessage => {
      if (e.kind !== 'flow') throw new Error('the relay scenario has flows only');
      return { topic: TOPICS.flowsNorm, partition: 0, offset: String(i), key: Buffer.from(key(relay)), value: registry.encode(TOPICS.flowsNorm, { ...e.ev, eventId: `${run}-${e.ev.eventId}` }),
        timestamp: now, headers: { 'ct-uid': `${e.ev.exporterId}/${run}-${e.ev.eventId}`, 'ct-time': String(e.ev.startTime), 'ct-origin-ts': String(e.producedAt), 'ct-dir': e.dir } };
    };
    const msg = (i: number): ConsumedMessage => {
      const t = t0 + rnd(3_000_000);
      const s = session(i, t);
      return { topic: TOPICS.sessionsNorm, partition: 0, offset: String(i), key: Buffer.from(key(cgn)), value: registry.encode(TOPICS.sessionsNorm, s), timestamp: now,
        headers: { 'ct-uid': `fr-cgn-1/${s.eventId}`, 'ct-time': String(t), 'ct-origin-ts': String(now) } };
    };
    // 100 waiters with overlapping windows (as the tracer registers them), then the windows'
    // history, then one batch through the stage that meets every waiter
    const waiters: Lookup[] = Array.from({ length: 100 }, (_, j) => {
      const id = { lookupId: `${run}-l${j}`, traceId: `${run}-t${j}` };
      if (j % 5 >= 3) { // relay waiters: the scenario's lookup, its window shifted and stretched
        const shift = 5_000 * (rnd(13) - 6);
        return { ...sc.lookup, ...id, windowFrom: sc.lookup.windowFrom + shift, windowTo: sc.lookup.windowTo + shift + 1_000 * rnd(20) };
      }
      const obs = t0 + 60_000 * rnd(50);
      return { ...id, parentHopId: null, depth: 1, mode: 'session', addr: cgn, scopeProviderId: null, port: j % 7 === 0 ? null : ports[rnd(ports.length)]!, protocol: 6,
        peerAddr: victim, peerPort: 22, windowFrom: obs - 2_000, windowTo: obs + 2_000 + 1_000 * rnd(120), since: now };
    });
    for (const w of waiters) await store.registerAndProbe(key(w.addr), w, now + 3_600_000, lookupRange(w, settings), now);
    const flows = sc.events.map(flowMsg);
    const history = [...Array.from({ length: 1_000 }, (_, i) => msg(i)), ...flows.slice(0, -40)];
    await store.indexMany(history.map(indexRequestOf), now);
    // sessions (with a port block: it wakes every session waiter, whatever its port) and the
    // relay's last flows (each wakes every relay waiter)
    const batch = [...Array.from({ length: 200 }, (_, i) => msg(10_000 + i)), msg(30_000), ...flows.slice(-40)];

    const published: Buffer[] = [];
    const producer = { sendBatch: async ({ topicMessages }: { topicMessages: { topic: string; messages: { value: Buffer }[] }[] }) => {
      for (const t of topicMessages) if (t.topic === TOPICS.traceHops) published.push(...t.messages.map((m) => m.value));
      return [];
    } } as unknown as Producer;
    // while the windows are not built (a rebuild from Kafka runs: no marker), a wake read
    // resolves nothing: the windows may hold a decoy's record and not yet the true one's
    const unbuilt = createCorrelatorMetrics();
    const early = createCorrelatorPipeline({ store, registry, producer, directory, settings, metrics: unbuilt, logger: createLogger('test', 'silent') });
    await early.handle(Array.from({ length: 20 }, (_, i) => msg(20_000 + i)));
    const deferred = (await unbuilt.stage.registry.getSingleMetric('crosstrace_correlator_wakes_deferred_total')!.get()).values[0]!.value;
    expect(deferred, 'wakes deferred while unbuilt').toBeGreaterThan(0);
    expect(published, 'no hop from an unbuilt window').toEqual([]);
    await markStateBuilt(redis);

    const metrics = createCorrelatorMetrics();
    const p = createCorrelatorPipeline({ store, registry, producer, directory, settings, metrics, logger: createLogger('test', 'silent') });
    await p.handle(batch);
    expect((await metrics.stage.registry.getSingleMetric('crosstrace_correlator_wakes_deferred_total')!.get()).values[0]?.value ?? 0).toBe(0);
    const woken = (await metrics.stage.registry.getSingleMetric('crosstrace_correlator_waiter_wakeups_total')!.get()).values[0]!.value;
    expect(woken).toBe(waiters.length);

    // the oracle: each waiter's own read, its events decoded for it alone, here with the
    // registry's decode (not the stage's own decoding: toIndexed)
    const decodeOwn = (events: StoredEvent[]): Promise<IndexedEvent[]> => Promise.all(events.map(async (e): Promise<IndexedEvent> => (e.kind === 'session'
      ? { kind: 'session', ev: await registry.decode<SessionEvent>(TOPICS.sessionsNorm, e.value), producedAt: e.producedAt }
      : { kind: 'flow', dir: e.kind === 'flow-in' ? 'in' : 'out', ev: await registry.decode<FlowEvent>(TOPICS.flowsNorm, e.value), producedAt: e.producedAt })));
    const expected: Buffer[] = [];
    let truncated = 0;
    for (const w of waiters) {
      const own = await store.range(key(w.addr), lookupRange(w, settings), w.mode);
      if (own.truncated) truncated++;
      for (const h of resolveLookup(w, await decodeOwn(own.events), directory, settings)) expected.push(registry.encode(TOPICS.traceHops, h));
    }
    const sorted = (xs: Buffer[]) => xs.map((x) => x.toString('hex')).sort();
    expect(sorted(published), `seed ${seed}`).toEqual(sorted(expected));
    // the case is not empty: hops of both kinds of waiter, and cut reads
    const methods = new Set(await Promise.all(published.map(async (b) => (await registry.decode<{ method: string }>(TOPICS.traceHops, b)).method)));
    expect(methods.has('RELAY_TIMING') && [...methods].some((m) => m !== 'RELAY_TIMING'), [...methods].join()).toBe(true);
    expect(truncated).toBeGreaterThan(0);
  });
});

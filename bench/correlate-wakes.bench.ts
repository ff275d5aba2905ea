// The correlator's wake path with open traces: normalised events through the correlator stage's
// batch handler (services/correlator/pipeline.ts: decode, index-many, then the waiters met:
// window reads, decoding, matching) against a real Redis and schema registry, into windows that
// each hold W open waiters (lookups as the tracer registers them: a session lookup on a CGN
// address and port, a relay lookup on a hosting server toward the victim), for each W asked, on
// fresh windows each time. W = 0 comes first: the same events with no waiter, the ceiling.
// Prints events/s, CPU per event (this client, and Redis: INFO used_cpu), window reads and hops
// (resolved, and published: exact repeats of a version already published are not, published-hops.ts),
// each W as a ratio to W = 0, and the load average. A CGN address (port blocks: every record
// wakes every session waiter) or a server's flows meet every waiter; hotShare of the events go
// to the W-waiter windows, the rest to windows without waiters.
//   node bench/correlate-wakes.bench.ts [events=20000] [waiters=0,10,100] [hotWindows=10] [hotShare=0.5] [batch=500]
// WAKES_PROFILE=1: a V8 CPU profile of each W's timed part (bench/results/wakes-*.cpuprofile),
// top frames by self time printed (the figures of that run include the profiler's cost).
// Needs the stack env (eval "$(make -s stack-env)"): REDIS_URL, SCHEMA_REGISTRY_URL.
import { writeFileSync, mkdirSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { loadavg } from 'node:os';
import type { Producer } from 'kafkajs';
import { Redis } from 'ioredis';
import type { FlowEvent, SessionEvent } from '../schemas/types.gen.ts';
import type { ConsumedMessage } from '../services/common/kafka.ts';
import { createLogger } from '../services/common/logger.ts';
import { createProviderDirectory, loadProvidersFile } from '../services/common/provider-directory.ts';
import { createRegistryClient } from '../services/common/registry.ts';
import { TOPICS } from '../services/common/topics.ts';
import { createCorrelatorMetrics } from '../services/correlator/metrics.ts';
import { createCorrelatorPipeline } from '../services/correlator/pipeline.ts';
import { DEFAULT_JOIN_SETTINGS, lookupRange } from '../services/join/join.ts';
import type { Lookup } from '../services/join/join-types.ts';
import { markStateBuilt, REBUILD_PROGRESS, STATE_MARKER } from '../services/join/state-rebuild.ts';
import { createWindowStore } from '../services/join/window-store.ts';
import { formatTop, selfTimes, type CpuProfile } from './cpuprofile.ts';
import { deleteKeys, fmt, result } from './lib.ts';

const args = process.argv.slice(2);
const N = Number(args[0] ?? 20_000);
const WS = (args[1] ?? '0,10,100').split(',').map(Number);
const HOT = Number(args[2] ?? 10);
const HOT_SHARE = Number(args[3] ?? 0.5);
const BATCH = Number(args[4] ?? 500);
const PROFILE = process.env.WAKES_PROFILE === '1';
const url = process.env.REDIS_URL;
const registryUrl = process.env.SCHEMA_REGISTRY_URL;
if (!url || !registryUrl) { console.error('REDIS_URL / SCHEMA_REGISTRY_URL not set: eval "$(make -s stack-env)" first'); process.exit(2); }
if (!WS.includes(0)) WS.unshift(0); // the ceiling is always measured
WS.sort((a, b) => a - b);

const root = new URL('..', import.meta.url).pathname;
const registry = createRegistryClient({ url: registryUrl });
await registry.ensureSubjects([TOPICS.sessionsNorm, TOPICS.flowsNorm, TOPICS.traceHops]);
const directory = createProviderDirectory(loadProvidersFile(`${root}deploy/providers.json`));
const settings = { ...DEFAULT_JOIN_SETTINGS };
const redis = new Redis(url);
const admin = new Redis(url);
const store = createWindowStore(redis, { retentionMs: 6 * 3_600_000, sessionRetentionMs: settings.maxSessionAgeMs, maxWaitersPerKey: 0 });
const logger = createLogger('bench', 'error');
// the windows count as built, as after the correlator's start: otherwise every wake read is
// deferred (the windows' fence, window-store.ts) and the bench would time reads that decide nothing
if (!(await markStateBuilt(redis)) && (await redis.exists(STATE_MARKER)) === 0) throw new Error(`the windows are fenced: a rebuild holds ${REBUILD_PROGRESS} (an interrupted rebuild bench or CLI run); run crosstrace rebuild or flush the bench's database`);

const SPAN = 30 * 60_000; // event times over the last 30 min
const rnd = (n: number) => Math.floor(Math.random() * n);
const VICTIM = '192.0.2.10';

const session = (id: string, addr: string, t: number, block: boolean): SessionEvent => {
  const lo = 1024 + 512 * rnd(126);
  return {
    eventId: id, exporterId: 'fr-cgn-1', exportTime: t + 500, kind: block ? 'PORT_BLOCK' : 'NAT_SESSION', action: 'START', natEvent: block ? 16 : 4, eventTime: t,
    protocol: block ? null : 6, outsideAddr: addr, outsidePort: block ? null : 1024 + rnd(64_000), portRangeStart: block ? lo : null, portRangeEnd: block ? lo + 511 : null,
    insideAddr: `100.64.${rnd(250)}.${1 + rnd(250)}`, insidePort: block ? null : 1024 + rnd(60_000), framedIpAddress: null, framedIpv6Prefix: null, delegatedIpv6Prefix: null,
    acctSessionId: null, acctDelayTime: null, subscriberHandle: null, jurisdiction: 'FR', providerId: 'fr-telecom', clockOffsetMs: 0,
  };
};
const flow = (id: string, relay: string, t: number, out: boolean): FlowEvent => ({
  eventId: id, exporterId: 'nl-flow-1', exportTime: t + 60_500, srcAddr: out ? relay : `198.51.100.${1 + rnd(250)}`, srcPort: 1024 + rnd(60_000),
  dstAddr: out ? VICTIM : relay, dstPort: out ? 22 : 443, protocol: 6, startTime: t, endTime: t + 60_000, octets: 1000 + rnd(1e6), packets: 10 + rnd(1000),
  postNatSrcAddr: null, postNatSrcPort: null, endReason: 'ACTIVE_TIMEOUT', jurisdiction: 'NL', providerId: 'nl-hosting', clockOffsetMs: 0,
});

/** One W: fresh windows, W waiters on each hot one, N events through the stage. */
async function runOnce(W: number) {
  const run = `wk${W}x${Date.now().toString(36)}`;
  const now = Date.now();
  const t0 = now - SPAN;
  const cgn = Array.from({ length: Math.ceil(HOT / 2) }, (_, i) => `198.51.100.${10 + i}`);
  const relays = Array.from({ length: Math.floor(HOT / 2) }, (_, i) => `192.88.99.${10 + i}`);
  const key = (addr: string) => `${run}|${addr}`;
  for (const [hosts, mode] of [[cgn, 'session'], [relays, 'relay']] as const) {
    for (const addr of hosts) {
      for (let j = 0; j < W; j++) {
        const obs = t0 + rnd(SPAN);
        const l: Lookup = { lookupId: `${run}-${addr}-${j}`, traceId: `${run}-t${addr}-${j}`, parentHopId: null, depth: 1, mode, addr, scopeProviderId: null,
          port: mode === 'session' ? 1024 + rnd(64_000) : null, protocol: 6, peerAddr: VICTIM, peerPort: 22, windowFrom: obs - 2_000, windowTo: obs + 2_000, since: now };
        await store.registerAndProbe(key(addr), l, now + 3_600_000, lookupRange(l, settings), now);
      }
    }
  }
  // the messages as ingest writes them to flows.norm / sessions.norm (encoded before timing)
  const msgs: ConsumedMessage[] = [];
  for (let i = 0; i < N; i++) {
    const t = t0 + Math.floor((SPAN * i) / N);
    const id = `${run}-e${i}`;
    const hot = Math.random() < HOT_SHARE;
    const relayHot = hot && relays.length > 0 && i % 2 === 1;
    if (relayHot) {
      const out = Math.random() < 0.5;
      const f = flow(id, relays[rnd(relays.length)]!, t, out);
      msgs.push({ topic: TOPICS.flowsNorm, partition: 0, offset: String(i), key: Buffer.from(key(out ? f.srcAddr : f.dstAddr)), value: registry.encode(TOPICS.flowsNorm, f), timestamp: now,
        headers: { 'ct-uid': `${f.exporterId}/${id}`, 'ct-time': String(t), 'ct-origin-ts': String(now), 'ct-dir': out ? 'out' : 'in' } });
    } else {
      const addr = hot ? cgn[rnd(cgn.length)]! : `198.19.${rnd(200)}.${rnd(250)}`;
      const s = session(id, addr, t, Math.random() < 0.7);
      msgs.push({ topic: TOPICS.sessionsNorm, partition: 0, offset: String(i), key: Buffer.from(key(addr)), value: registry.encode(TOPICS.sessionsNorm, s), timestamp: now,
        headers: { 'ct-uid': `${s.exporterId}/${id}`, 'ct-time': String(t), 'ct-origin-ts': String(now) } });
    }
  }
  let hops = 0;
  const producer = { sendBatch: async ({ topicMessages }: { topicMessages: { topic: string; messages: unknown[] }[] }) => {
    for (const t of topicMessages) if (t.topic === TOPICS.traceHops) hops += t.messages.length;
    return [];
  } } as unknown as Producer;
  const metrics = createCorrelatorMetrics();
  const p = createCorrelatorPipeline({ store, registry, producer, directory, settings, metrics, logger });

  const session0 = PROFILE ? new Session() : undefined;
  if (session0) { session0.connect(); await session0.post('Profiler.enable'); await session0.post('Profiler.start'); }
  const rcpu0 = await redisCpuUs();
  const cpu0 = process.cpuUsage();
  const w0 = performance.now();
  for (let i = 0; i < msgs.length; i += BATCH) await p.handle(msgs.slice(i, i + BATCH));
  const sec = (performance.now() - w0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const rcpu = await redisCpuUs() - rcpu0;
  const load = loadavg().map((x) => x.toFixed(1)).join(' ');
  let top = '';
  if (session0) {
    const { profile } = await session0.post('Profiler.stop');
    session0.disconnect();
    mkdirSync(`${root}bench/results`, { recursive: true });
    const file = `bench/results/wakes-w${W}-${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile`;
    writeFileSync(`${root}${file}`, JSON.stringify(profile));
    const s = selfTimes(profile as unknown as CpuProfile);
    top = `profile ${file} (busy ${s.busyMs.toFixed(0)} ms):\n${formatTop(s.frames, 15)}\nby area:\n${formatTop(s.areas, 8)}`;
  }
  const count = async (name: string) => (await metrics.stage.registry.getSingleMetric(name)!.get()).values.reduce((a, v) => a + v.value, 0);
  const woke = await count('crosstrace_correlator_waiter_wakeups_total');
  const skipped = await count('crosstrace_correlator_waiter_wakeups_skipped_total');
  const resolved = await count('crosstrace_correlator_hops_total');
  const repeats = await count('crosstrace_correlator_hop_repeats_suppressed_total');
  // this run's keys go
  await deleteKeys(admin, `ct:*{${run}*`);
  return { W, rate: N / sec, clientUs: (cpu.user + cpu.system) / N, redisUs: rcpu / N, woke, skipped, hops, resolved, repeats, load, top };
}

async function redisCpuUs(): Promise<number> {
  const i = await admin.info('cpu');
  return 1e6 * (Number(/used_cpu_user:([\d.]+)/.exec(i)?.[1]) + Number(/used_cpu_sys:([\d.]+)/.exec(i)?.[1]));
}

await runOnce(0); // warm-up: JIT, schema fetches, script loads (not reported)
let base: Awaited<ReturnType<typeof runOnce>> | undefined;
for (const W of WS) {
  const r = await runOnce(W);
  base ??= r;
  const ratio = W === 0 ? '(the ceiling)' : `= ${(100 * r.rate / base.rate).toFixed(0)} % of W=0's rate, client CPU x${(r.clientUs / base.clientUs).toFixed(1)}, Redis CPU x${(r.redisUs / base.redisUs).toFixed(1)}`;
  console.log(`correlate wakes W=${W}: ${fmt(r.rate)} events/s; CPU per event: client ${r.clientUs.toFixed(1)} µs, Redis ${r.redisUs.toFixed(1)} µs ${ratio}; waiters woken ${r.woke} (${(r.woke / N).toFixed(2)}/event), skipped ${r.skipped}, hops published ${r.hops} of ${r.resolved} resolved (${r.repeats} exact repeats not published again); `
    + `${N} events, ${HOT} hot windows, hot share ${HOT_SHARE}, batch ${BATCH}; load average ${r.load}`);
  if (r.top) console.log(r.top);
  result('correlate-wakes', { waiters: W, eventsPerSec: Math.round(r.rate), clientCpuUsPerEvent: +r.clientUs.toFixed(1), redisCpuUsPerEvent: +r.redisUs.toFixed(1),
    ratioToNoWaiters: +(r.rate / base.rate).toFixed(2), wakeups: r.woke, hops: r.hops, hopsResolved: r.resolved, repeatsSuppressed: r.repeats, events: N, hotWindows: HOT, hotShare: HOT_SHARE, loadAverage1m: +loadavg()[0]!.toFixed(1) });
}
redis.disconnect();
admin.disconnect();

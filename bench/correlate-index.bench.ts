// Window indexing rate against a real Redis: the correlator's index-and-probe Lua script,
// pipelined in batches like the service does, with N active traces' waiters registered on
// some of the addresses. Prints events/s, p50/p99 per batch round trip and Redis bytes per
// indexed record, where they go (MEMORY USAGE and encoding per key kind), and, in the same run,
// the ceiling: redis-benchmark of the script's common-case command mix (HSETNX of the payload,
// ZADD, PTTL, EXISTS; pipelined, same clients), with the ratio and the load average; the Redis
// commands per event (INFO commandstats: what the scripts call) and their own CPU.
// Uids have the shape the correlator stores (`exporterId/eventId:flow-in`, index-request.ts), the
// payloads are encoded FlowEvents as flows.norm carries them (a pool of 4096 different ones).
// Needs REDIS_URL (eval "$(make -s stack-env)").
//   node bench/correlate-index.bench.ts [events=300000] [activeTraces=1000] [batch=500] [clients=2] [perEventScripts=0] [addresses=50000]
// perEventScripts=1 sends one index-and-probe call per event (as on Redis Cluster) instead of
// index-many over up to 128 events per call. addresses: windows the events spread over (fewer =
// busier windows, as a CGN address or a server is; at most 131072, the addresses of 198.18.0.0/15).
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import avro from 'avsc';
import { Redis } from 'ioredis';
import { loadSchemas } from '../schemas/catalog.ts';
import type { FlowEvent } from '../schemas/types.gen.ts';
import type { Lookup } from '../services/join/join-types.ts';
import { createWindowStore, encodeStored } from '../services/join/window-store.ts';
import { partKeys, waiterKeys } from '../services/join/window-layout.ts';
import { deleteKeys, fmt, mem, redisDelta, redisStats, redisUsedMemory, result, summarise } from './lib.ts';

const [N = 300_000, TRACES = 1000, BATCH = 500, CLIENTS = 2, PER_EVENT = 0, ADDRS = 50_000] = process.argv.slice(2).map(Number);
const perEventScripts = PER_EVENT === 1;
const url = process.env.REDIS_URL;
if (!url) { console.error('REDIS_URL is not set: eval "$(make -s stack-env)" first'); process.exit(2); }

const run = `b${Date.now().toString(36)}`;
const now = Date.now();
// window i's address in 198.18.0.0/15 (RFC 2544's benchmarking range): 131072 distinct windows at most
if (!(Number.isInteger(ADDRS) && ADDRS >= 1 && ADDRS <= 131_072)) { console.error(`addresses must be 1..131072 (got ${ADDRS})`); process.exit(2); }
const key = (i: number) => `${run}|198.${18 + ((i >> 16) & 1)}.${(i >> 8) & 255}.${i & 255}`;
// What the correlator stores: normalised FlowEvents as flows.norm carries them (Confluent frame,
// Avro), a pool of 4096 that differ as an exporter's records do (an IPFIX collector's record id,
// addresses, ports, counters; half of them from a NAT, with post-NAT fields), so the bytes per
// event are those of real payloads and their sizes spread over jemalloc's size classes.
const flowType = avro.Type.forSchema(loadSchemas().get('FlowEvent') as avro.Schema);
// A seeded generator (mulberry32): every run indexes the same payloads, so bytes per event differ
// between runs by Redis, not by the pool. The first 2048 are a NAT's records (post-NAT fields, ~16
// bytes longer), the rest a relay's: a window is an address, and an address's records come from
// one kind of exporter, so every other window holds NAT records only (recordOf).
let seed = 0x5eed;
const random = () => { seed = (seed + 0x6d2b79f5) | 0; let t = Math.imul(seed ^ (seed >>> 15), 1 | seed); t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t; return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
const pool = Array.from({ length: 4096 }, (_, i): Buffer => {
  const rnd = (n: number) => Math.floor(random() * n);
  const nat = i < 2048;
  const start = now - rnd(3_600_000);
  const ev: FlowEvent = {
    eventId: `${1 + rnd(4)}-${Math.floor(start / 1000) + rnd(60)}-${rnd(2 ** 31)}-${rnd(3)}-${rnd(30)}`, exporterId: nat ? 'fr-cgn-2' : 'fr-relay-1', exportTime: start + 60_000,
    srcAddr: nat ? `100.${64 + rnd(64)}.${rnd(256)}.${rnd(256)}` : `${rnd(223) + 1}.${rnd(256)}.${rnd(256)}.${rnd(256)}`, srcPort: 1024 + rnd(64_000),
    dstAddr: `${rnd(223) + 1}.${rnd(256)}.${rnd(256)}.${rnd(256)}`, dstPort: [443, 80, 22, 53, 8443][rnd(5)]!, protocol: rnd(4) === 0 ? 17 : 6,
    startTime: start, endTime: start + rnd(120_000), octets: rnd(2 ** 24), packets: rnd(20_000),
    postNatSrcAddr: nat ? `198.51.100.${rnd(256)}` : null, postNatSrcPort: nat ? 1024 + rnd(64_000) : null,
    endReason: rnd(3) === 0 ? 'ACTIVE_TIMEOUT' : 'END_OF_FLOW', jurisdiction: 'FR', providerId: 'fr-isp-1', clockOffsetMs: rnd(2000) - 1000,
  };
  const frame = Buffer.alloc(5); frame.writeUInt32BE(1 + rnd(3), 1); // magic byte 0, a schema id
  return Buffer.concat([frame, flowType.toBuffer(ev)]);
});
const payloadMean = pool.reduce((a, b) => a + b.length, 0) / pool.length + 9; // + the stored header (encodeStored)
/** Event i's payload: window w = i mod windows holds NAT records if w is odd, a relay's if even. */
const recordOf = (i: number): Buffer => pool[(((i % ADDRS) & 1) << 11) | ((i >>> 1) & 2047)]!;

const admin = new Redis(url);
const before = await redisUsedMemory(admin);
const redisClients = Array.from({ length: CLIENTS }, () => new Redis(url));
const stores = redisClients.map((r) => createWindowStore(r, { retentionMs: 3_600_000, perEventScripts }));

// active traces: one waiter each on a random address
for (let t = 0; t < TRACES; t++) {
  const l = { lookupId: `${run}-l${t}`, traceId: `${run}-t${t}`, windowFrom: now - 60_000, windowTo: now + 60_000 } as Lookup;
  await stores[0]!.registerAndProbe(key(Math.floor(Math.random() * ADDRS)), l, now + 3_600_000, { from: now - 1, coreFrom: now - 1, coreTo: now, to: now, limit: 4_000 }, now);
}

const stats0 = await redisStats(admin);
const cpu0 = process.cpuUsage();
let next = 0;
let woke = 0;
const rtts: number[] = [];
const t0 = performance.now();
await Promise.all(stores.map(async (store) => {
  while (next < N) {
    const start = next;
    next += BATCH;
    const reqs = [];
    for (let i = start; i < Math.min(start + BATCH, N); i++) {
      reqs.push({ key: key(i % ADDRS), uid: `fr-flow-1/${run}-f${i}:flow-in`, time: now - (i % 60_000), payload: encodeStored({ kind: 'flow-in', producedAt: now, value: recordOf(i) }) });
    }
    const b0 = performance.now();
    const res = await store.indexMany(reqs, now);
    rtts.push(performance.now() - b0);
    woke += res.reduce((a, r) => a + r.waiters.length, 0);
  }
}));
const sec = (performance.now() - t0) / 1000;
// CPU per event (Redis server, this client): far less sensitive to a loaded machine than events/s
const delta = redisDelta(stats0, await redisStats(admin), N);
const redisUs = delta.cpuUs;
const perCmd = delta.commands.filter((x) => !/^(info|script|config|memory|object|hlen|scan)$/.test(x.c)).sort((a, b) => b.calls - a.calls);
const scriptUs = delta.scriptUs;
const callsPerEvent = perCmd.reduce((a, x) => a + x.calls, 0);
const cmdUs = perCmd.reduce((a, x) => a + x.usec, 0);
const cpu1 = process.cpuUsage(cpu0);
const clientUs = (cpu1.user + cpu1.system) / N;
const loadAtRun = loadavg().map((x) => x.toFixed(1)).join(' ');
const after = await redisUsedMemory(admin);
const s = summarise(rtts);
console.log(`correlate index (${perEventScripts ? 'index-and-probe per event' : 'index-many'}): ${fmt(N / sec)} events/s (${N} events over ${ADDRS} windows, ${TRACES} active traces, batch ${BATCH}, ${CLIENTS} clients); batch round trip p50 ${s.p50.toFixed(1)} ms p99 ${s.p99.toFixed(1)} ms; waiter wake-ups ${woke}; CPU per event: Redis ${redisUs.toFixed(1)} µs, client ${clientUs.toFixed(1)} µs; load average ${loadAtRun}`);
console.log(`redis commands per event: ${callsPerEvent.toFixed(2)} (${perCmd.map((x) => `${x.c} ${x.calls.toFixed(2)}`).join(', ')}); their own time ${cmdUs.toFixed(1)} µs, the scripts' ${scriptUs.toFixed(1)} µs per event (commandstats; the rest of the script's time is Lua)`);
console.log(`redis memory: ${((after - before) / N).toFixed(0)} bytes per indexed event (used_memory; payload ${payloadMean.toFixed(0)} bytes on average, uid ${`fr-flow-1/${run}-f${N}:flow-in`.length} bytes); client ${mem()}`);

// where the bytes go: MEMORY USAGE (all samples) and encoding per key kind over 200 windows
const bytes = new Map<string, { bytes: number; keys: number; enc: Map<string, number> }>();
let sampled = 0;
for (let w = 0; w < Math.min(200, ADDRS); w++) {
  const k = key(Math.min(ADDRS - 1, Math.floor((w * ADDRS) / Math.min(200, ADDRS)) + (w & 1))); // NAT and relay windows alike (recordOf)
  sampled += await admin.hlen(partKeys(k, 'flow')[0]);
  for (const name of [...partKeys(k, 'flow'), ...waiterKeys(k)]) {
    const kind = name.slice(3, name.indexOf(':', 3));
    const b = Number(await admin.call('MEMORY', 'USAGE', name, 'SAMPLES', '0') ?? 0);
    if (!b) continue;
    const e = String(await admin.call('OBJECT', 'ENCODING', name));
    const row = bytes.get(kind) ?? { bytes: 0, keys: 0, enc: new Map<string, number>() };
    row.bytes += b; row.keys++; row.enc.set(e, (row.enc.get(e) ?? 0) + 1);
    bytes.set(kind, row);
  }
}
const perEvent = (kind: string) => (bytes.get(kind)?.bytes ?? 0) / Math.max(1, sampled);
console.log(`  per key kind over ${Math.min(200, ADDRS)} windows (${(sampled / Math.min(200, ADDRS)).toFixed(1)} events each): ${[...bytes].map(([k, r]) => `ct:${k} ${perEvent(k).toFixed(0)} B/event (${[...r.enc].map(([e, c]) => `${c} ${e}`).join(', ')})`).join('; ')}`);
const cfg = await admin.config('GET', 'hash-max-listpack-*') as string[];
const zcfg = await admin.config('GET', 'zset-max-listpack-*') as string[];
console.log(`  encodings: ${[...cfg, ...zcfg].join(' ')}`);

// the ceiling, same run: redis-benchmark of the common-case command mix (each command N times,
// same clients, the batch as pipeline depth); the mix's rate is 1 / sum(1 / rate of each)
const u = new URL(url);
// redis-benchmark takes a password only as -a (it ignores REDISCLI_AUTH); this local bench's own
const conn = ['-h', u.hostname, '-p', u.port || '6379', ...(u.password ? ['-a', decodeURIComponent(u.password)] : []), ...(u.username ? ['--user', decodeURIComponent(u.username)] : [])];
const bench = (args: string[]): number => {
  const out = execFileSync('redis-benchmark', [...conn, '-c', String(CLIENTS), '-n', String(N), '-P', String(BATCH), '-r', String(ADDRS), '--csv', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return Number(/"[^"]*","([\d.]+)"/.exec(out.trim().split('\n').at(-1)!)?.[1] ?? NaN);
};
const [rb, rbz] = partKeys(`${run}rb|__rand_int__`, 'flow');
const member = 'm'.repeat(4) + '__rand_int__'; // 16 bytes, as a member (window-layout.ts memberOf)
const mix = {
  HSETNX: bench(['HSETNX', rb, member, 'x'.repeat(Math.round(payloadMean))]),
  ZADD: bench(['ZADD', rbz, '__rand_int__', member]),
  PTTL: bench(['PTTL', rb]),
  EXISTS: bench(['EXISTS', waiterKeys(`${run}rb|__rand_int__`)[1]]),
};
const ceiling = 1 / Object.values(mix).reduce((a, r) => a + 1 / r, 0);
const loadCeil = loadavg().map((x) => x.toFixed(1)).join(' ');
console.log(`ceiling: redis-benchmark of the command mix ${Object.entries(mix).map(([c, r]) => `${c} ${fmt(r)}/s`).join(', ')} -> ${fmt(ceiling)} events/s; indexing = ${(100 * N / sec / ceiling).toFixed(0)} % of it; load average ${loadCeil}`);
result('correlate-index', { scripts: perEventScripts ? 'per-event' : 'index-many', eventsPerSec: Math.round(N / sec), events: N, windows: ADDRS, activeTraces: TRACES, batchP50Ms: +s.p50.toFixed(1), batchP99Ms: +s.p99.toFixed(1),
  redisCpuUsPerEvent: +redisUs.toFixed(1), redisCallsPerEvent: +callsPerEvent.toFixed(2), scriptUsPerEvent: +scriptUs.toFixed(1), clientCpuUsPerEvent: +clientUs.toFixed(1), redisBytesPerEvent: Math.round((after - before) / N), evBytesPerEvent: Math.round(perEvent('fe')), etBytesPerEvent: Math.round(perEvent('ft')),
  ceilingEventsPerSec: Math.round(ceiling), ratioToCeiling: +(N / sec / ceiling).toFixed(2), loadAverage1m: +loadavg()[0]!.toFixed(1) });
// clean up this run's keys: its windows and redis-benchmark's
await deleteKeys(admin, `ct:*{${run}*`);
admin.disconnect();
redisClients.forEach((r) => r.disconnect());

// Window indexing rate against a real Redis: the correlator's index-and-probe Lua script,
// pipelined in batches like the service does, with N active traces' waiters registered on
// some of the addresses. Prints events/s, p50/p99 per batch round trip and Redis bytes per
// indexed record. Needs REDIS_URL (eval "$(make -s stack-env)").
//   node bench/correlate-index.bench.ts [events=300000] [activeTraces=1000] [batch=500] [clients=2] [perEventScripts=0]
// perEventScripts=1 sends one index-and-probe call per event (as on Redis Cluster) instead of
// index-many over up to 128 events per call.
import { Redis } from 'ioredis';
import type { Lookup } from '../services/join/join-types.ts';
import { createWindowStore, encodeStored } from '../services/join/window-store.ts';
import { fmt, mem, result, summarise } from './lib.ts';

const [N = 300_000, TRACES = 1000, BATCH = 500, CLIENTS = 2, PER_EVENT = 0] = process.argv.slice(2).map(Number);
const perEventScripts = PER_EVENT === 1;
const url = process.env.REDIS_URL;
if (!url) { console.error('REDIS_URL is not set: eval "$(make -s stack-env)" first'); process.exit(2); }

const run = `b${Date.now().toString(36)}`;
const now = Date.now();
const ADDRS = 50_000;
const key = (i: number) => `${run}|198.18.${(i >> 8) & 255}.${i & 255}`;
const value = Buffer.alloc(180, 7); // a normalised FlowEvent is ~150-200 bytes of Avro

const admin = new Redis(url);
const before = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))![1]);
const redisClients = Array.from({ length: CLIENTS }, () => new Redis(url));
const stores = redisClients.map((r) => createWindowStore(r, { retentionMs: 3_600_000, perEventScripts }));

// active traces: one waiter each on a random address
for (let t = 0; t < TRACES; t++) {
  const l = { lookupId: `${run}-l${t}`, traceId: `${run}-t${t}`, windowFrom: now - 60_000, windowTo: now + 60_000 } as Lookup;
  await stores[0]!.registerAndProbe(key(Math.floor(Math.random() * ADDRS)), l, now + 3_600_000, { from: now - 1, coreFrom: now - 1, coreTo: now, to: now, limit: 4_000 }, now);
}

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
      reqs.push({ key: key(i % ADDRS), uid: `${run}-e${i}`, time: now - (i % 60_000), payload: encodeStored({ kind: 'flow-in', producedAt: now, value }) });
    }
    const b0 = performance.now();
    const res = await store.indexMany(reqs, now);
    rtts.push(performance.now() - b0);
    woke += res.reduce((a, r) => a + r.waiters.length, 0);
  }
}));
const sec = (performance.now() - t0) / 1000;
const after = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))![1]);
const s = summarise(rtts);
console.log(`correlate index (${perEventScripts ? 'index-and-probe per event' : 'index-many'}): ${fmt(N / sec)} events/s (${N} events, ${TRACES} active traces, batch ${BATCH}, ${CLIENTS} clients); batch round trip p50 ${s.p50.toFixed(1)} ms p99 ${s.p99.toFixed(1)} ms; waiter wake-ups ${woke}`);
console.log(`redis memory: ${((after - before) / N).toFixed(0)} bytes per indexed event (payload ${value.length + 9} bytes); client ${mem()}`);
result('correlate-index', { scripts: perEventScripts ? 'per-event' : 'index-many', eventsPerSec: Math.round(N / sec), events: N, activeTraces: TRACES, batchP50Ms: +s.p50.toFixed(1), batchP99Ms: +s.p99.toFixed(1), redisBytesPerEvent: Math.round((after - before) / N) });
// clean up this run's keys
let cursor = '0';
do {
  const [c, keys] = await admin.scan(cursor, 'MATCH', `ct:*{${run}*`, 'COUNT', 5000);
  cursor = c;
  if (keys.length) await admin.unlink(...keys);
} while (cursor !== '0');
admin.disconnect();
redisClients.forEach((r) => r.disconnect());

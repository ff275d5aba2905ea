// bench/rebuild: the window rebuild from Kafka (what runs when Redis lost its state) on the
// real stack, next to its two ceilings measured in the same run on the same records:
//   1. fill: N normalised records produced to flows.norm / sessions.norm the way ingest writes
//      them (key = window key, ct-uid / ct-time / ct-origin-ts / ct-dir headers, a ~110-byte
//      Confluent-framed value), on K window keys, event times within the last minutes;
//   2. ceiling "kafka": a bare kafkajs consumer (eachBatch, the rebuild's fetch settings and
//      concurrency) reads the same offsets and only counts;
//   3. ceiling "redis": the same writes as the rebuild's bulk write (its own RESP bytes for a
//      sample of the events: HSETNX per event, ZADD NX per window part, EXISTS + PEXPIRE per new
//      window, in buffers of the rebuild's flush size, one in flight), built before the clock
//      starts and sent on a bare socket: what Redis and the socket allow, no Kafka, no Node work;
//   4. the rebuild: this run's windows and the marker deleted, rebuildWindows() with a retention
//      that reaches back to the fill's start (so earlier runs' records are not read), then
//      events/s, Node CPU and Redis server CPU per event, Redis bytes per event, the Redis
//      command mix (INFO commandstats delta).
// Every line carries the load average (the machine is shared). See below for profiling the rebuild step.
// Usage: node bench/rebuild.bench.ts [events=1000000] [keys=50000]   (stack env: KAFKA_BROKERS,
// KAFKA_CLIENT_PROPERTIES, REDIS_URL); BENCH_REBUILD_PROFILE=file.cpuprofile profiles the
// rebuild step alone (V8 inspector) and prints its top frames; BENCH_REBUILD_FLUSH=n sets the rebuild's
// events per bulk write (default the rebuild's own, FLUSH_EVENTS).
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import os from 'node:os';
import { Redis } from 'ioredis';
import { resolveKafkaSecurity } from '../services/common/kafka-security.ts';
import { createKafka, ensureTopics } from '../services/common/kafka.ts';
import { createLogger } from '../services/common/logger.ts';
import { TOPICS } from '../services/common/topics.ts';
import { openRawRedis } from '../services/common/redis-raw.ts';
import { RespWriter } from '../services/common/resp.ts';
import { FLUSH_EVENTS, STATE_MARKER, rebuildWindows, replayFetch } from '../services/join/state-rebuild.ts';
import { writeBulkCommands } from '../services/join/window-bulk-write.ts';
import { partKeys } from '../services/join/window-layout.ts';
import { createWindowStore, encodeStored, type IndexRequest, type StoredKind, type WindowSide } from '../services/join/window-store.ts';
import { formatTop, selfTimes, type CpuProfile } from './cpuprofile.ts';
import { fmt, mem, redisCpuUs, redisDelta, redisStats, redisUsedMemory, result, type RedisStats } from './lib.ts';

const N = Number(process.argv[2] ?? 1_000_000);
const K = Number(process.argv[3] ?? 50_000);
const env = process.env;
const kafka = createKafka({ brokers: (env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(','), clientId: 'bench-rebuild', logger: createLogger('bench', 'error'), security: resolveKafkaSecurity(env) });
const redis = new Redis(env.REDIS_URL ?? 'redis://127.0.0.1:16379');
const admin = kafka.admin();
await admin.connect();
await ensureTopics(admin, [{ topic: TOPICS.sessionsNorm, numPartitions: 6 }, { topic: TOPICS.flowsNorm, numPartitions: 6 }]);
const load = () => `load ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`;
const RETENTION = 86_400_000;

// ---- the records: one in 5 a session, the rest flows in / out; deterministic from i
const run = `rbb${Date.now().toString(36)}`;
const fillStart = Date.now();
const keys = Array.from({ length: K }, (_, i) => `${run}|10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
interface Rec { topic: string; key: string; uid: string; time: number; dir?: 'in' | 'out'; value: Buffer }
const valueOf = (i: number): Buffer => { const b = Buffer.alloc(110, i & 255); b[0] = 0; b.writeUInt32BE(7, 1); b.writeUInt32BE(i, 5); return b; };
function rec(i: number): Rec {
  const key = keys[(i * 7919) % K]!;
  const time = fillStart - 300_000 + (i % 300_000);
  if (i % 5 === 0) return { topic: TOPICS.sessionsNorm, key, uid: `bench-bng-1/${run}-${i}`, time, value: valueOf(i) };
  return { topic: TOPICS.flowsNorm, key, uid: `bench-flow-1/${run}-${i}`, time, dir: i % 2 ? 'in' : 'out', value: valueOf(i) };
}

// ---- 1. fill
const producer = kafka.producer({ allowAutoTopicCreation: false });
await producer.connect();
let t = performance.now();
const CH = 5_000;
for (let i = 0; i < N; i += CH) {
  const by = new Map<string, { key: string; value: Buffer; headers: Record<string, string> }[]>();
  for (let j = i; j < Math.min(N, i + CH); j++) {
    const r = rec(j);
    const headers: Record<string, string> = { 'ct-origin-ts': String(fillStart), 'ct-uid': r.uid, 'ct-time': String(r.time) };
    if (r.dir) headers['ct-dir'] = r.dir;
    (by.get(r.topic) ?? by.set(r.topic, []).get(r.topic)!).push({ key: r.key, value: r.value, headers });
  }
  await producer.sendBatch({ topicMessages: [...by].map(([topic, messages]) => ({ topic, messages })) });
}
await producer.disconnect();
console.log(`fill: ${fmt(N)} records on ${fmt(K)} window keys in ${((performance.now() - t) / 1000).toFixed(1)} s (${load()})`);


// ---- 2. ceiling: bare kafkajs consume of the same offsets
async function bareConsume(): Promise<{ records: number; secs: number; cpuUs: number }> {
  const from = new Map<string, { start: number; end: number }>();
  let expected = 0;
  for (const topic of [TOPICS.flowsNorm, TOPICS.sessionsNorm]) {
    const at = await admin.fetchTopicOffsetsByTimestamp(topic, fillStart);
    for (const p of await admin.fetchTopicOffsets(topic)) {
      const s = Number(at.find((x) => x.partition === p.partition)?.offset ?? p.high);
      const start = s < 0 ? Number(p.high) : s;
      if (start < Number(p.high)) { from.set(`${topic}/${p.partition}`, { start, end: Number(p.high) }); expected += Number(p.high) - start; }
    }
  }
  const groupId = `bench-rebuild-bare-${run}`;
  for (const topic of [TOPICS.flowsNorm, TOPICS.sessionsNorm]) {
    await admin.setOffsets({ groupId, topic, partitions: [...from].filter(([k]) => k.startsWith(`${topic}/`)).map(([k, v]) => ({ partition: Number(k.slice(topic.length + 1)), offset: String(v.start) })) });
  }
  const consumer = kafka.consumer({ groupId, ...replayFetch(), maxWaitTimeInMs: 100, allowAutoTopicCreation: false }); // replayTopics' settings
  let n = 0;
  let first = 0;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((r) => { done = r; });
  const left = new Set(from.keys());
  await consumer.connect();
  await consumer.subscribe({ topics: [TOPICS.flowsNorm, TOPICS.sessionsNorm] });
  let cpu0 = process.cpuUsage();
  await consumer.run({ autoCommit: false, partitionsConsumedConcurrently: 6, eachBatch: async ({ batch }) => {
    if (!first) { first = performance.now(); cpu0 = process.cpuUsage(); }
    const tp = `${batch.topic}/${batch.partition}`;
    const r = from.get(tp);
    if (!r) return;
    for (const m of batch.messages) if (Number(m.offset) < r.end) n++;
    if (Number(batch.lastOffset()) >= r.end - 1) { left.delete(tp); if (left.size === 0) done(); }
  } });
  await finished;
  const secs = (performance.now() - first) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await consumer.disconnect();
  await admin.deleteGroups([groupId]).catch(() => undefined);
  if (n < expected) console.log(`  bare consume: ${n} of ${expected} read`);
  return { records: n, secs, cpuUs: cpu.user + cpu.system };
}
const bare = await bareConsume();
console.log(`ceiling kafka: bare kafkajs eachBatch read ${fmt(bare.records)} records in ${bare.secs.toFixed(1)} s = ${fmt(bare.records / bare.secs)} records/s, Node CPU ${(bare.cpuUs / bare.records).toFixed(2)} µs/record (${load()})`);

// ---- 3. ceiling: the same events written in the windows' layout by a bare pipelined client
const windowKeys = (k: string, kind: StoredKind) => partKeys(k, kind === 'session' ? 'session' : 'flow');
async function dropWindows(): Promise<void> {
  for (let i = 0; i < K; i += 500) await redis.del(...keys.slice(i, i + 500).flatMap((k) => [...windowKeys(k, 'session'), ...windowKeys(k, 'flow-in')]));
}
const cpuOf = (): Promise<number> => redisCpuUs(redis);
const usedMemory = (): Promise<number> => redisUsedMemory(redis);
const statDelta = (a: RedisStats, b: RedisStats, events: number) => {
  const d = redisDelta(a, b, events);
  return [...d.scripts, ...d.commands].filter((x) => x.usec > 0).sort((x, y) => y.usec - x.usec)
    .map((x) => `${x.c} ${x.usec.toFixed(2)} µs/ev`).join(', ');
};

await dropWindows();
// the bytes the rebuild's bulk write sends for these events (window-bulk-write.ts), built before
// the clock starts, in batches of the rebuild's flush size, one batch in flight as in the rebuild
const RN = Math.min(N, Number(env.BENCH_REBUILD_REDIS_SAMPLE ?? 200_000)); // a sample bounds the step's memory and time
const retentionOf = (_side: WindowSide) => RETENTION; // the rebuild's store below: sessions kept as long as flows
const batches: { bytes: Buffer; commands: number }[] = [];
{
  const seen = new Set<string>();
  for (let i = 0; i < RN; i += FLUSH_EVENTS) {
    const reqs: IndexRequest[] = [];
    for (let j = i; j < Math.min(RN, i + FLUSH_EVENTS); j++) {
      const r = rec(j);
      const kind: StoredKind = r.dir ? (r.dir === 'in' ? 'flow-in' : 'flow-out') : 'session';
      reqs.push({ key: r.key, uid: kind === 'session' ? r.uid : `${r.uid}:${kind}`, time: r.time, payload: encodeStored({ kind, producedAt: fillStart, value: r.value }) });
    }
    const w = new RespWriter(reqs.length * 256);
    const { fresh } = writeBulkCommands(w, reqs, seen, retentionOf);
    for (const p of fresh) seen.add(p.hash);
    const commands = w.commands;
    batches.push({ bytes: w.take(), commands });
  }
}
const rawConn = await openRawRedis(redis);
t = performance.now();
let cpu0 = await cpuOf();
for (const b of batches) {
  const replies = await rawConn.send(b.bytes, b.commands);
  if (replies.some((x) => x instanceof Error)) throw new Error('bare Redis writes refused');
}
let secs = (performance.now() - t) / 1000;
rawConn.close();
const redisCeiling = RN / secs;
const rawCpu = ((await cpuOf()) - cpu0) / RN;
console.log(`ceiling redis: the first ${fmt(RN)} events as the bulk write's own RESP bytes (${fmt(batches.reduce((n, b) => n + b.bytes.length, 0) / RN)} bytes/event, ${fmt(FLUSH_EVENTS)}-event buffers, one in flight) on a bare socket: ${fmt(redisCeiling)} events/s, Redis CPU ${rawCpu.toFixed(2)} µs/event (${load()})`);

// ---- 4. the rebuild
await dropWindows();
await redis.del(STATE_MARKER);
const mem0 = await usedMemory();
const stats0 = await redisStats(redis);
cpu0 = stats0.cpuUs;
const node0 = process.cpuUsage();
const store = createWindowStore(redis, { retentionMs: RETENTION });
// the records the rebuild reads: event times since fillStart - 300 s (this run's), not earlier runs'
const retentionMs = Date.now() - fillStart + 310_000;
const session = env.BENCH_REBUILD_PROFILE ? new Session() : undefined;
if (session) { session.connect(); await session.post('Profiler.enable'); await session.post('Profiler.start'); }
const done = await rebuildWindows({
  kafka, admin, redis, store, retentionMs, sessionRetentionMs: retentionMs, flushEvents: Number(env.BENCH_REBUILD_FLUSH ?? FLUSH_EVENTS),
  onProgress: (p) => { if (!p.done) console.log(`  rebuild: ${fmt(p.events)} events, ${fmt(p.perSecond)}/s, ${(p.ms / 1000).toFixed(1)} s (${load()})`); },
});
const nodeCpu = process.cpuUsage(node0);
if (session) {
  const { profile } = await session.post('Profiler.stop');
  writeFileSync(env.BENCH_REBUILD_PROFILE!, JSON.stringify(profile));
  const s = selfTimes(profile as unknown as CpuProfile);
  console.log(`  rebuild profile (${env.BENCH_REBUILD_PROFILE}): ${(s.busyMs / 1000).toFixed(1)} s busy of ${(s.totalMs / 1000).toFixed(1)} s; by area:\n${formatTop(s.areas, 8).replace(/^/gm, '    ')}\n  top frames:\n${formatTop(s.frames, 15).replace(/^/gm, '    ')}`);
}
const redisCpu = ((await cpuOf()) - cpu0) / Math.max(1, done.events);
const bytes = ((await usedMemory()) - mem0) / Math.max(1, done.events);
secs = done.ms / 1000;
console.log(`rebuild: ${fmt(done.events)} events indexed (${done.skipped} skipped) in ${secs.toFixed(1)} s = ${fmt(done.perSecond)} events/s; Node CPU ${(((nodeCpu.user + nodeCpu.system) / Math.max(1, done.events))).toFixed(1)} µs/event, Redis CPU ${redisCpu.toFixed(2)} µs/event, ${bytes.toFixed(0)} Redis bytes/event; ${mem()} (${load()})`);
console.log(`  Redis commands (server µs per event): ${statDelta(stats0, await redisStats(redis), Math.max(1, done.events))}`);
const bareRate = bare.records / bare.secs;
console.log(`  against the ceilings measured above: ${((done.perSecond / bareRate) * 100).toFixed(0)}% of the bare consume (${fmt(bareRate)}/s), ${((done.perSecond / redisCeiling) * 100).toFixed(0)}% of the bare Redis writes (${fmt(redisCeiling)}/s)`);
result('window rebuild from Kafka', {
  events: done.events, seconds: +secs.toFixed(1), eventsPerSecond: done.perSecond,
  bareConsumePerSecond: Math.round(bareRate), bareRedisPerSecond: Math.round(redisCeiling),
  nodeCpuUsPerEvent: +((nodeCpu.user + nodeCpu.system) / Math.max(1, done.events)).toFixed(1),
  redisCpuUsPerEvent: +redisCpu.toFixed(2), redisBytesPerEvent: Math.round(bytes), load1: +os.loadavg()[0]!.toFixed(1),
});
await dropWindows();
await admin.disconnect();
redis.disconnect();

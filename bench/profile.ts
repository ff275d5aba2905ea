// bench/profile: runs a stage (ingest) under load with --cpu-prof NEXT TO its ceilings measured
// in the same run, so the ratio means something on a loaded machine:
//   - the same backlog of raw events is drained by (1) a bare kafkajs consume->produce
//     passthrough with the stage's consumer/producer settings (bench/passthrough.ts) and
//     (2) the ingest service (services/ingest/main.ts), each a child process under --cpu-prof,
//     each with its own consumer group whose committed offsets are set to the backlog's start;
//   - a bare ioredis pipeline of ingest's Redis command (SET NX GET PX, one pipeline per batch).
// Prints events/s, the ratio to the ceiling, peak RSS, Redis bytes per event, and the top
// frames by self time (share of busy CPU); keeps the .cpuprofile files under bench/results/.
// Needs the stack env (eval "$(make -s stack-env)").  node bench/profile.ts [events=200000]
// PROFILE_STAGE_NODE_ARGS: extra node flags for the stage's process only (trials of V8 flags).
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { Redis } from 'ioredis';
import { resolveKafkaSecurity } from '../services/common/kafka-security.ts';
import { createKafka, createProducer, ensureTopics } from '../services/common/kafka.ts';
import { createLogger } from '../services/common/logger.ts';
import { createRegistryClient } from '../services/common/registry.ts';
import { TOPICS, pipelineTopics } from '../services/common/topics.ts';
import { formatTop, selfTimes, type CpuProfile } from './cpuprofile.ts';
import { fmt, result } from './lib.ts';
import { rawLoad } from './raw-load.ts';

const N = Number(process.argv[2] ?? 200_000);
const TOP = Number(process.env.PROFILE_TOP ?? 20);
const root = new URL('..', import.meta.url).pathname;
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const dir = `${root}bench/results/profile-${stamp}`;
mkdirSync(dir, { recursive: true });
const env: Record<string, string | undefined> = { ...process.env, LOG_LEVEL: 'error', NODE_NO_WARNINGS: '1' };
const logger = createLogger('bench', 'error');
const kafka = createKafka({ brokers: (env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(','), clientId: 'bench-profile', logger, security: resolveKafkaSecurity(env) });
const registry = createRegistryClient({ url: env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:18081/apis/ccompat/v7' });
const redis = new Redis(env.REDIS_URL ?? 'redis://127.0.0.1:16379');
const admin = kafka.admin();
await admin.connect();
await ensureTopics(admin, pipelineTopics(Number(env.CROSSTRACE_INGEST_PARTITIONS ?? 6), []));
await registry.ensureSubjects([TOPICS.flowsRaw, TOPICS.sessionsRaw]);
const IN = [TOPICS.flowsRaw, TOPICS.sessionsRaw];

async function highs(): Promise<Map<string, { partition: number; offset: string }[]>> {
  const m = new Map<string, { partition: number; offset: string }[]>();
  for (const t of IN) m.set(t, (await admin.fetchTopicOffsets(t)).map((p) => ({ partition: p.partition, offset: p.high })));
  return m;
}
const sum = (m: Map<string, { offset: string }[]>) => [...m.values()].flat().reduce((a, p) => a + Number(p.offset), 0);

// the backlog: N raw events, produced before any consumer runs
const start = await highs();
const run = `p${Date.now().toString(36)}`;
const load = rawLoad(registry, N, run);
const producer = await createProducer(kafka);
for (let i = 0; i < Math.max(load.flows.length, load.sessions.length); i += 2000) {
  await producer.sendBatch({ topicMessages: [
    { topic: TOPICS.flowsRaw, messages: load.flows.slice(i, i + 2000) },
    { topic: TOPICS.sessionsRaw, messages: load.sessions.slice(i, i + 2000) },
  ].filter((t) => t.messages.length > 0) });
}
await producer.disconnect();
const end = await highs();
const backlog = sum(end) - sum(start);
console.log(`backlog: ${backlog} raw events (${load.flows.length} flows, ${load.sessions.length} sessions) in ${IN.join(', ')}; profiles in ${dir.slice(root.length)}`);

const rssMiB = (pid: number): number => {
  try { return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024; } catch { return 0; }
};

/** CPU time (user + system) a process used so far, ms: far less sensitive to a loaded machine than wall time. */
const cpuMs = (pid: number): number => {
  try { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' '); return (Number(f[11]) + Number(f[12])) * 10; } catch { return NaN; }
};

/** Drains the backlog with a child process consuming as `groupId`; rate from first progress to done. */
async function drain(name: string, script: string, groupId: string, extraEnv: Record<string, string>, nodeArgs: string[] = []) {
  for (const [topic, partitions] of start) await admin.setOffsets({ groupId, topic, partitions });
  const child = spawn(process.execPath, [...nodeArgs, '--cpu-prof', `--cpu-prof-dir=${dir}/${name}`, `${root}${script}`], {
    env: { ...env, ...extraEnv }, stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const total = sum(end);
  let first: { t: number; done: number; cpu: number } | null = null;
  let peak = 0;
  let cpuUsed = NaN;
  const t0 = performance.now();
  for (;;) {
    await new Promise((r) => setTimeout(r, 200));
    peak = Math.max(peak, rssMiB(child.pid!));
    const offs = await admin.fetchOffsets({ groupId, topics: IN });
    const committed = offs.flatMap((t) => t.partitions).reduce((a, p) => a + Math.max(0, Number(p.offset)), 0);
    if (!first && committed > sum(start)) first = { t: performance.now(), done: committed, cpu: cpuMs(child.pid!) };
    const cpu = cpuMs(child.pid!);
    if (committed >= total) { cpuUsed = cpu - (first?.cpu ?? 0); break; }
    if (performance.now() - t0 > 600_000) { console.error(`${name}: gave up, ${total - committed} still behind after 600 s`); break; }
  }
  const secs = (performance.now() - (first?.t ?? t0)) / 1000;
  const records = total - (first?.done ?? sum(start));
  child.kill('SIGTERM');
  await exited;
  const file = readdirSync(`${dir}/${name}`).find((f) => f.endsWith('.cpuprofile'));
  if (file) renameSync(`${dir}/${name}/${file}`, `${dir}/${name}.cpuprofile`);
  return { rate: records / secs, secs, cpuUsPerEvent: (cpuUsed * 1000) / records, peakRssMiB: Math.round(peak), profile: file ? `${dir}/${name}.cpuprofile` : null };
}

function printProfile(name: string, file: string | null): void {
  if (!file) { console.log(`  ${name}: no profile written`); return; }
  const s = selfTimes(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
  console.log(`\n  ${name}: ${(s.busyMs / 1000).toFixed(1)} s busy of ${(s.totalMs / 1000).toFixed(1)} s profiled; by area (share of busy CPU):`);
  console.log(formatTop(s.areas, 12).replace(/^/gm, '    '));
  console.log(`  top ${TOP} frames by self time:`);
  console.log(formatTop(s.frames, TOP).replace(/^/gm, '    '));
}

/** Redis bytes one dedupe key of this run holds (MEMORY USAGE over a sample of 200 keys). */
async function dedupeKeyBytes(): Promise<number> {
  let total = 0;
  for (let i = 1; i <= 200; i++) total += Number(await redis.call('MEMORY', 'USAGE', `ct:dd:fr-flow-1/${run}-f${i * 4 - 3}`) ?? 0);
  return total / 200;
}

const pass = await drain('passthrough', 'bench/passthrough.ts', `bench-pass-${stamp}`, { PASS_GROUP_ID: `bench-pass-${stamp}`, PASS_TOPICS: IN.join(','), ...(env.PASS_MAX_BYTES ? { PASS_MAX_BYTES: env.PASS_MAX_BYTES } : {}), ...(env.PASS_MAX_BYTES_PER_PARTITION ? { PASS_MAX_BYTES_PER_PARTITION: env.PASS_MAX_BYTES_PER_PARTITION } : {}) });
console.log(`ceiling: bare kafkajs passthrough  ${fmt(pass.rate)} events/s (${pass.secs.toFixed(1)} s), ${pass.cpuUsPerEvent.toFixed(1)} µs CPU/event, peak RSS ${pass.peakRssMiB} MiB`);
const ingest = await drain('ingest', 'services/ingest/main.ts', `bench-ingest-${stamp}`, {
  CROSSTRACE_INGEST_GROUP_ID: `bench-ingest-${stamp}`, CROSSTRACE_INGEST_FROM_BEGINNING: 'false', CROSSTRACE_INGEST_HTTP_PORT: '0',
}, (env.PROFILE_STAGE_NODE_ARGS ?? '').split(' ').filter(Boolean)); // e.g. a V8 flag under trial
const ddBytes = await dedupeKeyBytes();
console.log(`stage:   ingest through the service ${fmt(ingest.rate)} events/s (${ingest.secs.toFixed(1)} s) = ${(100 * ingest.rate / pass.rate).toFixed(0)} % of the passthrough; ${ingest.cpuUsPerEvent.toFixed(1)} µs CPU/event = ${(ingest.cpuUsPerEvent / pass.cpuUsPerEvent).toFixed(1)}x the passthrough's; peak RSS ${ingest.peakRssMiB} MiB; Redis ${ddBytes.toFixed(0)} bytes/event (a dedupe key, MEMORY USAGE)`);

// Redis ceiling: ingest's dedupe command, one pipeline per batch of 1000, same key/value shapes
const t0 = performance.now();
for (let i = 0; i < backlog; i += 1000) {
  const p = redis.pipeline();
  for (let j = i; j < Math.min(backlog, i + 1000); j++) p.set(`ct:dd:fr-flow-1/${run}-ceiling-f${j}`, `flows.raw/3/${1_000_000 + j}`, 'PX', 60_000, 'NX', 'GET');
  await p.exec();
}
const redisRate = backlog / ((performance.now() - t0) / 1000);
console.log(`ceiling: bare ioredis pipeline of SET NX GET PX (1000 per round trip) ${fmt(redisRate)} commands/s; ingest = ${(100 * ingest.rate / redisRate).toFixed(0)} % of it`);

printProfile('passthrough (ceiling)', pass.profile);
printProfile('ingest', ingest.profile);
result('profile-ingest', {
  eventsPerSec: Math.round(ingest.rate), passthroughEventsPerSec: Math.round(pass.rate), ratioToPassthrough: +(ingest.rate / pass.rate).toFixed(3),
  cpuUsPerEvent: +ingest.cpuUsPerEvent.toFixed(1), passthroughCpuUsPerEvent: +pass.cpuUsPerEvent.toFixed(1),
  redisDedupeCommandsPerSec: Math.round(redisRate), ingestPeakRssMiB: ingest.peakRssMiB, passthroughPeakRssMiB: pass.peakRssMiB,
  redisBytesPerEventDedupe: Math.round(ddBytes), events: backlog,
});
await admin.disconnect();
redis.disconnect();
process.exit(0);

// bench/profile: runs a stage (ingest, then the correlator) under load with --cpu-prof NEXT TO
// its ceilings measured in the same run, so the ratio means something on a loaded machine:
//   - the same backlog of raw events is drained by (1) a bare kafkajs consume->produce
//     passthrough with the stage's consumer/producer settings (bench/passthrough.ts) and
//     (2) the ingest service (services/ingest/main.ts), each a child process under --cpu-prof,
//     each with its own consumer group whose committed offsets are set to the backlog's start;
//   - a bare ioredis pipeline of ingest's Redis command (SET NX GET PX, one pipeline per batch);
//   - the correlator: ingest's output (the *.norm records of the same backlog) drained by the
//     passthrough and by services/correlator/main.ts on an emptied Redis, next to the index-many
//     script called bare (EVALSHA, same batches, no Kafka) and its plain command mix pipelined
//     without Lua; Redis bytes per indexed event; PROFILE_SCALE=2 adds a drain by 2 correlator
//     instances in one consumer group (throughput of the group, CPU summed over both).
// Prints events/s, the ratio to the ceiling, peak RSS, Redis bytes per event, and the top
// frames by self time (share of busy CPU); keeps the .cpuprofile files under bench/results/.
// Needs the stack env (eval "$(make -s stack-env)").  node bench/profile.ts [events=200000]
// PROFILE_STAGE_NODE_ARGS: extra node flags for the stage's process only (trials of V8 flags).
// PROFILE_STAGES=ingest,correlator (default both; the correlator needs ingest's output of this run).
import { spawn } from 'node:child_process';
import os from 'node:os';
import { resolve } from 'node:path';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { Redis } from 'ioredis';
import { resolveKafkaSecurity } from '../services/common/kafka-security.ts';
import { createKafka, ensureTopics } from '../services/common/kafka.ts';
import { createLogger } from '../services/common/logger.ts';
import { loadProvidersFile } from '../services/common/provider-directory.ts';
import { createRegistryClient } from '../services/common/registry.ts';
import { dlqTopic, TOPICS, pipelineTopics } from '../services/common/topics.ts';
import { createWindowStore, encodeStored } from '../services/join/window-store.ts';
import { memberOf, partKeys, waiterKeys } from '../services/join/window-layout.ts';
import { formatTop, selfTimes, type CpuProfile } from './cpuprofile.ts';
import { fmt, offsetSum as sum, processCpuMs as cpuMs, redisCpuUs, redisUsedMemory, result, topicHighs, type Offsets } from './lib.ts';
import { produceRawLoad, rawLoad } from './raw-load.ts';
import { writeReplayFile } from './replay-file.ts';

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
const NORM = [TOPICS.flowsNorm, TOPICS.sessionsNorm];
const STAGES = (env.PROFILE_STAGES ?? 'ingest,correlator').split(',');

const highs = (topics: string[] = IN): Promise<Offsets> => topicHighs(admin, topics);

// the backlog: N raw events, produced before any consumer runs
const start = await highs();
const normStart = await highs(NORM);
const run = `p${Date.now().toString(36)}`;
const load = rawLoad(registry, N, run);
await produceRawLoad(kafka, load);
const end = await highs();
const backlog = sum(end) - sum(start);
console.log(`backlog: ${backlog} raw events (${load.flows.length} flows, ${load.sessions.length} sessions) in ${IN.join(', ')}; profiles in ${dir.slice(root.length)}`);

const rssMiB = (pid: number): number => {
  try { return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024; } catch { return 0; }
};


/** Committed offsets, the group's state and the output topics' ends are polled this often (plus
 *  the round trips), ms: the rate's error bound. */
const POLL_MS = 10;

interface Seen { at: number; halfGap: number }
const span = (a: Seen, b: Seen) => ({ secs: (b.at - a.at) / 1000, errorShare: (a.halfGap + b.halfGap) / (b.at - a.at) });

/** Drains a backlog (`from` -> `to` offsets of its topics) with `instances` child processes
 *  consuming as `groupId`; CPU summed over the children. The drain's window opens when the group
 *  is first Stable (a member holds partitions: what comes after is the drain, what came before is
 *  start-up; with several instances, the first may drain alone until the others join and the
 *  group rebalances: counted, so a scale-out figure is never better than it was) and closes when
 *  the last record was written (`outTopics`' ends
 *  stop where they end up; without outTopics, when the last offset is committed). Every record of
 *  the backlog is counted, and every CPU ms the children spent on it. A moment is placed at the
 *  middle of the first poll that saw it and the poll before (a poll's answer reflects a moment
 *  between its request and its answer), so either end is off by at most half that gap, printed
 *  as the rate's ± bound.
 *  Until session 9 the window opened at the first committed offset seen and counted the records
 *  committed after it: a stage that commits after a whole fetch (the passthrough: 10 MiB, 50-90k
 *  records handled at once by 12 partitions) had done a third to a half of the backlog before its
 *  window opened, so its rate and CPU/event read 2-3x better than the drain was, by how the first
 *  commit fell (its first-commit figures are still printed, `firstCommit`, for comparison). */
async function drain(name: string, script: string, groupId: string, extraEnv: Record<string, string>, nodeArgs: string[] = [],
  from: Offsets = start, to: Offsets = end, instances = 1, outTopics: string[] = []) {
  const topics = [...from.keys()];
  for (const [topic, partitions] of from) await admin.setOffsets({ groupId, topic, partitions });
  const outBase = outTopics.length ? sum(await highs(outTopics)) : 0;
  const children = Array.from({ length: instances }, (_, i) => spawn(process.execPath,
    [...nodeArgs, '--cpu-prof', `--cpu-prof-dir=${dir}/${name}${instances > 1 ? `-${i + 1}` : ''}`, `${root}${script}`], {
      cwd: root, env: { ...env, ...extraEnv }, stdio: ['ignore', 'ignore', 'inherit'],
    }));
  const exited = children.map((c) => new Promise<void>((r) => c.once('exit', () => r())));
  const cpuAll = () => children.reduce((a, c) => a + cpuMs(c.pid!), 0);
  const total = sum(to);
  const base = sum(from);
  let stable: (Seen & { cpu: number }) | null = null;
  let firstCommit: (Seen & { cpu: number; done: number }) | null = null;
  let last: (Seen & { cpu: number; done: number }) | null = null;
  const outs: (Seen & { cpu: number; out: number })[] = [];
  let peak = 0;
  const t0 = performance.now();
  let prevSent = t0;
  for (;;) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    peak = Math.max(peak, ...children.map((c) => rssMiB(c.pid!)));
    const sent = performance.now();
    const offs = await admin.fetchOffsets({ groupId, topics });
    const group = stable ? null : (await admin.describeGroups([groupId])).groups[0];
    const out = outTopics.length ? sum(await highs(outTopics)) - outBase : 0;
    const got = performance.now();
    const cpu = cpuAll();
    const committed = offs.flatMap((t) => t.partitions).reduce((a, p) => a + Math.max(0, Number(p.offset)), 0);
    // what this poll saw happened after the previous poll was sent, before this one was answered
    const seen = { at: (prevSent + got) / 2, halfGap: (got - prevSent) / 2, cpu };
    prevSent = sent;
    if (group && group.state === 'Stable' && group.members.length > 0) stable = seen;
    if (outTopics.length && out !== (outs.at(-1)?.out ?? 0)) outs.push({ ...seen, out });
    if (!firstCommit && committed > base) firstCommit = { ...seen, done: committed };
    if (committed >= total) { last = { ...seen, done: committed }; break; }
    if (performance.now() - t0 > 600_000) { console.error(`${name}: gave up, ${total - committed} still behind after 600 s`); break; }
  }
  // the last record written: the first poll that saw the output topics where they ended
  const finalOut = outs.at(-1)?.out;
  const wrote = outTopics.length ? outs.find((o) => o.out === finalOut) ?? null : last;
  const records = total - base;
  const w = stable && wrote && last ? span(stable, wrote) : { secs: NaN, errorShare: NaN };
  const fc = firstCommit && last && last.at > firstCommit.at ? span(firstCommit, last) : { secs: NaN, errorShare: NaN };
  const fcRecords = (last?.done ?? NaN) - (firstCommit?.done ?? NaN);
  for (const c of children) c.kill('SIGTERM');
  await Promise.all(exited);
  const sub = `${dir}/${name}${instances > 1 ? '-1' : ''}`;
  const file = readdirSync(sub).find((f) => f.endsWith('.cpuprofile'));
  if (file) renameSync(`${sub}/${file}`, `${dir}/${name}.cpuprofile`);
  return {
    rate: records / w.secs, secs: w.secs, records, errorPct: 100 * w.errorShare, cpuUsPerEvent: ((wrote?.cpu ?? NaN) - (stable?.cpu ?? NaN)) * 1000 / records,
    written: finalOut ?? NaN, peakRssMiB: Math.round(peak), profile: file ? `${dir}/${name}.cpuprofile` : null,
    firstCommit: { rate: fcRecords / fc.secs, records: fcRecords, cpuUsPerEvent: ((last?.cpu ?? NaN) - (firstCommit?.cpu ?? NaN)) * 1000 / fcRecords },
  };
}
type Drain = Awaited<ReturnType<typeof drain>>;
/** The window before session 9 (from the first commit seen), for comparison. */
const asBefore = (d: Drain) => `first-commit window as before: ${fmt(d.firstCommit.rate)} events/s over the last ${d.firstCommit.records} records, ${d.firstCommit.cpuUsPerEvent.toFixed(1)} µs CPU/event`;

function printProfile(name: string, file: string | null): void {
  if (!file) { console.log(`  ${name}: no profile written`); return; }
  const s = selfTimes(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
  console.log(`\n  ${name}: ${(s.busyMs / 1000).toFixed(1)} s busy of ${(s.totalMs / 1000).toFixed(1)} s profiled; by area (share of busy CPU):`);
  console.log(formatTop(s.areas, 12).replace(/^/gm, '    '));
  console.log(`  top ${TOP} frames by self time:`);
  console.log(formatTop(s.frames, TOP).replace(/^/gm, '    '));
}

/** Redis bytes one dedupe key of this run holds (MEMORY USAGE over a sample of 200 flow keys).
 *  The key is ingest's (services/ingest/pipeline.ts identity, dedupe.ts): `ct:dd:` + the provider
 *  that spoke for the exporter (the registry's, on the shared raw topics) + `/exporterId/eventId`. */
async function dedupeKeyBytes(): Promise<number> {
  const exporter = 'fr-flow-1'; // raw-load.ts
  const provider = loadProvidersFile(resolve(root, env.CROSSTRACE_INGEST_PROVIDERS_FILE ?? 'deploy/providers.json')).find((p) => p.exporters.includes(exporter))?.providerId ?? '-';
  let total = 0;
  let missing = 0;
  for (let i = 1; i <= 200; i++) {
    const bytes = await redis.call('MEMORY', 'USAGE', `ct:dd:${provider}/${exporter}/${run}-f${i * 4 - 3}`);
    if (bytes === null) missing++; else total += Number(bytes);
  }
  if (missing > 0) console.error(`dedupe key sample: ${missing} of 200 keys ct:dd:${provider}/${exporter}/${run}-f* not in Redis (expired, or the key format changed)`);
  return missing === 200 ? NaN : total / (200 - missing);
}

const load1 = () => `load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`;
const passEnv = (groupId: string, topics: string[]) => ({ PASS_GROUP_ID: groupId, PASS_TOPICS: topics.join(','), ...(env.PASS_MAX_BYTES ? { PASS_MAX_BYTES: env.PASS_MAX_BYTES } : {}), ...(env.PASS_MAX_BYTES_PER_PARTITION ? { PASS_MAX_BYTES_PER_PARTITION: env.PASS_MAX_BYTES_PER_PARTITION } : {}) });
const stageArgs = (env.PROFILE_STAGE_NODE_ARGS ?? '').split(' ').filter(Boolean); // e.g. a V8 flag under trial

const INGEST_OUT = [TOPICS.flowsNorm, TOPICS.sessionsNorm, dlqTopic('ingest')];
const passOut = (inputs: string[]) => inputs.map((t) => `bench.passthrough.${t}`);

if (STAGES.includes('ingest')) {
  const ingestEnv = (group: string) => ({ CROSSTRACE_INGEST_GROUP_ID: group, CROSSTRACE_INGEST_FROM_BEGINNING: 'false', CROSSTRACE_INGEST_HTTP_PORT: '0' });
  const normBefore = await highs(NORM);
  const ingest = await drain('ingest', 'services/ingest/main.ts', `bench-ingest-${stamp}`, ingestEnv(`bench-ingest-${stamp}`), stageArgs, start, end, 1, INGEST_OUT);
  // the ceiling writes what ingest just wrote for this backlog (same records, sizes and count)
  const replayFile = `${dir}/ingest-output.json`;
  const replayed = await writeReplayFile(kafka, { [TOPICS.flowsNorm]: TOPICS.flowsRaw, [TOPICS.sessionsNorm]: TOPICS.sessionsRaw }, normBefore, await highs(NORM), replayFile);
  await ensureTopics(admin, passOut(NORM).map((topic) => ({ topic, numPartitions: 6, retentionMs: 3_600_000 })));
  const pass = await drain('passthrough', 'bench/passthrough.ts', `bench-pass-${stamp}`, { ...passEnv(`bench-pass-${stamp}`, IN), PASS_REPLAY: replayFile }, [], start, end, 1, passOut(NORM));
  rmSync(replayFile);
  console.log(`ceiling: bare kafkajs passthrough  ${fmt(pass.rate)} events/s (${pass.secs.toFixed(2)} s, ±${pass.errorPct.toFixed(1)} %), ${pass.cpuUsPerEvent.toFixed(1)} µs CPU/event, peak RSS ${pass.peakRssMiB} MiB; consumed ${pass.records}, wrote ${pass.written} (ingest's own ${replayed} records of this backlog, in answer to the same input); ${asBefore(pass)}; ${load1()}`);
  if (env.PROFILE_PASS_COPY === '1') {
    await ensureTopics(admin, passOut(IN).map((topic) => ({ topic, numPartitions: 6, retentionMs: 3_600_000 })));
    const copy = await drain('passthrough-copy', 'bench/passthrough.ts', `bench-pass-copy-${stamp}`, passEnv(`bench-pass-copy-${stamp}`, IN), [], start, end, 1, passOut(IN));
    console.log(`         the same passthrough writing a copy of each raw record (the ceiling before session 9) ${fmt(copy.rate)} events/s (${copy.secs.toFixed(2)} s, ±${copy.errorPct.toFixed(1)} %), ${copy.cpuUsPerEvent.toFixed(1)} µs CPU/event; ${asBefore(copy)}; ${load1()}`);
  }
  const ddBytes = await dedupeKeyBytes();
  console.log(`stage:   ingest through the service ${fmt(ingest.rate)} events/s (${ingest.secs.toFixed(2)} s, ±${ingest.errorPct.toFixed(1)} %) = ${(100 * ingest.rate / pass.rate).toFixed(0)} % of the passthrough; wrote ${ingest.written}; ${asBefore(ingest)}; ${ingest.cpuUsPerEvent.toFixed(1)} µs CPU/event = ${(ingest.cpuUsPerEvent / pass.cpuUsPerEvent).toFixed(1)}x the passthrough's; peak RSS ${ingest.peakRssMiB} MiB; Redis ${ddBytes.toFixed(0)} bytes/event (a dedupe key by MEMORY USAGE, which leaves out its expiry entry and dict slots: bench/dedupe.bench.ts has used_memory); ${load1()}`);

  // Redis ceiling: ingest's dedupe command, one pipeline per batch of 1000, same key/value shapes
  const t0 = performance.now();
  for (let i = 0; i < backlog; i += 1000) {
    const p = redis.pipeline();
    for (let j = i; j < Math.min(backlog, i + 1000); j++) p.set(`ct:dd:fr-flow-1/${run}-ceiling-f${j}`, `flows.raw/3/${1_000_000 + j}`, 'PX', 60_000, 'NX', 'GET');
    await p.exec();
  }
  const redisRate = backlog / ((performance.now() - t0) / 1000);
  console.log(`ceiling: bare ioredis pipeline of SET NX GET PX (1000 per round trip) ${fmt(redisRate)} commands/s; ingest = ${(100 * ingest.rate / redisRate).toFixed(0)} % of it`);

  // scale-out: n ingest instances in one consumer group drain the same backlog (the dedupe
  // records hold this run's coordinates, so every record is re-produced, not dropped)
  const n = Number(env.PROFILE_SCALE ?? 1);
  let scale: Drain | null = null;
  if (n > 1) {
    const group = `bench-ingest${n}-${stamp}`;
    scale = await drain(`ingest-x${n}`, 'services/ingest/main.ts', group, ingestEnv(group), stageArgs, start, end, n, INGEST_OUT);
    console.log(`scale:   ${n} ingest instances in one consumer group ${fmt(scale.rate)} events/s (${scale.secs.toFixed(2)} s, ±${scale.errorPct.toFixed(1)} %) = ${(scale.rate / ingest.rate).toFixed(2)}x one instance, ${(100 * scale.rate / pass.rate).toFixed(0)} % of the passthrough; ${scale.cpuUsPerEvent.toFixed(1)} µs CPU/event (summed); peak RSS ${scale.peakRssMiB} MiB each at most; ${load1()}`);
  }
  printProfile('passthrough (ceiling)', pass.profile);
  printProfile('ingest', ingest.profile);
  result('profile-ingest', {
    eventsPerSec: Math.round(ingest.rate), passthroughEventsPerSec: Math.round(pass.rate), ratioToPassthrough: +(ingest.rate / pass.rate).toFixed(3),
    cpuUsPerEvent: +ingest.cpuUsPerEvent.toFixed(1), passthroughCpuUsPerEvent: +pass.cpuUsPerEvent.toFixed(1),
    redisDedupeCommandsPerSec: Math.round(redisRate), ingestPeakRssMiB: ingest.peakRssMiB, passthroughPeakRssMiB: pass.peakRssMiB,
    redisBytesPerEventDedupe: Math.round(ddBytes), events: backlog, loadAverage1m: +os.loadavg()[0]!.toFixed(1),
    ...(scale ? { [`x${n}EventsPerSec`]: Math.round(scale.rate), [`x${n}CpuUsPerEvent`]: +scale.cpuUsPerEvent.toFixed(1), [`x${n}PeakRssMiB`]: scale.peakRssMiB } : {}),
  });
} else {
  // the correlator's input only: ingest drains the raw backlog into *.norm, not profiled
  await drain('ingest-feed', 'services/ingest/main.ts', `bench-ingest-${stamp}`, {
    CROSSTRACE_INGEST_GROUP_ID: `bench-ingest-${stamp}`, CROSSTRACE_INGEST_FROM_BEGINNING: 'false', CROSSTRACE_INGEST_HTTP_PORT: '0',
  });
}

if (STAGES.includes('correlator')) await profileCorrelator();

/** Where a window's Redis bytes go: MEMORY USAGE of the window keys over a sample, per part. */
async function windowBytes(r: Redis): Promise<void> {
  const [, keys] = await r.scan('0', 'MATCH', 'ct:fe:*', 'COUNT', 2000);
  const sample = keys.slice(0, 200);
  let events = 0;
  const bytes = { 'ct:fe (hash member -> payload)': 0, 'ct:ft (zset member by time)': 0 };
  let payload = 0;
  let member = 0;
  for (const k of sample) {
    const ft = k.replace('ct:fe:', 'ct:ft:');
    events += await r.hlen(k);
    bytes['ct:fe (hash member -> payload)'] += Number(await r.call('MEMORY', 'USAGE', k, 'SAMPLES', '0'));
    bytes['ct:ft (zset member by time)'] += Number(await r.call('MEMORY', 'USAGE', ft, 'SAMPLES', '0'));
    const flat = await r.callBuffer('HGETALL', k) as Buffer[];
    for (let i = 0; i < flat.length; i += 2) { member += flat[i]!.length; payload += flat[i + 1]!.length; }
  }
  if (events === 0) return;
  console.log(`  window bytes over ${sample.length} windows (${(events / sample.length).toFixed(1)} events each): ${Object.entries(bytes).map(([n, b]) => `${n} ${(b / events).toFixed(0)}`).join(', ')} bytes/event; of that, stored payload ${(payload / events).toFixed(0)} B and member ${(member / events).toFixed(0)} B (held twice)`);
}

/** The correlator next to its ceilings, on this run's *.norm records (what ingest just wrote). */
async function profileCorrelator(): Promise<void> {
  const normEnd = await highs(NORM);
  const normBacklog = sum(normEnd) - sum(normStart);
  // the windows go to a Redis database of their own, emptied before each drain: every drain
  // indexes into empty windows (a second drain would otherwise find every event already there)
  const DB = 14;
  const dbUrl = `${(env.REDIS_URL ?? 'redis://127.0.0.1:16379').replace(/\/\d+$/, '')}/${DB}`;
  const wredis = new Redis(dbUrl);
  const usedMemory = () => redisUsedMemory(wredis);
  /** Redis server CPU so far (user + system), µs: the shared Redis is where indexing spends. */
  const serverCpuUs = () => redisCpuUs(wredis);
  console.log(`\ncorrelator backlog: ${normBacklog} normalised events in ${NORM.join(', ')}; windows in Redis database ${DB}`);
  const pass = await drain('passthrough-norm', 'bench/passthrough.ts', `bench-pass-norm-${stamp}`, passEnv(`bench-pass-norm-${stamp}`, NORM), [], normStart, normEnd);
  console.log(`ceiling: bare kafkajs passthrough  ${fmt(pass.rate)} events/s (${pass.secs.toFixed(2)} s, ±${pass.errorPct.toFixed(1)} %), ${pass.cpuUsPerEvent.toFixed(1)} µs CPU/event, peak RSS ${pass.peakRssMiB} MiB; ${load1()}`);
  const corrEnv = (group: string) => ({
    CROSSTRACE_CORRELATOR_GROUP_ID: group, CROSSTRACE_CORRELATOR_FROM_BEGINNING: 'false', CROSSTRACE_CORRELATOR_HTTP_PORT: '0',
    CROSSTRACE_CORRELATOR_REBUILD_EMPTY_REDIS: 'false', REDIS_URL: dbUrl,
  });
  await wredis.flushdb();
  const mem0 = await usedMemory();
  const rcpu0 = await serverCpuUs();
  const corr = await drain('correlator', 'services/correlator/main.ts', `bench-corr-${stamp}`, corrEnv(`bench-corr-${stamp}`), stageArgs, normStart, normEnd);
  const corrRedisUs = (await serverCpuUs() - rcpu0) / corr.records; // the whole drain (with startup), so a little high
  const bytesPerEvent = (await usedMemory() - mem0) / corr.records;
  console.log(`stage:   correlator through the service ${fmt(corr.rate)} events/s (${corr.secs.toFixed(2)} s, ±${corr.errorPct.toFixed(1)} %) = ${(100 * corr.rate / pass.rate).toFixed(0)} % of the passthrough; ${corr.cpuUsPerEvent.toFixed(1)} µs CPU/event = ${(corr.cpuUsPerEvent / pass.cpuUsPerEvent).toFixed(1)}x the passthrough's; peak RSS ${corr.peakRssMiB} MiB; Redis ${bytesPerEvent.toFixed(0)} bytes per indexed event (used_memory), Redis server CPU ${corrRedisUs.toFixed(1)} µs/event; ${load1()}`);
  await windowBytes(wredis);

  // Redis ceilings: the index-many script called bare (EVALSHA through the store, batches of
  // 1000, same key shapes, 160-byte values), then its common-case commands pipelined without Lua
  await wredis.flushdb();
  const store = createWindowStore(wredis, { retentionMs: 3_600_000 });
  const at = Date.now();
  const value = Buffer.alloc(160, 7);
  const reqOf = (j: number) => ({ key: `fr|100.64.${(j >> 8) & 255}.${j & 255}`, uid: `${run}-c${j}`, time: at - (j % 60_000), payload: encodeStored({ kind: 'flow-in', producedAt: at, value }) });
  let rc = await serverCpuUs();
  let t0 = performance.now();
  for (let i = 0; i < normBacklog; i += 1000) await store.indexMany(Array.from({ length: Math.min(1000, normBacklog - i) }, (_, k) => reqOf(i + k)), at);
  const scriptRate = normBacklog / ((performance.now() - t0) / 1000);
  const scriptRedisUs = (await serverCpuUs() - rc) / normBacklog;
  await wredis.flushdb();
  rc = await serverCpuUs();
  t0 = performance.now();
  for (let i = 0; i < normBacklog; i += 1000) {
    const p = wredis.pipeline();
    for (let j = i; j < Math.min(normBacklog, i + 1000); j++) {
      const q = reqOf(j);
      const [hash, zset] = partKeys(q.key, 'flow');
      const m = memberOf(q.uid);
      p.hsetnx(hash, m, q.payload).zadd(zset, q.time, m).pttl(hash).exists(waiterKeys(q.key)[1]);
    }
    await p.exec();
  }
  const mixRate = normBacklog / ((performance.now() - t0) / 1000);
  const mixRedisUs = (await serverCpuUs() - rc) / normBacklog;
  console.log(`ceiling: index-many script bare (EVALSHA, 1000 events per round trip) ${fmt(scriptRate)} events/s, Redis CPU ${scriptRedisUs.toFixed(1)} µs/event; its command mix without Lua (HSETNX ZADD PTTL EXISTS, pipelined) ${fmt(mixRate)} events/s, Redis CPU ${mixRedisUs.toFixed(1)} µs/event; correlator = ${(100 * corr.rate / scriptRate).toFixed(0)} % of the script's rate; ${load1()}`);

  let scale: Drain | null = null;
  const n = Number(env.PROFILE_SCALE ?? 1);
  if (n > 1) {
    await wredis.flushdb();
    scale = await drain(`correlator-x${n}`, 'services/correlator/main.ts', `bench-corr${n}-${stamp}`, corrEnv(`bench-corr${n}-${stamp}`), stageArgs, normStart, normEnd, n);
    console.log(`scale:   ${n} correlators in one consumer group ${fmt(scale.rate)} events/s (${scale.secs.toFixed(2)} s, ±${scale.errorPct.toFixed(1)} %) = ${(scale.rate / corr.rate).toFixed(2)}x one instance; ${scale.cpuUsPerEvent.toFixed(1)} µs CPU/event (both); peak RSS ${scale.peakRssMiB} MiB each at most; ${load1()}`);
  }
  await wredis.flushdb();
  wredis.disconnect();
  printProfile('passthrough of *.norm (ceiling)', pass.profile);
  printProfile('correlator', corr.profile);
  result('profile-correlator', {
    eventsPerSec: Math.round(corr.rate), passthroughEventsPerSec: Math.round(pass.rate), ratioToPassthrough: +(corr.rate / pass.rate).toFixed(3),
    cpuUsPerEvent: +corr.cpuUsPerEvent.toFixed(1), passthroughCpuUsPerEvent: +pass.cpuUsPerEvent.toFixed(1),
    indexScriptEventsPerSec: Math.round(scriptRate), redisCpuUsPerEvent: +corrRedisUs.toFixed(1), indexScriptRedisCpuUsPerEvent: +scriptRedisUs.toFixed(1), commandMixEventsPerSec: Math.round(mixRate), peakRssMiB: corr.peakRssMiB,
    redisBytesPerIndexedEvent: Math.round(bytesPerEvent), events: normBacklog, loadAverage1m: +os.loadavg()[0]!.toFixed(1),
    ...(scale ? { [`x${n}EventsPerSec`]: Math.round(scale.rate), [`x${n}CpuUsPerEvent`]: +scale.cpuUsPerEvent.toFixed(1) } : {}),
  });
}
await admin.disconnect();
redis.disconnect();
process.exit(0);

// Where a stage's memory goes while it drains a backlog (issue 14: RSS <= 256 MiB per service):
// N raw events are produced, then the stages (ingest; then, on ingest's output of them, the
// archive into PostgreSQL, the correlator, or the correlator after a window rebuild), each in
// turn, are started as a child process with the caller's environment (the settings under trial:
// MALLOC_ARENA_MAX, NODE_OPTIONS, CROSSTRACE_*_FETCH_*; DRAIN_NODE_ARGS: V8 flags NODE_OPTIONS
// refuses) and drains them. Every 250 ms: VmRSS
// split by /proc/PID/smaps into glibc malloc (the brk heap and the 64 MiB-aligned arena heaps),
// other anonymous memory (V8's heap pages, mmap'd Buffers, stacks) and file-backed (code), next
// to V8's heap and external memory from the stage's /metrics. Prints the peak sample, the
// state a few seconds after the drain, and the drain's rate (records committed between the
// first and the last commit seen, polled every few ms) with the load average. `rebuild`: the
// correlator on an emptied Redis database with no backlog of its own: it replays every *.norm
// record the topics hold into its windows (join/state-rebuild.ts) and nothing else; printed:
// the rebuild's events, rate and CPU per event (from the process start: start-up included).
//   node bench/drain-memory.ts ingest|archive|correlator|rebuild[,...] [events=200000]   (stack env, as bench/profile)
// (events=0 produces nothing and skips ingest: a rebuild of what the topics hold, again)
// e.g. `archive,rebuild`: ingest drains the backlog, then the archive its output, then the
// correlator rebuilds its windows and drains it too.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { Redis } from 'ioredis';
import { resolveKafkaSecurity } from '../services/common/kafka-security.ts';
import { createKafka, ensureTopics } from '../services/common/kafka.ts';
import { createLogger } from '../services/common/logger.ts';
import { createRegistryClient } from '../services/common/registry.ts';
import { TOPICS, pipelineTopics } from '../services/common/topics.ts';
import { offsetSum as sum, processCpuMs as cpuMs, result, topicHighs, type Offsets } from './lib.ts';
import { rssSplit } from './proc-memory.ts';
import { produceRawLoad, rawLoad } from './raw-load.ts';

const STAGES = (process.argv[2] ?? 'ingest').split(',');
if (!STAGES.every((s) => ['ingest', 'archive', 'correlator', 'rebuild'].includes(s))) throw new Error('usage: node bench/drain-memory.ts ingest|archive|correlator|rebuild[,...] [events]');
const N = Number(process.argv[3] ?? 200_000);
const root = new URL('..', import.meta.url).pathname;
const env: Record<string, string | undefined> = { ...process.env, LOG_LEVEL: 'error', NODE_NO_WARNINGS: '1' };
const logger = createLogger('bench', 'error');
const kafka = createKafka({ brokers: (env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(','), clientId: 'bench-drain-memory', logger, security: resolveKafkaSecurity(env) });
const registry = createRegistryClient({ url: env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:18081/apis/ccompat/v7' });
const admin = kafka.admin();
await admin.connect();
await ensureTopics(admin, pipelineTopics(Number(env.CROSSTRACE_INGEST_PARTITIONS ?? 6), []));
await registry.ensureSubjects([TOPICS.flowsRaw, TOPICS.sessionsRaw]);
const RAW = [TOPICS.flowsRaw, TOPICS.sessionsRaw];
const NORM = [TOPICS.flowsNorm, TOPICS.sessionsNorm];
const port = Number(env.SERVICES_PORT_BASE ?? 9100) + 60;
const stamp = Date.now().toString(36);

const highs = (topics: string[]): Promise<Offsets> => topicHighs(admin, topics);
const MiB = (bytes: number) => bytes / 2 ** 20;

async function v8(name: string): Promise<{ heapUsed: number; heapTotal: number; external: number; spaces: string } | null> {
  const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text(), () => '');
  if (!text) return null;
  const g = (n: string) => MiB(Number(new RegExp(`^crosstrace_${name}_${n}(?:\\{[^}]*\\})? (\\S+)`, 'm').exec(text)?.[1] ?? NaN));
  // per V8 space, size (committed) / used, MiB: which space holds what the heap total counts
  const spaces = [...text.matchAll(new RegExp(`^crosstrace_${name}_nodejs_heap_space_size_total_bytes\\{[^}]*space="(\\w+)"[^}]*\\} (\\S+)`, 'gm'))]
    .map(([, space, total]) => [space!, MiB(Number(total)), MiB(Number(new RegExp(`^crosstrace_${name}_nodejs_heap_space_size_used_bytes\\{[^}]*space="${space}"[^}]*\\} (\\S+)`, 'm').exec(text)?.[1] ?? NaN))] as const)
    .filter(([, total]) => total >= 1).map(([space, total, used]) => `${space} ${total.toFixed(0)}/${used.toFixed(0)}`).join(', ');
  return { heapUsed: g('nodejs_heap_size_used_bytes'), heapTotal: g('nodejs_heap_size_total_bytes'), external: g('nodejs_external_memory_bytes'), spaces };
}

/** One stage drains `from` -> `to` as `groupId`; samples memory all along. */
async function drain(name: 'ingest' | 'archive' | 'correlator', from: Offsets, to: Offsets, extra: Record<string, string>, untilRebuilt = false) {
  const groupId = `bench-mem-${name}-${stamp}`;
  for (const [topic, partitions] of from) await admin.setOffsets({ groupId, topic, partitions });
  const up = name.toUpperCase();
  const child = spawn(process.execPath, [...(env.DRAIN_NODE_ARGS ?? '').split(' ').filter(Boolean), `${root}services/${name}/main.ts`], {
    cwd: root, stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...env, [`CROSSTRACE_${up}_GROUP_ID`]: groupId, [`CROSSTRACE_${up}_FROM_BEGINNING`]: 'false', [`CROSSTRACE_${up}_HTTP_PORT`]: String(port), ...extra },
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const total = sum(to);
  const base = sum(from);
  type Sample = NonNullable<ReturnType<typeof rssSplit>> & { v8: Awaited<ReturnType<typeof v8>> };
  let peak: Sample | null = null;
  let lastSample = 0;
  let first: { at: number; half: number; done: number; cpu: number } | null = null;
  let last: { at: number; half: number; done: number; cpu: number } | null = null;
  const t0 = performance.now();
  let prevSent = t0;
  let rebuilt: { events: number; secs: number; rate: number; cpuUs: number } | null = null;
  const sample = async (): Promise<Sample | null> => {
    const s = rssSplit(child.pid!);
    return s ? { ...s, v8: await v8(name) } : null;
  };
  for (;;) {
    await new Promise((r) => setTimeout(r, 10));
    if (performance.now() - lastSample > 250) {
      lastSample = performance.now();
      const s = await sample();
      if (s && (!peak || s.rss > peak.rss)) peak = s;
      if (untilRebuilt) {
        const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text(), () => '');
        const g = (n: string) => Number(new RegExp(`^crosstrace_correlator_rebuild_${n}(?:\\{[^}]*\\})? (\\S+)`, 'm').exec(text)?.[1] ?? NaN);
        const [events, remaining] = [g('events'), g('remaining_records')];
        if (events > 0 && remaining === 0) {
          const secs = (performance.now() - t0) / 1000;
          rebuilt = { events, secs, rate: g('events_per_second'), cpuUs: (cpuMs(child.pid!) * 1000) / events };
          break;
        }
      }
    }
    if (untilRebuilt) {
      if (performance.now() - t0 > 900_000) { console.error(`${name}: rebuild not done after 900 s`); break; }
      continue;
    }
    const sent = performance.now();
    const offs = await admin.fetchOffsets({ groupId, topics: [...from.keys()] });
    const got = performance.now();
    const committed = offs.flatMap((t) => t.partitions).reduce((a, p) => a + Math.max(0, Number(p.offset)), 0);
    const seen = { at: (prevSent + got) / 2, half: (got - prevSent) / 2, done: committed, cpu: cpuMs(child.pid!) };
    prevSent = sent;
    if (!first && committed > base) first = seen;
    if (committed >= total) { last = seen; break; }
    if (performance.now() - t0 > 900_000) { console.error(`${name}: gave up, ${total - committed} behind after 900 s`); break; }
  }
  const secs = first && last ? (last.at - first.at) / 1000 : NaN;
  const rate = first && last ? (last.done - first.done) / secs : NaN;
  const errPct = first && last ? (100 * (first.half + last.half)) / 1000 / secs : NaN;
  const cpuUs = first && last ? ((last.cpu - first.cpu) * 1000) / (last.done - first.done) : NaN;
  const load = os.loadavg()[0]!;
  await new Promise((r) => setTimeout(r, 5_000));
  const after = await sample();
  let hwm = NaN;
  try { hwm = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1]) / 1024; } catch { /* gone */ }
  child.kill('SIGTERM');
  await exited;
  const line = (what: string, s: Sample | null) => s
    ? `${what} RSS ${s.rss.toFixed(0)} MiB = malloc ${s.malloc.toFixed(0)} (${s.arenas} arenas + brk) + other anon ${s.anon.toFixed(0)} + file ${s.file.toFixed(0)}; V8 heap ${s.v8?.heapUsed.toFixed(0)} used of ${s.v8?.heapTotal.toFixed(0)} (by space, size/used: ${s.v8?.spaces}), external ${s.v8?.external.toFixed(0)}`
    : `${what}: no sample`;
  const settings = Object.entries(extra).filter(([k]) => !k.endsWith('_URL')).concat(Object.keys(env).filter((k) => /^(MALLOC_|NODE_OPTIONS$|DRAIN_NODE_ARGS$|LD_PRELOAD$|CROSSTRACE_\w+_(?:FETCH|BATCH)_)/.test(k)).map((k) => [k, env[k]!]));
  if (untilRebuilt) console.log(`${name}: rebuilt ${rebuilt?.events} events in ${rebuilt?.secs.toFixed(1)} s from its start (${rebuilt?.rate} events/s by its own clock), ${rebuilt?.cpuUs.toFixed(1)} µs CPU/event (start-up included); peak RSS (VmHWM) ${hwm.toFixed(0)} MiB; load average ${load.toFixed(1)}; settings ${settings.map(([k, v]) => `${k}=${v}`).join(' ') || 'defaults'}`);
  else console.log(`${name}: drained ${total - base} records at ${Math.round(rate)} records/s (±${errPct.toFixed(1)} %, ${secs.toFixed(2)} s), ${cpuUs.toFixed(1)} µs CPU/record; peak RSS (VmHWM) ${hwm.toFixed(0)} MiB; load average ${load.toFixed(1)}; settings ${settings.map(([k, v]) => `${k}=${v}`).join(' ') || 'defaults'}`);
  console.log(`  ${line('peak sample:', peak)}`);
  console.log(`  ${line('5 s after:  ', after)}`);
  result(`drain-memory-${untilRebuilt ? 'rebuild' : name}`, {
    records: total - base, recordsPerSec: Math.round(rate), cpuUsPerRecord: +cpuUs.toFixed(1), peakRssMiB: Math.round(hwm), peakSampleMallocMiB: Math.round(peak?.malloc ?? NaN), peakSampleAnonMiB: Math.round(peak?.anon ?? NaN),
    peakSampleHeapUsedMiB: Math.round(peak?.v8?.heapUsed ?? NaN), peakSampleHeapTotalMiB: Math.round(peak?.v8?.heapTotal ?? NaN), peakSampleExternalMiB: Math.round(peak?.v8?.external ?? NaN),
    afterRssMiB: Math.round(after?.rss ?? NaN),
    ...(rebuilt ? { rebuildEvents: rebuilt.events, rebuildSecs: +rebuilt.secs.toFixed(1), rebuildEventsPerSec: rebuilt.rate, rebuildCpuUsPerEvent: +rebuilt.cpuUs.toFixed(1) } : {}),
    loadAverage1m: +load.toFixed(1), settings: settings.map(([k, v]) => `${k}=${v}`).join(' '),
  });
}

// the backlog: N raw events produced before the stage starts
const rawStart = await highs(RAW);
const normStart = await highs(NORM);
if (N > 0) await produceRawLoad(kafka, rawLoad(registry, N, `m${stamp}`));
const rawEnd = await highs(RAW);
console.log(`backlog: ${sum(rawEnd) - sum(rawStart)} raw events; load average ${os.loadavg()[0]!.toFixed(1)}`);
// ingest's output of this backlog is the correlator's input (ingest drains it first, measured
// too); events=0: no backlog, only `rebuild` has work (what the topics hold already)
if (N > 0) await drain('ingest', rawStart, rawEnd, { CROSSTRACE_INGEST_HTTP_PORT: String(port) });
const normEnd = await highs(NORM);
// the archive writes them into the stack's history store (their uids are new: no merge path)
if (STAGES.includes('archive')) await drain('archive', normStart, normEnd, {});
for (const STAGE of STAGES.filter((s) => s === 'correlator' || s === 'rebuild')) {
  // windows in a Redis database of their own, emptied first: every event is indexed anew;
  // `rebuild`: the correlator finds that Redis lost its windows and replays every *.norm
  // record the topics hold into them (join/state-rebuild.ts); its group starts at the end
  const dbUrl = `${(env.REDIS_URL ?? 'redis://127.0.0.1:16379').replace(/\/\d+$/, '')}/13`;
  const wredis = new Redis(dbUrl);
  await wredis.flushdb();
  if (STAGE === 'rebuild') await drain('correlator', normEnd, normEnd, { REDIS_URL: dbUrl, CROSSTRACE_CORRELATOR_REBUILD_EMPTY_REDIS: 'true' }, true);
  else await drain('correlator', normStart, normEnd, { REDIS_URL: dbUrl, CROSSTRACE_CORRELATOR_REBUILD_EMPTY_REDIS: 'false' });
  await wredis.flushdb();
  wredis.disconnect();
}
await admin.disconnect();
process.exit(0);

// The broker's CPU and request mix over a window (issue 14: the broker was the largest CPU
// consumer of the end-to-end sweep). Run it beside whatever load is on (nothing: idle polling;
// bench/correlate-latency at a fixed rate: per event), against the local stack:
//   node bench/broker-cpu.ts [seconds=30] [label]      (BROKER_JFR=1: also where the CPU went)
// Prints, for the Kafka JVM of $STACK_DIR/run/kafka.pid:
//  - its CPU (utime + stime from /proc) as % of one core, split by thread kind (network threads:
//    sockets and TLS; request handlers: the requests' work; GC; JIT; the rest), thread names
//    from one jstack at the start;
//  - requests/s by API from the broker's own counters (kafka.network RequestMetrics
//    RequestsPerSec Count, all versions), read over the JVM's local JMX connector
//    (jcmd ManagementAgent.start_local, what jconsole attaches to: loopback only, no remote JMX
//    port configured) with Kafka's JmxTool at the
//    window's edges, outside the CPU window;
//  - raw records written (flows.raw + sessions.raw high watermarks) and broker CPU µs per raw
//    record when there were any, with the load average; and every process of the stack over the
//    same window (bench/process-cpu.ts: the services' own share, e.g. their idle polling);
//  - Redis over the same window (REDIS_URL; skipped, saying why, without it or when Redis does
//    not answer): its CPU per raw record, the scripts' share and each command's (INFO
//    commandstats: a script's redis.call()s are counted in the script's µs and again as their
//    commands, beside the clients' own commands), and how full all the window parts Redis holds
//    are at the end (this window's and earlier steps': a part past 128 events is a hashtable +
//    skiplist, below a listpack scanned per write; the index bench's windows hold 6 events each,
//    a CGN address or a server far more).
// BROKER_LOAD_RATE=N produces N raw records/s itself (bench/raw-load.ts' mix, in 50 ms ticks as
// bench/correlate-latency's background does), from 5 s before the window to its end: the
// pipeline's broker CPU per event without the latency bench's own readers (two consumers at
// maxWait 20 ms, one of sessions.norm committing after every batch).
// BROKER_JFR=1 records the window with JFR (settings=profile) and prints the top frames by self
// samples and the share of samples under TLS, fetch and produce handling, log appends and reads,
// offset commits and the authorizer.
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { resolveKafkaSecurity } from '../services/common/kafka-security.ts';
import { createLogger } from '../services/common/logger.ts';
import { TOPICS } from '../services/common/topics.ts';
import { createRegistryClient } from '../services/common/registry.ts';
import { createKafka, createProducer, sendChunked } from '../services/common/kafka.ts';
import { groupLag, offsetSum, redisDelta, redisStats, result, topicHighs } from './lib.ts';
import { rawLoad } from './raw-load.ts';
import { cpuBetween, sampleCpu } from './process-cpu.ts';

const SECONDS = Number(process.argv[2] ?? 30);
const LABEL = process.argv[3] ?? 'window';
const stackDir = process.env.STACK_DIR ?? '.stack';
const pid = Number(readFileSync(join(stackDir, 'run', 'kafka.pid'), 'utf8').trim());
const libs = readdirSync('.cache').filter((d) => d.startsWith('kafka-')).map((d) => join('.cache', d, 'libs'))[0];
if (!(SECONDS > 0) || !(pid > 0) || !libs) { console.error('usage: broker-cpu.ts [seconds] [label] (stack env, a running stack, make setup done)'); process.exit(2); }
const HZ = 100;

/** utime+stime ticks of every thread of the broker, by thread id. */
function threadTicks(): Map<number, number> {
  const out = new Map<number, number>();
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      const f = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
      const x = f.slice(f.lastIndexOf(')') + 2).split(' ');
      out.set(Number(t), Number(x[11]) + Number(x[12]));
    } catch { /* the thread ended */ }
  }
  return out;
}

/** Java thread names by native thread id (jstack's nid), grouped into kinds. */
function threadKinds(): Map<number, string> {
  const text = execFileSync('jstack', [String(pid)], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const out = new Map<number, string>();
  for (const m of text.matchAll(/^"([^"]+)".*? nid=(0x[0-9a-f]+)/gm)) {
    const name = m[1]!;
    const kind = /network-thread/.test(name) ? 'network' : /request-handler/.test(name) ? 'handlers'
      : /GC|G1/.test(name) ? 'gc' : /Compiler/.test(name) ? 'jit' : /quorum|raft|controller|metadata/i.test(name) ? 'kraft'
      : /group-coordinator|transaction|TxnMarker/i.test(name) ? 'coordinators' : 'other';
    out.set(Number.parseInt(m[2]!, 16), kind);
  }
  return out;
}

/** The broker's request counts by API (all versions summed), over its local JMX connector. */
function requestCounts(): { at: number; counts: Map<string, number> } {
  execFileSync('jcmd', [String(pid), 'ManagementAgent.start_local'], { stdio: 'ignore' });
  const status = execFileSync('jcmd', [String(pid), 'ManagementAgent.status'], { encoding: 'utf8' });
  const url = /^URL\s*:\s*(\S+)/m.exec(status)?.[1];
  if (!url) throw new Error(`no local JMX connector URL in: ${status}`);
  const text = execFileSync('java', ['-Xmx64m', '-XX:TieredStopAtLevel=1', '-cp', `${libs}/*`, 'org.apache.kafka.tools.JmxTool', '--jmx-url', url,
    '--object-name', 'kafka.network:type=RequestMetrics,name=RequestsPerSec,*', '--attributes', 'Count', '--one-time', 'true', '--report-format', 'properties'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const out = new Map<string, number>();
  for (const m of text.matchAll(/request=([A-Za-z]+),version=\d+:Count=(\d+)/g)) out.set(m[1]!, (out.get(m[1]!) ?? 0) + Number(m[2]));
  return { at: Number(/^time=(\d+)/m.exec(text)?.[1] ?? Date.now()), counts: out };
}

/** Top frames of a JFR recording: self samples by method, and the share of samples whose stack
 *  passes through each kind of work (a sample can count under several). */
async function jfrTop(file: string): Promise<void> {
  const p = spawn('jfr', ['print', '--events', 'jdk.ExecutionSample', '--stack-depth', '48', file], { stdio: ['ignore', 'pipe', 'ignore'] });
  const self = new Map<string, number>();
  const under = { tls: 0, logAppend: 0, fetchRead: 0, fetch: 0, produce: 0, offsetCommit: 0, authorizer: 0 };
  let samples = 0;
  let frames: string[] = [];
  const flush = () => {
    if (frames.length === 0) return;
    samples++;
    self.set(frames[0]!, (self.get(frames[0]!) ?? 0) + 1);
    const s = frames.join('\n');
    if (/sun\.security\.ssl|javax\.crypto|com\.sun\.crypto|SslTransportLayer/.test(s)) under.tls++;
    if (/UnifiedLog\.append|LogSegment\.append/.test(s)) under.logAppend++;
    if (/readFromLog|UnifiedLog\.read/.test(s)) under.fetchRead++;
    if (/handleFetchRequest|DelayedFetch/.test(s)) under.fetch++;
    if (/handleProduceRequest/.test(s)) under.produce++;
    if (/OffsetCommit|handleCommitOffset/.test(s)) under.offsetCommit++;
    if (/Authorizer/.test(s)) under.authorizer++;
    frames = [];
  };
  let inStack = false;
  for await (const line of createInterface({ input: p.stdout })) {
    if (line.startsWith('jdk.ExecutionSample')) { flush(); inStack = false; continue; }
    if (/stackTrace = \[/.test(line)) { inStack = true; continue; }
    if (inStack && /^\s*\]/.test(line)) { inStack = false; continue; }
    if (inStack) frames.push(line.trim().replace(/\s+line:.*$/, ''));
  }
  flush();
  const pct = (n: number) => `${((100 * n) / Math.max(1, samples)).toFixed(0)} %`;
  console.log(`  JFR: ${samples} Java samples; stacks under TLS ${pct(under.tls)}, fetch handling ${pct(under.fetch)} (log reads ${pct(under.fetchRead)}), produce handling ${pct(under.produce)}, log appends ${pct(under.logAppend)}, offset commits ${pct(under.offsetCommit)}, the authorizer ${pct(under.authorizer)}`);
  for (const [f, n] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`    ${pct(n).padStart(5)}  ${f}`);
}

const logger = createLogger('bench', 'error');
const kafka = createKafka({ brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(','), clientId: 'bench-broker-cpu', logger, security: resolveKafkaSecurity(process.env) });
const admin = kafka.admin();
await admin.connect();
const raw = [TOPICS.flowsRaw, TOPICS.sessionsRaw];
/** Records the running services' groups have not committed yet (deploy/local/services.sh's
 *  group ids), summed: flat over the window = the services kept up with the load. */
const groups: [string, string[]][] = [['crosstrace-ingest', raw], ['crosstrace-correlator', [TOPICS.flowsNorm, TOPICS.sessionsNorm]], ['crosstrace-archive', [TOPICS.flowsNorm, TOPICS.sessionsNorm]]];
const backlog = (): Promise<number> => groupLag(admin, groups);
const loadRate = Number(process.env.BROKER_LOAD_RATE ?? 0);
let stopLoad = async (): Promise<void> => undefined;
if (loadRate > 0) {
  const registry = createRegistryClient({ url: process.env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:18081/apis/ccompat/v7' });
  await registry.ensureSubjects(raw);
  const producer = await createProducer(kafka);
  const run = `bcpu${Date.now().toString(36)}`;
  let stop = false;
  const t0 = Date.now();
  let n = 0;
  const loop = (async () => {
    for (let tick = 0; !stop; tick++) {
      const due = Math.floor(((Date.now() - t0) / 1000) * loadRate) - n;
      if (due > 0) {
        const l = rawLoad(registry, due, `${run}-${tick}`);
        await sendChunked(producer, [{ topic: TOPICS.flowsRaw, messages: l.flows }, { topic: TOPICS.sessionsRaw, messages: l.sessions }].filter((t) => t.messages.length > 0));
        n += due;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  stopLoad = async () => { stop = true; await loop; await producer.disconnect(); };
  await new Promise((r) => setTimeout(r, 5000));
  // the window starts once the services have caught up (what an earlier run left queued would
  // count as this window's work), at most 60 s more
  for (const until = Date.now() + 60_000; (await backlog()) > loadRate / 2 && Date.now() < until;) await new Promise((r) => setTimeout(r, 1000));
}
const kinds = threadKinds();
const jfrFile = join(stackDir, 'tmp', `broker-${Date.now()}.jfr`);
const jfr = process.env.BROKER_JFR === '1';
const lag0 = await backlog();
const req0 = requestCounts();
const raw0 = offsetSum(await topicHighs(admin, raw));
if (jfr) execFileSync('jcmd', [String(pid), 'JFR.start', 'name=ct-broker-cpu', 'settings=profile', `filename=${jfrFile}`], { stdio: 'ignore' });
const load0 = loadavg()[0]!;
const redis = process.env.REDIS_URL ? new Redis(process.env.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 }) : undefined;
let redisSkipped = redis ? '' : 'REDIS_URL is not set';
/** Redis' counters, or undefined (and why) when it does not answer: the broker's figures stand without them. */
const readRedis = async () => {
  try { return redis && !redisSkipped ? await redisStats(redis) : undefined; } catch (e) { redisSkipped = `Redis did not answer: ${(e as Error).message}`; return undefined; }
};
const rs0 = await readRedis();
const t0 = Date.now();
const th0 = threadTicks();
const cpu0 = sampleCpu(stackDir);
await new Promise((r) => setTimeout(r, SECONDS * 1000));
const th1 = threadTicks();
const cpu1 = sampleCpu(stackDir);
const secs = (Date.now() - t0) / 1000;
const rs1 = await readRedis();
const load1 = loadavg()[0]!;
if (jfr) execFileSync('jcmd', [String(pid), 'JFR.stop', 'name=ct-broker-cpu'], { stdio: 'ignore' });
const raw1 = offsetSum(await topicHighs(admin, raw));
const req1 = requestCounts();
const lag1 = await backlog();
await stopLoad();
await admin.disconnect();

const byKind = new Map<string, number>();
let total = 0;
for (const [tid, t] of th1) {
  const d = t - (th0.get(tid) ?? 0);
  total += d;
  const k = kinds.get(tid) ?? 'other';
  byKind.set(k, (byKind.get(k) ?? 0) + d);
}
const corePct = (ticks: number) => +((100 * ticks) / HZ / secs).toFixed(1);
const events = raw1 - raw0;
// over the time between the two reads (the load runs on while JmxTool starts)
const reqSecs = (req1.at - req0.at) / 1000;
const rates = [...req1.counts].map(([api, n]) => [api, +((n - (req0.counts.get(api) ?? 0)) / reqSecs).toFixed(1)] as const).filter(([, r]) => r > 0).sort((a, b) => b[1] - a[1]);
// FetchConsumer and FetchFollower are Fetch requests counted once more by who sent them
const reqTotal = rates.filter(([a]) => a !== 'FetchConsumer' && a !== 'FetchFollower').reduce((a, [, r]) => a + r, 0);
const usPerEvent = events > 0 ? +((1e6 * total) / HZ / events).toFixed(1) : 0;
console.log(`broker CPU [${LABEL}] over ${secs.toFixed(0)} s: ${corePct(total)} % of a core (${[...byKind].sort((a, b) => b[1] - a[1]).map(([k, t]) => `${k} ${corePct(t)}`).join(', ')})`
  + `; ${reqTotal.toFixed(0)} requests/s (${rates.map(([a, r]) => `${a} ${r}`).join(', ')})`
  + `; raw records ${(events / secs).toFixed(0)}/s${events > 0 ? `, ${usPerEvent} µs broker CPU per raw record, ${(reqTotal / (events / secs) * 1000).toFixed(1)} requests per 1000 records` : ''}; services' backlog ${lag0} -> ${lag1}; load average ${load0.toFixed(1)} -> ${load1.toFixed(1)}`);
result('broker-cpu', { label: LABEL, seconds: +secs.toFixed(1), brokerCorePct: corePct(total), ...Object.fromEntries([...byKind].map(([k, t]) => [`${k}CorePct`, corePct(t)])),
  requestsPerSec: +reqTotal.toFixed(1), ...Object.fromEntries(rates.map(([a, r]) => [`${a}PerSec`, r])), rawRecordsPerSec: +(events / secs).toFixed(0), usPerRawRecord: usPerEvent, backlogStart: lag0, backlogEnd: lag1, loadAverage1m: +load1.toFixed(1) });
if (cpu0 && cpu1) {
  const c = cpuBetween(cpu0, cpu1, events);
  console.log(`  every process over the window (% of one core${events > 0 ? ', µs per raw record' : ''}): ${c.rows.map((r) => `${r.name} ${r.corePct} %${events > 0 ? ` (${r.usPerEvent})` : ''}`).join(', ')}`);
}
if (redis && rs0 && rs1 && events > 0) {
  const d = redisDelta(rs0, rs1, events);
  const parts = await partSizes(redis).catch((e: Error) => ({ text: `not read (${e.message})`, figures: {} }));
  console.log(`  Redis per raw record: ${d.cpuUs.toFixed(1)} µs CPU, of it scripts ${d.scriptUs.toFixed(1)} µs (${d.scriptCalls.toFixed(3)} calls); by command (a script's calls counted in its µs and again here) `
    + `${d.commands.slice(0, 8).map((x) => `${x.c} ${x.usec.toFixed(2)} (${x.calls.toFixed(2)})`).join(', ')} µs (calls); all window parts Redis holds: ${parts.text}`);
  result('broker-cpu-redis', { label: LABEL, redisCpuUsPerRawRecord: +d.cpuUs.toFixed(1), scriptUsPerRawRecord: +d.scriptUs.toFixed(1),
    ...Object.fromEntries(d.commands.slice(0, 8).map((x) => [`${x.c}UsPerRawRecord`, +x.usec.toFixed(2)])), ...parts.figures });
} else if (events > 0) console.log(`  Redis: not measured (${redisSkipped || 'no counters read'})`);
redis?.disconnect();
if (jfr) { await jfrTop(jfrFile); rmSync(jfrFile, { force: true }); }
process.exit(0);

/** How many events the window parts hold (ZCARD of every part's time zset, about 20000 parts per
 *  side at most: the scan stops after the SCAN call that passed it), and the share of their
 *  events in parts of <= 16, 17-128 and > 128 events. */
async function partSizes(r: Redis): Promise<{ text: string; figures: Record<string, number> }> {
  const sizes: Record<'session' | 'flow', number[]> = { session: [], flow: [] };
  for (const [side, match] of [['session', 'ct:st:*'], ['flow', 'ct:ft:*']] as const) {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', match, 'COUNT', 5000);
      cursor = next;
      if (keys.length > 0) {
        const p = r.pipeline();
        for (const k of keys) p.zcard(k);
        for (const [, n] of (await p.exec()) ?? []) if (typeof n === 'number') sizes[side].push(n);
      }
    } while (cursor !== '0' && sizes[side].length < 20_000);
  }
  const figures: Record<string, number> = {};
  const text = (['session', 'flow'] as const).map((side) => {
    const s = sizes[side].sort((a, b) => a - b), total = s.reduce((a, n) => a + n, 0) || 1;
    const share = (f: (n: number) => boolean) => Math.round((100 * s.filter(f).reduce((a, n) => a + n, 0)) / total);
    const [le16, le128, over] = [share((n) => n <= 16), share((n) => n > 16 && n <= 128), share((n) => n > 128)];
    Object.assign(figures, { [`${side}Parts`]: s.length, [`${side}PartMedian`]: s[s.length >> 1] ?? 0, [`${side}PartMax`]: s.at(-1) ?? 0, [`${side}EventsPctOver128`]: over });
    return `${side} ${s.length} parts, median ${s[s.length >> 1] ?? 0} events, max ${s.at(-1) ?? 0}; their events in parts of <= 16 / 17-128 / > 128 events: ${le16} / ${le128} / ${over} %`;
  }).join('; ');
  return { text, figures };
}

// End-to-end latency on the local stack: ingest + correlator + tracer in-process, a steady
// background of raw flows and sessions at a target rate, and K traces each waiting on a
// CGN address; for each trace the decisive port-block log is produced and the time until the
// FR view with the new hop is RECEIVED on trace.updates.FR is measured (produce -> receipt).
// Also: the backlog (consumer lag of ingest, correlator and tracer, summed) when the
// measurement starts and ends, so "the pipeline keeps up" is a printed figure (flat) and not
// an assumption, and the machine's load average beside every figure.
// Needs the stack env (eval "$(make -s stack-env)").
//   node bench/correlate-latency.bench.ts [backgroundEventsPerSec=10000 | 1000,2000,5000,10000] [traces=40]
// Each rate runs for at least BENCH_E2E_SECONDS (default 60; the traces spread over it): "flat"
// means the backlog grew by less than one second of background over that time (< 1.7 % of the
// rate at 60 s), so a pipeline that keeps up for 10 s and then falls behind is not called flat.
// The archive's backlog is printed beside it (it reads the same topics and competes for the same
// cores; it is not on the decisive path). One warm-up trace before the first rate is printed
// and not counted: a service's first trace after it starts pays one-off costs (first
// transaction, JIT), a cold start and not the steady state the aim is about.
// A sweep (rates comma-separated) prints each rate's rows and then the highest rate whose p99
// stayed <= 100 ms with the backlog flat; a rate whose traces time out 3 times in a row is cut
// short, so a sweep past the pipeline's ceiling stays bounded in time.
// Beside each rate, the decisive path's floor (bench/decisive-floor.ts, bare kafkajs through the
// same hops and transaction, no work, in a process of its own during the same traces): the
// ceiling the end-to-end figures are printed against.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FlowEvent, SessionEvent, SignedTraceUpdate, TraceRequest } from '../schemas/types.gen.ts';
import { resolveKafkaSecurity } from '../services/common/kafka-security.ts';
import { createKafka, createProducer, sendChunked } from '../services/common/kafka.ts';
import { createLogger } from '../services/common/logger.ts';
import { createRegistryClient } from '../services/common/registry.ts';
import { TOPICS, jurisdictionTopic } from '../services/common/topics.ts';
import { startCorrelator } from '../services/correlator/main.ts';
import { startIngest } from '../services/ingest/main.ts';
import { followUpRequest } from '../services/partner/domain/open-request.ts';
import { startTracer } from '../services/tracer/main.ts';
import { fmt, groupLag, mem, result, summarise } from './lib.ts';
import { cpuBetween, sampleCpu } from './process-cpu.ts';
import { between, scrape, startStageTrace, STAGES, type ServiceSample } from './stage-trace.ts';

/** Background rates, events/s: one, or a comma-separated sweep (each measured in turn, the
 *  stages drained in between). */
const RATES = (process.argv[2] ?? '10000').split(',').map(Number);
const TRACES = Number(process.argv[3] ?? 40);
/** The aim's p99 (issue 14), only to name the sweep's answer: printed, never asserted. */
const P99_AIM_MS = 100;
const MIN_SECONDS = Number(process.env.BENCH_E2E_SECONDS ?? 60);
/** BENCH_E2E_FLOOR=0: no decisive-path floor (bench/decisive-floor.ts) beside each rate. */
const FLOOR = process.env.BENCH_E2E_FLOOR !== '0';
if (RATES.some((r) => !(r > 0)) || !(TRACES > 0) || !(MIN_SECONDS >= 0)) { console.error('usage: correlate-latency.bench.ts <rate[,rate...]> [traces]'); process.exit(2); }
const run = Date.now().toString(36);
const runOctet = Math.floor(Math.random() * 256);
const common = { ...process.env, LOG_LEVEL: 'error' };
const g = (s: string) => `bench-${s}-${run}`;
// CROSSTRACE_BENCH_SERVICES=running: measure the services `make up` started (separate
// processes) instead of starting them in this process.
const external = process.env.CROSSTRACE_BENCH_SERVICES === 'running';
const services = external ? [] : [
  await startTracer({ ...common, CROSSTRACE_TRACER_HTTP_PORT: '0', CROSSTRACE_TRACER_GROUP_ID: g('tracer'), CROSSTRACE_TRACER_TRANSACTIONAL_ID: g('tracer-tx'), CROSSTRACE_TRACER_FROM_BEGINNING: 'false', CROSSTRACE_DEMO: '1', CROSSTRACE_TRACER_SIGNING_KEY_FILE: join(mkdtempSync(join(tmpdir(), 'ct-')), 'k.pem') }),
  await startCorrelator({ ...common, CROSSTRACE_CORRELATOR_HTTP_PORT: '0', CROSSTRACE_CORRELATOR_GROUP_ID: g('correlator'), CROSSTRACE_CORRELATOR_FROM_BEGINNING: 'false' }),
  await startIngest({ ...common, CROSSTRACE_INGEST_HTTP_PORT: '0', CROSSTRACE_INGEST_GROUP_ID: g('ingest'), CROSSTRACE_INGEST_FROM_BEGINNING: 'false' }),
];
// Running services first finish what is queued for them (earlier runs' events): a backlog
// would be measured as latency.
const base = Number(process.env.SERVICES_PORT_BASE ?? 9100);
if (external) {
  // the archive (base + 6) reads the same topics: its catch-up would be measured as latency too
  const ports = [base + 1, base + 2, base + 3, base + 6];
  const lagOf = async (port: number) => {
    const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text(), () => ''); // a service not running has nothing queued
    return [...text.matchAll(/^crosstrace_\w+_consumer_lag_messages\{[^}]*\} (\d+)/mg)].reduce((a, m) => a + Number(m[1]), 0);
  };
  for (const until = Date.now() + 600_000; ;) {
    const lag = (await Promise.all(ports.map(lagOf))).reduce((a, b) => a + b, 0);
    if (lag === 0) break;
    if (Date.now() > until) { console.error(`the running services still have ${lag} messages queued after 10 min`); process.exit(1); }
    console.log(`waiting for the running services to catch up: ${lag} messages queued`);
    await new Promise((r) => setTimeout(r, 5000));
  }
}
const logger = createLogger('bench', 'error');
const kafka = createKafka({ brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(','), clientId: 'bench', logger, security: resolveKafkaSecurity(process.env) });
const registry = createRegistryClient({ url: process.env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:18081/apis/ccompat/v7' });
await registry.ensureSubjects([TOPICS.flowsRaw, TOPICS.sessionsRaw, TOPICS.traceRequests, jurisdictionTopic('FR')]);
const producer = await createProducer(kafka);
const received = new Map<string, { at: number; viewTs: number; publishedAt: number }>();
const consumer = kafka.consumer({ groupId: g('reader'), maxWaitTimeInMs: 20 });
await consumer.connect();
await consumer.subscribe({ topic: jurisdictionTopic('FR'), fromBeginning: false });
// autoCommit off: a throwaway group that starts at the end; kafkajs would commit after every
// batch, OffsetCommits the broker's CPU per event would count as the pipeline's
await consumer.run({ autoCommit: false, eachMessage: async ({ message }) => {
  const at = Date.now();
  const s = await registry.decode<SignedTraceUpdate>(jurisdictionTopic('FR'), message.value);
  if (s.update.hops.some((h) => h.method === 'PORT_BLOCK') && !received.has(s.update.traceId)) received.set(s.update.traceId, { at, viewTs: Number(message.timestamp), publishedAt: s.update.publishedAt });
} });
// the decisive record's timestamps along the path (bench/stage-trace.ts)
const stages = await startStageTrace(kafka, { groupId: g('stages'), uidPrefix: `fr-cgn-1/${run}-pb`, tracePrefix: `${run}-t` });
await new Promise((r) => setTimeout(r, 3000));

// background: 75% flows, 25% port-block logs on other addresses, produced in 50 ms ticks
let bgSeq = 0; // event ids stay unique across the rates of a sweep
function background(rate: number) {
  let sent = 0;
  let stop = false;
  const done = (async () => {
    const t0 = Date.now();
    let n = 0;
    while (!stop) {
      const due = Math.floor(((Date.now() - t0) / 1000) * rate);
      const flows = []; const sessions = [];
      for (; n < due; n++) {
        const i = bgSeq++;
        const now = Date.now();
        const inside = `100.65.${(i >> 8) & 255}.${i & 255}`;
        if (i % 4) {
          const f: FlowEvent = { eventId: `${run}-bf${i}`, exporterId: 'fr-flow-1', exportTime: now, srcAddr: inside, srcPort: 1024 + (i % 60000), dstAddr: '192.0.2.99', dstPort: 443, protocol: 6,
            startTime: now - 10_000, endTime: now, octets: 5000, packets: 9, postNatSrcAddr: null, postNatSrcPort: null, endReason: 'ACTIVE_TIMEOUT', jurisdiction: null, providerId: null, clockOffsetMs: 0 };
          flows.push({ key: `x${i % 16}`, value: registry.encode(TOPICS.flowsRaw, f) });
        } else {
          const s: SessionEvent = { eventId: `${run}-bs${i}`, exporterId: 'fr-cgn-1', exportTime: now, kind: 'PORT_BLOCK', action: 'START', natEvent: 14, eventTime: now - 1000, protocol: null,
            outsideAddr: `198.51.100.${200 + (i % 50)}`, outsidePort: null, portRangeStart: 1024 + (i % 100) * 512, portRangeEnd: 1535 + (i % 100) * 512, insideAddr: inside, insidePort: null,
            framedIpAddress: null, framedIpv6Prefix: null, delegatedIpv6Prefix: null, acctSessionId: null, acctDelayTime: null, subscriberHandle: null, jurisdiction: null, providerId: null, clockOffsetMs: 0 };
          sessions.push({ key: `y${i % 16}`, value: registry.encode(TOPICS.sessionsRaw, s) });
        }
      }
      if (flows.length + sessions.length) {
        // in requests of at most 512 KiB: a tick that falls seconds behind on a loaded machine
        // carries seconds of background, more than one produce request may (MESSAGE_TOO_LARGE)
        await sendChunked(producer, [{ topic: TOPICS.flowsRaw, messages: flows }, { topic: TOPICS.sessionsRaw, messages: sessions }].filter((t) => t.messages.length > 0));
        sent += flows.length + sessions.length;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    return sent / ((Date.now() - t0) / 1000);
  })();
  /** Stops the background; resolves to the rate it achieved, events/s. */
  return { stop: () => { stop = true; return done; } };
}

// backlog: messages the three stages' groups have not committed yet, summed
const admin = kafka.admin();
await admin.connect();
const groups: [string, string[]][] = [
  [external ? 'crosstrace-ingest' : g('ingest'), [TOPICS.flowsRaw, TOPICS.sessionsRaw]],
  [external ? 'crosstrace-correlator' : g('correlator'), [TOPICS.flowsNorm, TOPICS.sessionsNorm]],
  [external ? 'crosstrace-tracer' : g('tracer'), [TOPICS.traceHops]],
];
// the drain between rates waits for the archive too (it competes for the same cores); the
// backlog figure of a rate stays the three stages' (the decisive path)
const archiveGroup: [string, string[]][] = external ? [['crosstrace-archive', [TOPICS.flowsNorm, TOPICS.sessionsNorm]]] : [];
const drainGroups: [string, string[]][] = [...groups, ...archiveGroup];
const backlog = (of = groups): Promise<number> => groupLag(admin, of);
const load = () => loadavg().map((x) => x.toFixed(1)).join(' ');
const ports = { ingest: base + 1, correlator: base + 2, tracer: base + 3 };
const sample = async () => Object.fromEntries(await Promise.all(Object.entries(ports).map(async ([n, p]) => [n, external ? await scrape(p) : undefined]))) as Record<string, ServiceSample | undefined>;
/** Traces opened so far (ids, addresses and port blocks stay fresh across the sweep's rates). */
let opened = 0;
/** Every trace this run opened, closed at the end: an open trace keeps its lookups waiting on
 *  their windows until it expires, and a later run (make chaos after make bench) would pay for
 *  waking them. */
const openedTraces: TraceRequest[] = [];
/** A rate whose traces time out this many times in a row is cut short (the sweep stays bounded). */
const MISSES_IN_A_ROW = 3;

/** Opens one trace on a fresh CGN address, waits until its lookup is registered, produces the
 *  decisive port-block log and waits (10 s at most) for the FR view with the new hop: the
 *  latency from that produce to the view's receipt, ms, or undefined on a timeout. */
async function oneTrace(countStages = true): Promise<number | undefined> {
  const k = opened++;
  const now = Date.now();
  const addr = `198.19.${runOctet}.${1 + (k % 250)}`; // fresh per run: windows keep earlier runs' logs
  const req: TraceRequest = { traceId: `${run}-t${k}`, action: 'OPEN', requestingJurisdiction: 'GB', legalBasis: 'EMERGENCY', caseReference: `bench-${run}`,
    srcAddr: addr, srcPort: 40001 + k, dstAddr: '192.0.2.10', dstPort: 443, protocol: 6, observedTime: now - 1000, toleranceMs: 2000, requestedAt: now, expiresAt: now + 600_000 };
  await producer.send({ topic: TOPICS.traceRequests, messages: [{ key: req.traceId, value: registry.encode(TOPICS.traceRequests, req) }] });
  openedTraces.push(req);
  await new Promise((r) => setTimeout(r, 300)); // the lookup is registered and waiting
  const pb: SessionEvent = { eventId: `${run}-pb${k}`, exporterId: 'fr-cgn-1', exportTime: Date.now(), kind: 'PORT_BLOCK', action: 'START', natEvent: 14, eventTime: now - 60_000, protocol: null,
    outsideAddr: addr, outsidePort: null, portRangeStart: 39936, portRangeEnd: 40447 + k, insideAddr: `100.66.${k >> 8}.${(k & 255) + 1}`, insidePort: null, framedIpAddress: null,
    framedIpv6Prefix: null, delegatedIpv6Prefix: null, acctSessionId: null, acctDelayTime: null, subscriberHandle: null, jurisdiction: null, providerId: null, clockOffsetMs: 0 };
  const sent = Date.now();
  await producer.send({ topic: TOPICS.sessionsRaw, messages: [{ key: 'fr-cgn-1', value: registry.encode(TOPICS.sessionsRaw, pb) }] });
  const until = Date.now() + 10_000;
  while (!received.has(req.traceId) && Date.now() < until) await new Promise((r) => setTimeout(r, 2));
  const got = received.get(req.traceId);
  if (!got) { console.error(`trace ${k}: no FR update within 10 s`); return undefined; }
  await new Promise((r) => setTimeout(r, 50)); // the stage reader's fetch of trace.hops
  if (countStages && !stages.add(`fr-cgn-1/${pb.eventId}`, req.traceId, got.publishedAt, got.viewTs, got.at)) console.error(`trace ${k}: a stage timestamp was not seen`);
  return got.at - sent;
}

/** bench/decisive-floor.ts as a child process: `ready` once its consumers hold their partitions
 *  and its warm-up went through (false when it failed or took over 2 minutes: the rate's own
 *  figures then stand without it); `go` starts the records it counts; `stop` ends them (SIGTERM:
 *  it reports what it sent); `done` its printed line and RESULT row (none when it failed).
 *  Killed when it does not end within 30 s of `stop`. */
type FloorRow = { name: string; p50Ms: number; p99Ms: number } & Record<string, number | string>;
function decisiveFloor(records: number, seconds: number, label: string): { ready: Promise<boolean>; go: () => void; stop: () => void; done: Promise<{ line: string; row?: FloorRow }> } {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./decisive-floor.ts', import.meta.url)), String(records), String(seconds), label], { env: { ...process.env, FLOOR_WAIT_GO: '1' }, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.on('error', () => undefined); // a child that died: its end is reported by `done`
  let out = ''; let err = '';
  let setReady: (ok: boolean) => void = () => undefined;
  const ready = new Promise<boolean>((resolve) => { setReady = resolve; });
  const readyTimer = setTimeout(() => { setReady(false); child.kill('SIGKILL'); }, 120_000);
  child.stdout.on('data', (b: Buffer) => { out += b; if (/^READY$/m.test(out)) { clearTimeout(readyTimer); setReady(true); } });
  child.stderr.on('data', (b: Buffer) => { err += b; });
  let killTimer: NodeJS.Timeout | undefined;
  const done = new Promise<{ line: string; row?: FloorRow }>((resolve) => {
    const end = (code: number | null, why?: string) => {
      clearTimeout(readyTimer); clearTimeout(killTimer); setReady(false);
      const lines = out.split('\n');
      const errLines = err.split('\n').filter((l) => l.trim() !== '');
      const line = lines.find((l) => l.startsWith('decisive-path floor'))
        ?? `decisive-path floor: failed (${why ?? `exit ${code}`}): ${errLines.find((l) => /Error/.test(l)) ?? errLines.at(-1) ?? 'no error printed'}`;
      let row: FloorRow | undefined;
      try { const json = lines.find((l) => l.startsWith('RESULT ')); row = code === 0 && json ? JSON.parse(json.slice(7)) as FloorRow : undefined; } catch { row = undefined; }
      resolve({ line, row });
    };
    child.on('error', (e) => end(null, e.message));
    child.on('close', (code) => end(code));
  });
  const stop = () => {
    child.kill('SIGTERM');
    killTimer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  };
  return { ready, go: () => { child.stdin.end('GO\n'); }, stop, done };
}

async function measureAt(rate: number): Promise<{ rate: number; p99: number; flat: boolean }> {
  // the bare-client floor of the same path, measured during these traces under the same
  // background (a process of its own, as the services are; its CPU counts as the bench's below),
  // set up (topics, groups, warm-up) before the background starts
  const floor = FLOOR ? decisiveFloor(TRACES, MIN_SECONDS, `at ${fmt(rate)}/s background`) : undefined;
  if (floor && !(await floor.ready)) console.error('the decisive-path floor did not start: this rate is measured without it');
  const bg = background(rate);
  await new Promise((r) => setTimeout(r, 5000)); // let the background settle
  floor?.go();
  const lagStart = await backlog();
  const archiveStart = archiveGroup.length ? await backlog(archiveGroup) : undefined;
  const loadStart = load();
  const before = await sample();
  const cpu0 = sampleCpu();
  const tStart = Date.now();
  const lat: number[] = [];
  let misses = 0;
  for (let j = 0; j < TRACES && misses < MISSES_IN_A_ROW; j++) {
    const got = await oneTrace();
    if (got !== undefined) { misses = 0; lat.push(got); } else {
      misses++;
      if (misses === MISSES_IN_A_ROW) console.error(`${MISSES_IN_A_ROW} traces in a row without an FR update: the rest of this rate's traces are skipped`);
    }
    // the traces spread over the rate's minimum duration
    const next = tStart + ((j + 1) * MIN_SECONDS * 1000) / TRACES;
    if (Date.now() < next) await new Promise((r) => setTimeout(r, next - Date.now()));
  }
  floor?.stop(); // the floor covers the traces' time, no more
  const lagEnd = await backlog();
  const archiveEnd = archiveGroup.length ? await backlog(archiveGroup) : undefined;
  const loadEnd = load();
  const after = await sample();
  const cpu1 = sampleCpu();
  const secs = (Date.now() - tStart) / 1000;
  const fl = await floor?.done; // before the background stops: the floor's last record under it
  const bgRate = await bg.stop();
  const s = summarise(lat);
  // flat: the backlog grew by less than a second of background over the measurement
  const flat = lagEnd - lagStart < bgRate;
  console.log(`end-to-end (${external ? 'services as separate processes' : 'services in the bench process'}; decisive port-block produce -> signed FR view received), background ${fmt(bgRate)} events/s (asked ${fmt(rate)}): p50 ${s.p50} ms, p99 ${s.p99} ms, max ${s.max} ms over ${s.n}/${TRACES} traces; backlog ${lagStart} -> ${lagEnd} messages (${flat ? 'flat' : 'growing'}) over ${secs.toFixed(0)} s${archiveStart !== undefined ? `, the archive's ${archiveStart} -> ${archiveEnd}` : ''}; load average ${loadStart} -> ${loadEnd}; ${mem()}`);
  // the rate asked for names the row (bench-aims finds the 10k/s run by it); the rate achieved beside it
  result('end-to-end-latency', { backgroundEventsPerSec: Math.round(bgRate), askedEventsPerSec: rate, p50Ms: s.p50, p99Ms: s.p99, maxMs: s.max, traces: s.n, tracesAsked: TRACES, services: external ? 'processes' : 'in-process',
    backlogStart: lagStart, backlogEnd: lagEnd, backlogFlat: flat ? 'yes' : 'no', seconds: Math.round(secs), ...(archiveStart !== undefined && archiveEnd !== undefined ? { archiveBacklogStart: archiveStart, archiveBacklogEnd: archiveEnd } : {}), loadAverage1m: +loadavg()[0]!.toFixed(1) });
  if (fl) {
    console.log(`  ${fl.line}`);
    if (fl.row) {
      console.log(`  end to end against that floor (${fl.row.records} records; with this few, its p99 is about its maximum): p50 ${s.p50} vs ${fl.row.p50Ms} ms (${(s.p50 / fl.row.p50Ms).toFixed(1)}x), p99 ${s.p99} vs ${fl.row.p99Ms} ms (${(s.p99 / fl.row.p99Ms).toFixed(1)}x)`);
      const { name: _name, ...floorRow } = fl.row;
      result('decisive-floor', { ...floorRow, backgroundEventsPerSec: Math.round(bgRate), askedEventsPerSec: rate, e2eP50Ms: s.p50, e2eP99Ms: s.p99 });
    }
  }
  const st = stages.summary();
  stages.reset();
  console.log(`  per stage over ${st.n} traces (ms, p50 / p99 / max): ${STAGES.map((n) => `${n} ${st[n].p50}/${st[n].p99}/${st[n].max}`).join(', ')}`);
  const perStage: Record<string, number> = {};
  for (const n of STAGES) { perStage[`${n}P50Ms`] = st[n].p50; perStage[`${n}P99Ms`] = st[n].p99; }
  result('end-to-end-stages', { backgroundEventsPerSec: Math.round(bgRate), askedEventsPerSec: rate, traces: st.n, ...perStage, loadAverage1m: +loadavg()[0]!.toFixed(1) });
  for (const [n, b] of Object.entries(before)) {
    const a = after[n];
    if (!b || !a) continue;
    const d = between(b, a, secs);
    console.log(`  ${n}: ${d.batchesPerSec} batches/s of ${d.meanBatchMessages} records, ${d.meanBatchMs} ms each (busy in batches ${d.busyPct} %; first record's wait before its batch starts p50 <= ${d.waitP50Ms}, p99 <= ${d.waitP99Ms} ms), CPU ${d.cpuPct} % of a core, GC ${d.gcPct} %, event-loop delay p99 ${d.loopP99Ms} ms; RSS ${d.rssMiB} MiB (heap ${d.heapMiB}, external ${d.externalMiB})`);
    result(`end-to-end-service-${n}`, { backgroundEventsPerSec: Math.round(bgRate), askedEventsPerSec: rate, ...d });
  }
  if (cpu0 && cpu1) {
    const c = cpuBetween(cpu0, cpu1, bgRate * secs);
    console.log(`  CPU by process over the ${c.seconds.toFixed(0)} s (${c.cores} cores; % of one core, µs per background event): ${c.rows.map((r) => `${r.name} ${r.corePct} % (${r.usPerEvent})`).join(', ')}`);
    result('end-to-end-cpu', { backgroundEventsPerSec: Math.round(bgRate), askedEventsPerSec: rate, cores: c.cores, ...Object.fromEntries(c.rows.flatMap((r) => [[`${r.name}CorePct`, r.corePct], [`${r.name}UsPerEvent`, r.usPerEvent]])) });
  }
  return { rate: bgRate, p99: s.n === TRACES ? s.p99 : Infinity, flat };
}

/** Waits (up to `ms`) until the stages have caught up with what the last rate left queued. */
async function drained(ms: number): Promise<number> {
  let lag = await backlog(drainGroups);
  for (const until = Date.now() + ms; lag > 0 && Date.now() < until; lag = await backlog(drainGroups)) await new Promise((r) => setTimeout(r, 1000));
  return lag;
}

const sweep: { rate: number; p99: number; flat: boolean }[] = [];
{
  const bg = background(RATES[0]!);
  await new Promise((r) => setTimeout(r, 5000));
  const warm = await oneTrace(false);
  await bg.stop();
  console.log(`warm-up: the first trace after the services started took ${warm === undefined ? 'over 10 s' : `${warm} ms`} at ${fmt(RATES[0]!)}/s (not counted)`);
}
for (const [i, rate] of RATES.entries()) {
  if (i > 0) {
    const left = await drained(60_000);
    if (left > 0) console.log(`  (the stages still had ${left} messages queued 60 s after the ${fmt(RATES[i - 1]!)}/s run: the next rate starts behind)`);
  }
  sweep.push(await measureAt(rate));
}
await admin.disconnect();
if (RATES.length > 1) {
  const ok = sweep.filter((r) => r.p99 <= P99_AIM_MS && r.flat);
  const best = ok.length ? Math.max(...ok.map((r) => r.rate)) : undefined;
  console.log(`sweep: highest background rate with p99 <= ${P99_AIM_MS} ms over all ${TRACES} traces and the backlog flat: ${best === undefined ? 'none of the rates measured' : `${fmt(best)} events/s`} (rates ${sweep.map((r) => `${fmt(r.rate)}/s p99 ${Number.isFinite(r.p99) ? r.p99 : 'incomplete'}${r.flat ? '' : ' growing'}`).join(', ')})`);
}
// closed by the jurisdiction that opened them (the tracer unregisters a closed chain's lookups)
await sendChunked(producer, [{ topic: TOPICS.traceRequests, messages: openedTraces.map((req) => ({ key: req.traceId, value: registry.encode(TOPICS.traceRequests, followUpRequest(req, 'CLOSE', Date.now())) })) }]);
console.log(`closed the ${openedTraces.length} traces this run opened`);
await stages.stop();
await consumer.disconnect();
await producer.disconnect();
for (const svc of services) await svc.stop();
process.exit(0);

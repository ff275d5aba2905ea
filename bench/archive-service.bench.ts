// The archive service end to end, CPU per archived record of the archive process AND of
// PostgreSQL (every backend and background process of the stack's server), next to a bare `pg`
// client writing the same rows into the same tables in the same run (the ceiling).
//   node bench/archive-service.bench.ts [events=100000] [backlog|<events/s>]
// events: background events as the pipeline archives them: 3 of 4 a flow (two flows.norm copies,
// 'out' under its source, 'in' under its destination), 1 of 4 a port-block START (one
// sessions.norm record and its interval). backlog: all produced first, then the archive
// drains them; <events/s>: the archive runs first (group at the topics' end) and the records
// come at that rate, as live traffic does (small batches). The archive is a child process
// (services/archive/main.ts of ARCHIVE_ROOT, default this checkout: the code under trial) on a
// scratch database (BENCH_DB, default crosstrace_archive_bench, dropped and made anew); CPU from
// /proc between the first and the last commit seen (start-up excluded). ARCHIVE_NODE_ARGS:
// node flags for the archive (e.g. --cpu-prof --cpu-prof-dir=bench/results/archive).
// The ceiling, after the drain, on the same database: the same number of rows, pre-encoded,
// (a) flows COPY'd in binary straight into flow_records and session rows through the archive's
// own statements, in transactions of the service's mean batch size; (b) the same with one
// transaction per 5000 rows (BENCH_CEILING=0: none). Needs the stack: eval "$(make -s stack-env)".
import { spawn } from 'node:child_process';
import os from 'node:os';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { FlowEvent, SessionEvent } from '../schemas/types.gen.ts';
import { flowRow, sessionRows, type FlowRow, type SessionIntervalRow, type SessionRecordRow } from '../services/archive/domain/archive-rows.ts';
import { createHistoryWriter, flowsBinary } from '../services/archive/history-writer.ts';
import { resolveKafkaSecurity } from '../services/common/kafka-security.ts';
import { createKafka, createProducer, ensureTopics } from '../services/common/kafka.ts';
import { createLogger } from '../services/common/logger.ts';
import { createRegistryClient } from '../services/common/registry.ts';
import { TOPICS, pipelineTopics } from '../services/common/topics.ts';
import { migrate } from '../services/history/migrate.ts';
import { offsetSum as sum, processCpuMs, result, topicHighs } from './lib.ts';
import { sampleCpu, type CpuSample } from './process-cpu.ts';

const EVENTS = Number(process.argv[2] ?? 100_000);
const MODE = process.argv[3] ?? 'backlog';
const RATE = MODE === 'backlog' ? 0 : Number(MODE);
if (!(EVENTS > 0) || !(RATE >= 0)) throw new Error('usage: node bench/archive-service.bench.ts [events] [backlog|<events/s>]');
const env: Record<string, string | undefined> = { ...process.env, LOG_LEVEL: 'error', NODE_NO_WARNINGS: '1' };
if (!env.DATABASE_URL || !env.KAFKA_BROKERS) { console.error('DATABASE_URL and KAFKA_BROKERS must be set: eval "$(make -s stack-env)"'); process.exit(2); }
const root = env.ARCHIVE_ROOT ?? new URL('..', import.meta.url).pathname;
const DB = env.BENCH_DB ?? 'crosstrace_archive_bench';
const port = Number(env.SERVICES_PORT_BASE ?? 9100) + 61;
const stamp = Date.now().toString(36);
const logger = createLogger('bench', 'error');
const kafka = createKafka({ brokers: env.KAFKA_BROKERS.split(','), clientId: 'bench-archive-service', logger, security: resolveKafkaSecurity(env) });
const registry = createRegistryClient({ url: env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:18081/apis/ccompat/v7' });
const admin = kafka.admin();
await admin.connect();
await ensureTopics(admin, pipelineTopics(6, []));
await registry.ensureSubjects([TOPICS.flowsNorm, TOPICS.sessionsNorm]);
const NORM = [TOPICS.flowsNorm, TOPICS.sessionsNorm];

// --- the scratch database ------------------------------------------------------------------
const base = new pg.Client({ connectionString: env.DATABASE_URL });
await base.connect();
await base.query(`DROP DATABASE IF EXISTS ${DB}`);
await base.query(`CREATE DATABASE ${DB}`);
await base.end();
const dbUrl = new URL(env.DATABASE_URL);
dbUrl.pathname = `/${DB}`;

// --- the records: as ingest publishes them (headers, keys), and as the archive's rows -------
const T = Date.now() - 3_600_000;
const host = (i: number) => `198.18.${(i >> 8) & 255}.${i & 255}`;
const inside = (i: number) => `100.64.${(i >> 8) & 255}.${i & 255}`;
interface Out { topic: string; key: string; value: Buffer; headers: Record<string, string> }
function eventRecords(run: string, i: number): Out[] {
  const at = T + i * 7;
  const time = String(at);
  if (i % 4 !== 0) {
    const ev: FlowEvent = {
      eventId: `${run}-f${i}`, exporterId: 'fr-flow-1', exportTime: at + 30_000, srcAddr: inside(i % 20_000), srcPort: 1024 + (i % 60000), dstAddr: host((i * 7919) % 50_000), dstPort: 443,
      protocol: 6, startTime: at, endTime: at + 20_000, octets: 1000 + i, packets: 10, postNatSrcAddr: null, postNatSrcPort: null,
      endReason: 'ACTIVE_TIMEOUT', jurisdiction: 'FR', providerId: 'fr-telecom', clockOffsetMs: 0,
    };
    const value = registry.encode(TOPICS.flowsNorm, ev);
    const h = { 'ct-uid': `fr-flow-1/${ev.eventId}`, 'ct-time': time, 'ct-origin-ts': String(at + 30_000) };
    return [
      { topic: TOPICS.flowsNorm, key: ev.srcAddr, value, headers: { ...h, 'ct-dir': 'out' } },
      { topic: TOPICS.flowsNorm, key: ev.dstAddr, value, headers: { ...h, 'ct-dir': 'in' } },
    ];
  }
  const block = i % 120;
  const ev: SessionEvent = {
    eventId: `${run}-s${i}`, exporterId: 'fr-cgn-1', exportTime: at, kind: 'PORT_BLOCK', action: 'START', natEvent: 14, eventTime: at, protocol: null,
    outsideAddr: `198.51.100.${(i >> 7) % 250}`, outsidePort: null, portRangeStart: 1024 + block * 512, portRangeEnd: 1535 + block * 512, insideAddr: inside(i % 20_000),
    insidePort: null, framedIpAddress: null, framedIpv6Prefix: null, delegatedIpv6Prefix: null, acctSessionId: null, acctDelayTime: null,
    subscriberHandle: null, jurisdiction: 'FR', providerId: 'fr-telecom', clockOffsetMs: 0,
  };
  return [{ topic: TOPICS.sessionsNorm, key: ev.outsideAddr!, value: registry.encode(TOPICS.sessionsNorm, ev), headers: { 'ct-uid': `fr-cgn-1/${ev.eventId}`, 'ct-time': time, 'ct-origin-ts': time } }];
}

const producer = await createProducer(kafka);
/** Produces `recs` in requests of at most 2000 records (a tick that fell behind carries more
 *  than one request may: MESSAGE_TOO_LARGE). */
async function send(recs: Out[]): Promise<void> {
  for (let i = 0; i < recs.length; i += 2000) {
    const byTopic = new Map<string, Out[]>();
    for (const r of recs.slice(i, i + 2000)) { const l = byTopic.get(r.topic); if (l) l.push(r); else byTopic.set(r.topic, [r]); }
    await producer.sendBatch({ topicMessages: [...byTopic].map(([topic, ms]) => ({ topic, messages: ms.map(({ key, value, headers }) => ({ key, value, headers })) })) });
  }
}

// --- the archive, a child process ----------------------------------------------------------
const start = await topicHighs(admin, NORM);
const groupId = `bench-archive-${stamp}`;
for (const [topic, partitions] of start) await admin.setOffsets({ groupId, topic, partitions });
if (RATE === 0) {
  for (let i = 0; i < EVENTS; i += 2000) {
    const recs = Array.from({ length: Math.min(2000, EVENTS - i) }, (_, k) => eventRecords(stamp, i + k)).flat();
    await send(recs);
  }
}
const child = spawn(process.execPath, [...(env.ARCHIVE_NODE_ARGS ?? '').split(' ').filter(Boolean), `${root}/services/archive/main.ts`], {
  cwd: root, stdio: ['ignore', 'ignore', 'inherit'],
  env: { ...env, DATABASE_URL: dbUrl.toString(), CROSSTRACE_ARCHIVE_GROUP_ID: groupId, CROSSTRACE_ARCHIVE_FROM_BEGINNING: 'false', CROSSTRACE_ARCHIVE_HTTP_PORT: String(port) },
});
const exited = new Promise<void>((r) => child.once('exit', () => r()));
// the archive goes with the bench, whatever ends it
process.once('exit', () => { child.kill('SIGTERM'); });
const committed = async () => (await admin.fetchOffsets({ groupId, topics: NORM })).flatMap((t) => t.partitions).reduce((a, p) => a + Math.max(0, Number(p.offset)), 0);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// transactions committed on the scratch database (the statistics lag up to a second: read at the
// end of a drain after that long)
const stats = new pg.Client({ connectionString: dbUrl.toString() });
await stats.connect();
const commits = async () => Number((await stats.query<{ n: string }>('SELECT xact_commit AS n FROM pg_stat_database WHERE datname = current_database()')).rows[0]!.n);
interface Mark { at: number; done: number; archive: number; cpu: CpuSample }
const mark = async (): Promise<Mark> => ({ at: performance.now(), done: await committed(), archive: processCpuMs(child.pid!), cpu: sampleCpu()! });
const pgSeconds = (a: CpuSample, b: CpuSample) => ((b.byName.get('postgres') ?? 0) - (a.byName.get('postgres') ?? 0)) / 100;
const t0 = performance.now();
let first: Mark | undefined;
let commitsAtFirst = NaN;
let last: Mark | undefined;
const baseDone = sum(start);
if (RATE === 0) {
  const total = sum(await topicHighs(admin, NORM));
  for (;;) {
    await sleep(50);
    const m = await mark();
    if (!first && m.done > baseDone) { first = m; commitsAtFirst = await commits(); }
    if (m.done >= total) { last = m; break; }
    if (performance.now() - t0 > 900_000) throw new Error(`gave up: ${total - m.done} behind after 900 s`);
  }
} else {
  // wait until the archive is in its group and idle, then produce at RATE
  for (;;) {
    await sleep(500);
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);
    if (ok) break;
    if (performance.now() - t0 > 120_000) throw new Error('the archive did not become healthy in 120 s');
  }
  await sleep(3000);
  first = await mark();
  commitsAtFirst = await commits();
  const tick = 50;
  const tp = performance.now();
  for (let i = 0; i < EVENTS;) {
    const due = Math.min(EVENTS, Math.floor(((performance.now() - tp) / 1000) * RATE) + 1);
    if (due > i) { await send(Array.from({ length: due - i }, (_, k) => eventRecords(stamp, i + k)).flat()); i = due; }
    await sleep(tick);
  }
  const total = sum(await topicHighs(admin, NORM));
  for (;;) {
    await sleep(50);
    const m = await mark();
    if (m.done >= total) { last = m; break; }
    if (performance.now() - t0 > 900_000) throw new Error(`gave up: ${total - m.done} behind after 900 s`);
  }
}
if (!first || !last) throw new Error('no commit seen');
const load = os.loadavg();
const records = last.done - first.done;
const secs = (last.at - first.at) / 1000;
const archiveUs = ((last.archive - first.archive) * 1000) / records;
const pgUs = (pgSeconds(first.cpu, last.cpu) * 1e6) / records;
const kafkaUs = (((last.cpu.byName.get('kafka') ?? 0) - (first.cpu.byName.get('kafka') ?? 0)) * 1e4) / records;
await sleep(1500);
// less the statistics read itself and the archive's database ping (every 5 s): roughly
const transactions = await commits() - commitsAtFirst - 1 - Math.round((performance.now() - first.at) / 5000);
await stats.end();
const metrics = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text(), () => '');
const metric = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, 'm').exec(metrics)?.[1] ?? NaN);
const batches = metric('crosstrace_archive_batch_rows_count');
const meanBatch = metric('crosstrace_archive_batch_rows_sum') / batches;
child.kill('SIGTERM');
await exited;

// nothing lost, nothing twice: the scratch database holds exactly the rows produced
const db = new pg.Pool({ connectionString: dbUrl.toString(), max: 2 });
const count = async (sql: string) => Number((await db.query<{ n: string }>(sql)).rows[0]!.n);
const flowRows = await count('SELECT count(*) AS n FROM flow_records');
const sessionRowsN = await count('SELECT count(*) AS n FROM session_records');
const expectFlows = EVENTS - Math.ceil(EVENTS / 4);
const stored = flowRows === 2 * expectFlows && sessionRowsN === Math.ceil(EVENTS / 4) ? 'exact' : `MISMATCH (flows ${flowRows} of ${2 * expectFlows}, sessions ${sessionRowsN} of ${Math.ceil(EVENTS / 4)})`;
const indexes = (await db.query<{ d: string }>(`SELECT indexdef AS d FROM pg_indexes WHERE tablename IN ('flow_records', 'session_records') ORDER BY tablename, indexname`)).rows.map((r) => r.d.replace(/^CREATE (UNIQUE )?INDEX (\S+) ON (ONLY )?public\./, '$1'));
console.log(`archive (${root}) ${RATE === 0 ? 'draining a backlog' : `at ${RATE} events/s`}: ${records} records in ${secs.toFixed(1)} s = ${Math.round(records / secs)} records/s; CPU per record: archive ${archiveUs.toFixed(1)} µs, PostgreSQL ${pgUs.toFixed(1)} µs, Kafka ${kafkaUs.toFixed(1)} µs; ${batches} batches of ${meanBatch.toFixed(0)} rows on average, ~${transactions} transactions (${(records / transactions).toFixed(0)} records each); stored: ${stored}; load average ${load.map((x) => x.toFixed(1)).join(' ')}`);
console.log(`  indexes: ${indexes.join('; ')}`);

// --- the ceiling: a bare client, the same rows, the same tables ------------------------------
// rows of new uids (the same shapes), decoded and encoded before the clock starts
async function rowsOf(run: string): Promise<{ flows: FlowRow[]; sessions: SessionRecordRow[]; intervals: SessionIntervalRow[] }> {
  const out = { flows: [] as FlowRow[], sessions: [] as SessionRecordRow[], intervals: [] as SessionIntervalRow[] };
  for (let i = 0; i < EVENTS; i++) {
    for (const r of eventRecords(run, i)) {
      const meta = { windowKey: r.key, uid: r.headers['ct-uid']!, at: Number(r.headers['ct-time']), producedAt: Number(r.headers['ct-origin-ts']), value: r.value };
      if (r.topic === TOPICS.flowsNorm) out.flows.push(flowRow(meta, r.headers['ct-dir'] as 'in' | 'out', await registry.decode<FlowEvent>(TOPICS.flowsNorm, r.value)));
      else { const s = sessionRows(meta, await registry.decode<SessionEvent>(TOPICS.sessionsNorm, r.value)); out.sessions.push(s.record); out.intervals.push(...s.intervals); }
    }
  }
  return out;
}
await migrate(db);
async function ceiling(label: string, perTx: number): Promise<{ rate: number; pgUs: number; clientUs: number }> {
  const rows = await rowsOf(`${stamp}c${perTx}`);
  const flowChunks: Buffer[] = [];
  for (let i = 0; i < rows.flows.length; i += perTx) flowChunks.push(flowsBinary(rows.flows.slice(i, i + perTx)));
  const writer = createHistoryWriter(db);
  await writer.write({ sessions: [], intervals: [], flows: rows.flows.slice(0, 1) }); // partitions exist first
  const c = await db.connect();
  await c.query('DELETE FROM flow_records WHERE uid = $1', [rows.flows[0]!.uid]);
  const a = sampleCpu()!, aClient = processCpuMs(process.pid), t = performance.now();
  for (const data of flowChunks) {
    await c.query('BEGIN');
    await pipeline(function* () { yield data; }, c.query(copyFrom('COPY flow_records FROM STDIN (FORMAT binary)')));
    await c.query('COMMIT');
  }
  for (let i = 0; i < rows.sessions.length; i += perTx) {
    await writer.write({ sessions: rows.sessions.slice(i, i + perTx), intervals: rows.intervals.slice(i, i + perTx), flows: [] });
  }
  const s = (performance.now() - t) / 1000;
  const b = sampleCpu()!, bClient = processCpuMs(process.pid);
  c.release();
  const n = rows.flows.length + rows.sessions.length;
  const out = { rate: n / s, pgUs: (pgSeconds(a, b) * 1e6) / n, clientUs: ((bClient - aClient) * 1000) / n };
  console.log(`ceiling ${label}: ${n} rows in ${s.toFixed(1)} s = ${Math.round(out.rate)} rows/s; CPU per row: PostgreSQL ${out.pgUs.toFixed(1)} µs, client ${out.clientUs.toFixed(1)} µs; load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  return out;
}
const perTx = Math.max(1, Math.round(transactions > 0 ? records / transactions : meanBatch));
if (env.BENCH_CEILING === '0') { await db.end(); await producer.disconnect(); await admin.disconnect(); process.exit(0); }
const same = await ceiling(`(bare pg: flows binary COPY into flow_records, sessions through the archive's statements, ${perTx} rows per transaction as the service's transactions)`, perTx);
const big = await ceiling('(the same, 5000 rows per transaction)', 5000);
console.log(`archive at ${((100 * records) / secs / same.rate).toFixed(0)} % of the same-batch ceiling's rate; PostgreSQL per record ${pgUs.toFixed(1)} µs vs ${same.pgUs.toFixed(1)} µs at the ceiling (${big.pgUs.toFixed(1)} µs at 5000 rows per transaction)`);
result(`archive-service-${RATE === 0 ? 'backlog' : `rate${RATE}`}`, {
  records, records_per_s: Math.round(records / secs), archive_us_per_record: +archiveUs.toFixed(1), postgres_us_per_record: +pgUs.toFixed(1), kafka_us_per_record: +kafkaUs.toFixed(1),
  mean_batch_rows: +meanBatch.toFixed(0), transactions, stored, ceiling_rows_per_s: Math.round(same.rate), ceiling_postgres_us_per_row: +same.pgUs.toFixed(1), ceiling_client_us_per_row: +same.clientUs.toFixed(1),
  ceiling5000_rows_per_s: Math.round(big.rate), ceiling5000_postgres_us_per_row: +big.pgUs.toFixed(1), load_average_1m: +load[0]!.toFixed(1),
});
await db.end();
await producer.disconnect();
await admin.disconnect();
process.exit(0);

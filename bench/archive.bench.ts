// History store (PostgreSQL) load and lookup figures, in a scratch database next to the one in
// DATABASE_URL (eval "$(make -s stack-env)"): crosstrace_bench, dropped and made anew.
//   node bench/archive.bench.ts [flows=2000000] [allocations=500000] [lookups=2000]
// flows=0 allocations=0: lookups only, on the crosstrace_bench database an earlier run left.
// 1. load: the archive's write path (history-writer.ts: COPY into staging, INSERT ON CONFLICT,
//    interval upsert, one transaction per 5000-row batch; flows now with one binary COPY into
//    flow_records, and batch by batch in turn the path before) vs. raw COPY of the same rows straight into
//    the table, text and binary (the ceiling on this machine and schema), and the row encoding
//    alone (no database); rows/s and bytes per row on disk;
// 2. lookups at that size, through the tracer's archive reader (history-lookup.ts): a session
//    lookup (who held addr:port at t: one port-block allocation among many per address) and a
//    relay lookup (a host's window as the tracer reads it: ±clock tolerance, then back and
//    forward by the maximum flow age, nearest first), plus the plain "inbound flows to host
//    within ±5 s" query; p50/p99 over random targets. Database time only (no Avro decode).
import pg from 'pg';
import type { FlowEvent, SessionEvent } from '../schemas/types.gen.ts';
import { DEFAULT_JOIN_SETTINGS, lookupRange } from '../services/join/join.ts';
import type { Lookup } from '../services/join/join-types.ts';
import { flowRow, sessionRows, type FlowRow, type SessionIntervalRow, type SessionRecordRow } from '../services/archive/domain/archive-rows.ts';
import { copyLine, tsText } from '../services/archive/domain/copy-text.ts';
import { createHistoryWriter, flowsBinary } from '../services/archive/history-writer.ts';
import { migrate } from '../services/history/migrate.ts';
import { createHistorySource } from '../services/tracer/history-lookup.ts';
import { fmt, result, summarise } from './lib.ts';
import { from as copyFrom } from 'pg-copy-streams';
import { pipeline } from 'node:stream/promises';

const [FLOWS = 2_000_000, ALLOCS = 500_000, LOOKUPS = 2000] = process.argv.slice(2).map(Number);
const base = process.env.DATABASE_URL;
if (!base) { console.error('DATABASE_URL is not set: eval "$(make -s stack-env)" first'); process.exit(2); }
const BATCH = 5000;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 9, 1); // data spans SPAN_DAYS from here
const SPAN_DAYS = 7;
const HOSTS = 50_000; // flow endpoints (relay candidates)
const CGN = 200; // CGN outside addresses, BLOCKS blocks of 512 ports each (ports 1024-62463)
const BLOCKS = 120;
const VALUE = Buffer.alloc(170, 7); // a normalised flow/session record is ~150-200 bytes of Avro

// --- a scratch database --------------------------------------------------------------------
const LOAD = FLOWS > 0 || ALLOCS > 0;
if (LOAD) {
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query('DROP DATABASE IF EXISTS crosstrace_bench');
  await admin.query('CREATE DATABASE crosstrace_bench');
  await admin.end();
}
const url = new URL(base);
url.pathname = '/crosstrace_bench';
const pool = new pg.Pool({ connectionString: url.toString(), max: 4 });
await migrate(pool);
const writer = createHistoryWriter(pool);
const textWriter = createHistoryWriter(pool, { flowCopy: 'text' });

let seed = 42;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const host = (i: number) => `198.18.${(i >> 8) & 255}.${i & 255}`;
const cgn = (i: number) => `203.0.${(i >> 8) & 255}.${i & 255}`;

function flowAt(i: number): FlowRow {
  const t = T0 + Math.floor(rnd() * SPAN_DAYS * DAY);
  const dst = host(Math.floor(rnd() * HOSTS));
  const ev = { srcAddr: host(Math.floor(rnd() * HOSTS)), srcPort: 1024 + (i % 60000), dstAddr: dst, dstPort: 443 } as FlowEvent;
  return flowRow({ windowKey: dst, uid: `fx/${i}`, at: t, producedAt: t + 1000, value: VALUE }, 'in', ev);
}
/** Allocation i: CGN address i % CGN, block (i / CGN) % BLOCKS, a 1-4 h allocation; START and STOP. */
function allocation(i: number): { records: SessionRecordRow[]; intervals: SessionIntervalRow[] } {
  const a = i % CGN, block = Math.floor(i / CGN) % BLOCKS, round = Math.floor(i / (CGN * BLOCKS));
  const per = Math.ceil(ALLOCS / (CGN * BLOCKS)); // allocations per block over the span, back to back
  const slot = (SPAN_DAYS * DAY) / per;
  const start = T0 + round * slot + Math.floor(rnd() * 60_000);
  const stop = start + Math.min(slot - 120_000, 3_600_000 + Math.floor(rnd() * 3 * 3_600_000));
  const ev = (action: 'START' | 'STOP', t: number): SessionEvent => ({
    eventId: `a${i}-${action}`, exporterId: 'cgn-1', exportTime: t, kind: 'PORT_BLOCK', action, natEvent: null, eventTime: t, protocol: null,
    outsideAddr: cgn(a), outsidePort: null, portRangeStart: 1024 + block * 512, portRangeEnd: 1024 + block * 512 + 511, insideAddr: `10.${round & 255}.${(i >> 8) & 255}.${i & 255}`,
    insidePort: null, framedIpAddress: null, framedIpv6Prefix: null, delegatedIpv6Prefix: null, acctSessionId: null, acctDelayTime: null,
    subscriberHandle: null, jurisdiction: 'FR', providerId: 'fr-telecom', clockOffsetMs: 0,
  });
  const out = [ev('START', start), ev('STOP', stop)].map((e) => sessionRows({ windowKey: e.outsideAddr!, uid: `cgn-1/${e.eventId}`, at: e.eventTime, producedAt: e.eventTime, value: VALUE }, e));
  return { records: out.map((o) => o.record), intervals: out.flatMap((o) => o.intervals) };
}

// --- 1. load -------------------------------------------------------------------------------
async function load(label: string, total: number, batchOf: (from: number, n: number) => Parameters<typeof writer.write>[0], rowsPer: number, w = writer): Promise<number> {
  const t = performance.now();
  for (let i = 0; i < total; i += BATCH / rowsPer) await w.write(batchOf(i, Math.min(BATCH / rowsPer, total - i)));
  const s = (performance.now() - t) / 1000;
  console.log(`${label}: ${fmt(total * rowsPer)} rows in ${s.toFixed(1)} s = ${fmt((total * rowsPer) / s)} rows/s`);
  return (total * rowsPer) / s;
}
const flowBatch = (from: number, n: number) => ({ sessions: [], intervals: [], flows: Array.from({ length: n }, (_, k) => flowAt(from + k)) });
const allocBatch = (from: number, n: number) => {
  const parts = Array.from({ length: n }, (_, k) => allocation(from + k));
  return { sessions: parts.flatMap((p) => p.records), intervals: parts.flatMap((p) => p.intervals), flows: [] };
};
// flows: the write path now (binary COPY straight into flow_records) and before (text COPY into
// staging, then INSERT ... ON CONFLICT), batch by batch in turn on rows of the same mix, so both
// meet the same machine load and table size
async function loadFlows(total: number): Promise<{ now: number; before: number }> {
  const ms = { now: 0, before: 0 };
  const rows = { now: 0, before: 0 };
  for (let i = 0, k = 0; i < total; i += BATCH, k++) {
    const which = k % 2 === 0 ? 'now' : 'before';
    const n = Math.min(BATCH, total - i);
    const batch = flowBatch(i, n);
    const t = performance.now();
    await (which === 'now' ? writer : textWriter).write(batch);
    ms[which] += performance.now() - t;
    rows[which] += n;
  }
  const rate = (w: 'now' | 'before') => rows[w] / (ms[w] / 1000);
  console.log(`archive write path, flows, in turn: now (binary COPY into flow_records, merge only on a replay) ${fmt(rate('now'))} rows/s, before (text COPY to staging + INSERT ON CONFLICT) ${fmt(rate('before'))} rows/s; ${fmt(total)} rows`);
  return { now: rate('now'), before: rate('before') };
}
const flowRates = LOAD ? await loadFlows(FLOWS) : { now: NaN, before: NaN };
const [flowRate, flowTextRate] = [flowRates.now, flowRates.before];
const sessionRate = LOAD ? await load('archive write path, sessions (START+STOP, interval upsert)', ALLOCS, allocBatch, 2) : NaN;

// raw COPY ceilings: the same kind of flow rows COPY'd straight into the partitioned table
// (indexes on), in text and in binary form; and the encoding of a batch alone (no database)
const RAW = LOAD ? Math.min(FLOWS, 300_000) : 0;
const textLine = (r: FlowRow) => copyLine([r.windowKey, r.uid, 'i', tsText(r.at), tsText(r.producedAt), r.src, r.srcPort, r.dst, r.dstPort, r.value]);
async function rawCopy(label: string, offset: number, sql: string, encode: (rows: FlowRow[]) => string | Buffer): Promise<{ rate: number; encodeRate: number }> {
  const c = await pool.connect();
  let encodeMs = 0;
  const t = performance.now();
  for (let i = 0; i < RAW; i += BATCH) {
    const rows = Array.from({ length: Math.min(BATCH, RAW - i) }, (_, k) => flowAt(offset + i + k));
    const e = performance.now();
    const data = encode(rows);
    encodeMs += performance.now() - e;
    await pipeline(function* () { yield data; }, c.query(copyFrom(sql)));
  }
  const rate = RAW / ((performance.now() - t) / 1000);
  c.release();
  const encodeRate = RAW / (encodeMs / 1000);
  console.log(`${label}: ${fmt(RAW)} rows = ${fmt(rate)} rows/s (encoding alone ${fmt(encodeRate)} rows/s)`);
  return { rate, encodeRate };
}
seed = 4242;
const rawText = LOAD ? await rawCopy('raw COPY text into flow_records (ceiling before)', 10_000_000_000, 'COPY flow_records FROM STDIN', (rows) => rows.map(textLine).join('')) : { rate: NaN, encodeRate: NaN };
const rawBinary = LOAD ? await rawCopy('raw COPY binary into flow_records (ceiling now)', 30_000_000_000, 'COPY flow_records FROM STDIN (FORMAT binary)', (rows) => flowsBinary(rows)) : { rate: NaN, encodeRate: NaN };
const rawRate = rawBinary.rate;

const size = async (sql: string) => Number((await pool.query<{ v: string }>(sql)).rows[0]!.v);
const flowRows = await size('SELECT count(*) AS v FROM flow_records');
const flowBytes = await size(`SELECT sum(pg_total_relation_size(inhrelid)) AS v FROM pg_inherits WHERE inhparent = 'flow_records'::regclass`);
const sessRows = await size('SELECT count(*) AS v FROM session_records');
const sessBytes = await size(`SELECT pg_total_relation_size('session_records') AS v`);
const intRows = await size('SELECT count(*) AS v FROM sessions');
const intBytes = await size(`SELECT pg_total_relation_size('sessions') AS v`);
console.log(`on disk (tables + indexes): flows ${(flowBytes / flowRows).toFixed(0)} B/row (${fmt(flowRows)} rows), session records ${(sessBytes / sessRows).toFixed(0)} B/row (${fmt(sessRows)}), intervals ${(intBytes / intRows).toFixed(0)} B/row (${fmt(intRows)}); value ${VALUE.length} B of each record row`);
if (LOAD) await pool.query('VACUUM ANALYZE');

// --- 2. lookups ----------------------------------------------------------------------------
const source = createHistorySource(pool);
const settings = { ...DEFAULT_JOIN_SETTINGS, maxSessionAgeMs: DAY };
const lookup = (mode: 'session' | 'relay', addr: string, port: number | null, t: number): Lookup => ({
  lookupId: 'b', traceId: 'b', parentHopId: null, depth: 1, mode, addr, scopeProviderId: null, port, protocol: null, peerAddr: null, peerPort: null,
  windowFrom: t - 2000, windowTo: t + 2000, since: Date.now(),
});
async function timed(label: string, one: () => Promise<number>): Promise<{ p50: number; p99: number }> {
  const ms: number[] = [];
  let rows = 0;
  for (let i = 0; i < LOOKUPS; i++) { const t = performance.now(); rows += await one(); ms.push(performance.now() - t); }
  const s = summarise(ms);
  console.log(`${label}: p50 ${s.p50.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms, max ${s.max.toFixed(1)} ms over ${s.n} lookups, ${(rows / LOOKUPS).toFixed(1)} records each`);
  return s;
}
const randT = () => T0 + DAY + Math.floor(rnd() * (SPAN_DAYS - 2) * DAY);
const held = await timed('who held addr:port at t (the GiST interval query alone)', async () => {
  const r = await pool.query(`SELECT session_key, leads_to FROM sessions WHERE scope = '' AND addr >>= $1::inet AND ports @> $2::int AND valid @> $3::timestamptz ORDER BY masklen(addr) DESC`,
    [cgn(Math.floor(rnd() * CGN)), 1024 + Math.floor(rnd() * BLOCKS * 512), tsText(randT())]);
  return r.rowCount ?? 0;
});
const sess = await timed('session lookup as the tracer reads it (intervals covering the window + the nearest records, ±1 day)', async () => {
  const l = lookup('session', cgn(Math.floor(rnd() * CGN)), 1024 + Math.floor(rnd() * BLOCKS * 512), randT());
  return (await source.read(l.addr, l, lookupRange(l, settings))).events.length;
});
const relay = await timed('relay lookup as the tracer reads it (±2 s, then ±6 h nearest first, limit 4000 each side)', async () => {
  const l = lookup('relay', host(Math.floor(rnd() * HOSTS)), null, randT());
  return (await source.read(l.addr, l, lookupRange(l, settings))).events.length;
});
const inbound = await timed('inbound flows to a host within ±5 s', async () => {
  const t = randT();
  const r = await pool.query('SELECT uid, produced_at, value FROM flow_records WHERE window_key = $1 AND at BETWEEN $2 AND $3', [host(Math.floor(rnd() * HOSTS)), tsText(t - 5000), tsText(t + 5000)]);
  return r.rowCount ?? 0;
});
result('archive', {
  flows_rows: flowRows, session_rows: sessRows, interval_rows: intRows,
  write_flows_rows_s: Math.round(flowRate), write_flows_text_rows_s: Math.round(flowTextRate), write_sessions_rows_s: Math.round(sessionRate),
  raw_copy_rows_s: Math.round(rawRate), raw_copy_text_rows_s: Math.round(rawText.rate),
  encode_binary_rows_s: Math.round(rawBinary.encodeRate), encode_text_rows_s: Math.round(rawText.encodeRate),
  flow_bytes_per_row: Math.round(flowBytes / flowRows), session_bytes_per_row: Math.round(sessBytes / sessRows),
  who_held_p50_ms: +held.p50.toFixed(2), who_held_p99_ms: +held.p99.toFixed(2),
  session_lookup_p50_ms: +sess.p50.toFixed(2), session_lookup_p99_ms: +sess.p99.toFixed(2),
  relay_read_p50_ms: +relay.p50.toFixed(2), relay_read_p99_ms: +relay.p99.toFixed(2),
  inbound_5s_p50_ms: +inbound.p50.toFixed(2), inbound_5s_p99_ms: +inbound.p99.toFixed(2),
});
await pool.end();

// Writes one consumed batch into the history store as ONE transaction. Record rows (flows, the
// bulk, and session records) go with COPY in its binary form straight into flow_records and
// session_records; when a row is already there (a redelivery, a replay: unique violation) the
// transaction is rolled back and the whole batch is written again on the merge path: COPY into
// per-connection staging tables (ON COMMIT DELETE ROWS), then INSERT ... ON CONFLICT DO NOTHING,
// so the common case costs one COPY per table and a replay changes nothing. Session intervals
// go as parameter arrays into one upsert (LEAST/GREATEST merges: applying the same records
// again changes nothing). The caller commits Kafka offsets only after write() resolved, i.e.
// after the database commit. Flow day partitions are created before, outside the transaction.
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Pool, PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { createBinaryCopy } from './domain/copy-binary.ts';
import { copyLine, tsText, type CopyValue } from './domain/copy-text.ts';
import { dayOf, type FlowRow, type SessionIntervalRow, type SessionRecordRow } from './domain/archive-rows.ts';

export interface HistoryBatch {
  sessions: SessionRecordRow[];
  intervals: SessionIntervalRow[];
  flows: FlowRow[];
}

export interface WriteResult { sessionsNew: number; flowsNew: number; intervals: number }

const STAGING = `
CREATE TEMP TABLE IF NOT EXISTS stage_session_records (LIKE session_records) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS stage_flow_records (LIKE flow_records) ON COMMIT DELETE ROWS;`;

const MOVE = {
  session_records: 'INSERT INTO session_records SELECT * FROM stage_session_records ON CONFLICT DO NOTHING',
  flow_records: 'INSERT INTO flow_records SELECT * FROM stage_flow_records ON CONFLICT DO NOTHING',
} as const;
// the batch's intervals as parameter arrays (no staging table): one row per session and
// address, merged with what the store holds
const UPSERT_INTERVALS = `
INSERT INTO sessions (session_key, scope, addr, ports, kind, provider_id, leads_to, start_at, evidence_at, stop_at)
SELECT session_key, scope, addr, int4range(lo, hi, '[]'), min(kind), min(provider_id), min(leads_to), min(start_at), max(evidence_at), max(stop_at)
  FROM unnest($1::text[], $2::text[], $3::cidr[], $4::int[], $5::int[], $6::text[], $7::text[], $8::text[], $9::timestamptz[], $10::timestamptz[], $11::timestamptz[])
    AS i(session_key, scope, addr, lo, hi, kind, provider_id, leads_to, start_at, evidence_at, stop_at)
 GROUP BY session_key, scope, addr, lo, hi
ON CONFLICT (session_key, scope, addr, ports) DO UPDATE SET
  start_at = LEAST(sessions.start_at, EXCLUDED.start_at),
  evidence_at = GREATEST(sessions.evidence_at, EXCLUDED.evidence_at),
  stop_at = GREATEST(sessions.stop_at, EXCLUDED.stop_at)`;

/** UPSERT_INTERVALS' parameters: one array per column. */
function intervalArrays(rows: readonly SessionIntervalRow[]): unknown[] {
  const cols: unknown[][] = Array.from({ length: 11 }, () => []);
  for (const r of rows) {
    const v = [r.sessionKey, r.scope, r.addr, r.portLo, r.portHi, r.kind, r.providerId, r.leadsTo, tsText(r.startAt), tsText(r.evidenceAt), tsText(r.stopAt)];
    for (let k = 0; k < 11; k++) cols[k]!.push(v[k]);
  }
  return cols;
}

const flowLine = (r: FlowRow): string =>
  copyLine([r.windowKey, r.uid, r.dir === 'in' ? 'i' : 'o', tsText(r.at), tsText(r.producedAt), r.src, r.srcPort, r.dst, r.dstPort, r.value] as CopyValue[]);

/** The flow rows as one binary COPY stream (stage_flow_records' column order). */
export function flowsBinary(flows: readonly FlowRow[]): Buffer {
  const c = createBinaryCopy(flows.length * 320);
  for (const r of flows) {
    c.row(10).text(r.windowKey).text(r.uid).char(r.dir === 'in' ? 'i' : 'o').timestamptz(r.at).timestamptz(r.producedAt)
      .inet(r.src).int4(r.srcPort).inet(r.dst).int4(r.dstPort).bytea(r.value);
  }
  return c.end();
}

async function copyBinaryInto(client: PoolClient, table: string, data: Buffer): Promise<void> {
  const sink: Writable = client.query(copyFrom(`COPY ${table} FROM STDIN (FORMAT binary)`));
  await pipeline(function* () { for (let i = 0; i < data.length; i += 1 << 16) yield data.subarray(i, i + (1 << 16)); }, sink);
}

/** The session record rows as one binary COPY stream (session_records' column order). */
export function sessionsBinary(rows: readonly SessionRecordRow[]): Buffer {
  const c = createBinaryCopy(rows.length * 320);
  for (const r of rows) c.row(6).text(r.windowKey).text(r.uid).timestamptz(r.at).timestamptz(r.producedAt).text(r.sessionKey).bytea(r.value);
  return c.end();
}

/** SQLSTATE unique_violation: a record row the store already holds. */
const UNIQUE_VIOLATION = '23505';
const DAY_MS = 86_400_000;

async function copyInto(client: PoolClient, table: string, lines: Iterable<string>): Promise<void> {
  const sink: Writable = client.query(copyFrom(`COPY ${table} FROM STDIN`));
  async function* chunks() {
    let buf = '';
    for (const l of lines) {
      buf += l;
      if (buf.length >= 1 << 16) { yield buf; buf = ''; }
    }
    if (buf) yield buf;
  }
  await pipeline(chunks(), sink);
}

export interface HistoryWriterOptions {
  /** How flow rows are written: binary = COPY straight into flow_records, merging only on a
   *  replay (default); text = COPY's text form into staging, then INSERT ... ON CONFLICT, every
   *  batch (the path before; bench/archive.bench.ts compares the two in one run). */
  flowCopy?: 'binary' | 'text';
}

export function createHistoryWriter(pool: Pool, opts: HistoryWriterOptions = {}) {
  const binaryFlows = (opts.flowCopy ?? 'binary') === 'binary';
  /** Day partitions known to exist, as UTC day numbers (ms / DAY). */
  const partitions = new Set<number>();

  /** Creates the day partitions of flow_records the batch needs (idempotent, race-safe). */
  async function ensurePartitions(flows: FlowRow[]): Promise<void> {
    const days = new Set<number>();
    for (const f of flows) days.add(Math.floor(f.at / DAY_MS));
    for (const n of days) {
      if (partitions.has(n)) continue;
      const [day, next] = [dayOf(n * DAY_MS), dayOf((n + 1) * DAY_MS)];
      const name = `flow_records_${day.replaceAll('-', '')}`;
      try {
        await pool.query(`CREATE TABLE IF NOT EXISTS ${name} PARTITION OF flow_records FOR VALUES FROM ('${day}T00:00:00Z') TO ('${next}T00:00:00Z')`);
      } catch (e) {
        // another writer created it between our check and our CREATE
        if (!/already exists/.test((e as Error).message)) throw e;
      }
      partitions.add(n);
    }
  }

  /** One transaction. direct: record rows COPY'd straight into their tables (a row already
   *  there fails it with a unique violation); merge: through staging, ON CONFLICT DO NOTHING. */
  async function attempt(client: PoolClient, b: HistoryBatch, direct: boolean): Promise<WriteResult> {
    await client.query('BEGIN');
    // the staging tables, once per connection and batch, only when a path needs them
    let staged = false;
    const stage = async (): Promise<void> => { if (!staged) { await client.query(STAGING); staged = true; } };
    /** Record rows straight into their table, or through its staging table; how many are new. */
    const records = async (table: 'session_records' | 'flow_records', data: Buffer, rows: number): Promise<number> => {
      if (direct) { await copyBinaryInto(client, table, data); return rows; }
      await stage();
      await copyBinaryInto(client, `stage_${table}`, data);
      return (await client.query(MOVE[table])).rowCount ?? 0;
    };
    let sessionsNew = 0, flowsNew = 0;
    if (b.sessions.length > 0) sessionsNew = await records('session_records', sessionsBinary(b.sessions), b.sessions.length);
    if (b.intervals.length > 0) await client.query(UPSERT_INTERVALS, intervalArrays(b.intervals));
    if (b.flows.length > 0 && binaryFlows) flowsNew = await records('flow_records', flowsBinary(b.flows), b.flows.length);
    else if (b.flows.length > 0) {
      await stage();
      await copyInto(client, 'stage_flow_records', b.flows.map(flowLine));
      flowsNew = (await client.query(MOVE.flow_records)).rowCount ?? 0;
    }
    await client.query('COMMIT');
    return { sessionsNew, flowsNew, intervals: b.intervals.length };
  }

  return {
    async write(b: HistoryBatch): Promise<WriteResult> {
      await ensurePartitions(b.flows);
      const client = await pool.connect();
      let broken = false;
      const rollback = () => client.query('ROLLBACK').catch(() => { broken = true; });
      try {
        try {
          return await attempt(client, b, true);
        } catch (e) {
          if ((e as { code?: string }).code !== UNIQUE_VIOLATION) throw e;
          await rollback();
          if (broken) throw e;
        }
        // some record of the batch is stored already (a redelivery, a replay, the same record
        // twice in the batch): the whole batch again, merged
        return await attempt(client, b, false);
      } catch (e) {
        await rollback();
        throw e;
      } finally {
        client.release(broken);
      }
    },
    /** Several batches (the partitions of one fetch) in ONE transaction on the direct path;
     *  each batch's outcome, in order. When that transaction fails on the data (SQLSTATE class
     *  22 or 23: a stored record, a row refused), each batch is written again on its own
     *  (write()), so a replayed batch is merged and a batch at fault fails alone. */
    async writeMany(bs: readonly HistoryBatch[]): Promise<PromiseSettledResult<WriteResult>[]> {
      if (bs.length === 1) return Promise.allSettled([this.write(bs[0]!)]);
      const all: HistoryBatch = { sessions: bs.flatMap((b) => b.sessions), intervals: bs.flatMap((b) => b.intervals), flows: bs.flatMap((b) => b.flows) };
      await ensurePartitions(all.flows);
      const client = await pool.connect();
      let broken = false;
      try {
        await attempt(client, all, true);
        return bs.map((b) => ({ status: 'fulfilled', value: { sessionsNew: b.sessions.length, flowsNew: b.flows.length, intervals: b.intervals.length } }));
      } catch (e) {
        await client.query('ROLLBACK').catch(() => { broken = true; });
        if (!/^2[23]/.test(String((e as { code?: unknown }).code ?? ''))) return bs.map(() => ({ status: 'rejected', reason: e }));
      } finally {
        client.release(broken);
      }
      const out: PromiseSettledResult<WriteResult>[] = [];
      for (const b of bs) out.push((await Promise.allSettled([this.write(b)]))[0]!);
      return out;
    },
    /** Forgets the partitions known to exist (after a retention run dropped some). */
    forgetPartitions(): void { partitions.clear(); },
  };
}

export type HistoryWriter = ReturnType<typeof createHistoryWriter>;

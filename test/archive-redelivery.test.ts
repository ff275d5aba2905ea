// A batch redelivered after a crash between the database commit and the Kafka offset commit
// stores each record once: record rows go with one COPY straight into their tables, and a batch
// holding rows the store already has is rolled back and merged (ON CONFLICT DO NOTHING), session
// intervals upserted to the same state. And a store made before migration 005 (flow_records keyed
// on (uid, dir, at) with two more indexes) upgrades with its rows, and keeps refusing them twice.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowEvent, SessionEvent } from '../schemas/types.gen.ts';
import { flowRow, sessionRows, type FlowRow } from '../services/archive/domain/archive-rows.ts';
import { createHistoryWriter, type HistoryBatch } from '../services/archive/history-writer.ts';
import { loadMigrations, migrate } from '../services/history/migrate.ts';
import { stackEndpoints } from './support/stack.ts';

const run = `r${Date.now().toString(36)}`;
const T = Date.now() - 3_600_000;
const flow = (i: number): FlowRow[] => (['out', 'in'] as const).map((dir) => flowRow(
  { windowKey: `${run}|${dir === 'in' ? '198.18.6.1' : '100.64.6.1'}`, uid: `${run}/f${i}`, at: T + i, producedAt: T + i, value: Buffer.from([1, i & 255]) }, dir,
  { srcAddr: '100.64.6.1', srcPort: 40000 + i, dstAddr: '198.18.6.1', dstPort: 443 } as FlowEvent));
const session = (i: number, action: 'START' | 'STOP') => sessionRows(
  { windowKey: `${run}|198.51.100.6`, uid: `${run}/s${i}${action}`, at: T + i, producedAt: T + i, value: Buffer.from([2, i & 255]) },
  { eventId: `${i}`, exporterId: 'x', exportTime: T + i, kind: 'PORT_BLOCK', action, natEvent: null, eventTime: T + i * 1000, protocol: null,
    outsideAddr: '198.51.100.6', outsidePort: null, portRangeStart: 1024 + i * 512, portRangeEnd: 1535 + i * 512, insideAddr: `100.64.7.${i}`, insidePort: null,
    framedIpAddress: null, framedIpv6Prefix: null, delegatedIpv6Prefix: null, acctSessionId: null, acctDelayTime: null, subscriberHandle: null,
    jurisdiction: 'FR', providerId: `${run}-p`, clockOffsetMs: 0 } as SessionEvent);
const batchOf = (flows: number[], sessions: [number, 'START' | 'STOP'][]): HistoryBatch => {
  const s = sessions.map(([i, a]) => session(i, a));
  return { flows: flows.flatMap(flow), sessions: s.map((x) => x.record), intervals: s.flatMap((x) => x.intervals) };
};

describe.skipIf(!stackEndpoints().databaseUrl)('archive redelivery and the flow key upgrade (needs DATABASE_URL)', () => {
  let pool: pg.Pool;
  beforeAll(async () => { pool = new pg.Pool({ connectionString: stackEndpoints().databaseUrl, max: 3 }); await migrate(pool); });
  afterAll(async () => { await pool?.end(); });
  const state = async () => ({
    flows: (await pool.query<{ k: string }>(`SELECT window_key || ' ' || uid || ' ' || dir::text AS k FROM flow_records WHERE uid LIKE $1 ORDER BY 1`, [`${run}/%`])).rows.map((r) => r.k),
    records: (await pool.query<{ uid: string }>('SELECT uid FROM session_records WHERE window_key = $1 ORDER BY uid', [`${run}|198.51.100.6`])).rows.map((r) => r.uid),
    intervals: (await pool.query<{ v: string }>(`SELECT lower(ports) || ' ' || valid::text AS v FROM sessions WHERE provider_id = $1 ORDER BY 1`, [`${run}-p`])).rows.map((r) => r.v),
  });

  it('a redelivered batch changes nothing; a partly redelivered one adds exactly its new records', async () => {
    const w = createHistoryWriter(pool);
    const first = batchOf([1, 2], [[1, 'START'], [2, 'START']]);
    expect(await w.write(first)).toEqual({ flowsNew: 4, sessionsNew: 2, intervals: 2 });
    const once = await state();
    expect(once.flows).toHaveLength(4);
    expect(once.records).toHaveLength(2);
    const s1 = (await pool.query<{ at: Date; produced_at: Date; session_key: string; value: Buffer }>('SELECT at, produced_at, session_key, value FROM session_records WHERE uid = $1', [`${run}/s1START`])).rows;
    expect(s1).toEqual([{ at: new Date(T + 1), produced_at: new Date(T + 1), session_key: first.sessions[0]!.sessionKey, value: Buffer.from([2, 1]) }]);
    // the crash came after the commit: the same batch again, and again
    expect(await w.write(first)).toEqual({ flowsNew: 0, sessionsNew: 0, intervals: 2 });
    expect(await w.write(first)).toEqual({ flowsNew: 0, sessionsNew: 0, intervals: 2 });
    expect(await state()).toEqual(once);
    // the next fetch overlaps the first: records 2 again, 3 new, a STOP for session 1
    expect(await w.write(batchOf([2, 3], [[2, 'START'], [1, 'STOP']]))).toMatchObject({ flowsNew: 2, sessionsNew: 1 });
    const after = await state();
    expect(after.flows).toHaveLength(6);
    expect(after.records).toEqual([...once.records, `${run}/s1STOP`].sort());
    expect(after.intervals).toHaveLength(2);
    expect(after.intervals[0]).toMatch(/^1536 \[.*,.*\]$/); // session 1 now closed by its STOP
    expect(after.intervals[1]).toMatch(/^2048 \[.*,\)$/); // session 2 still open
  });

  it('batches written together (group commit) each store once; a replayed one among them is merged, the others\' rows all land', async () => {
    const w = createHistoryWriter(pool);
    const fresh = await w.writeMany([batchOf([10], []), batchOf([11], [[3, 'START']])]);
    expect(fresh.map((r) => r.status === 'fulfilled' && r.value)).toEqual([{ flowsNew: 2, sessionsNew: 0, intervals: 0 }, { flowsNew: 2, sessionsNew: 1, intervals: 1 }]);
    // the second fetch after a crash: batch 11 again beside a new one
    const again = await w.writeMany([batchOf([12], []), batchOf([11], [[3, 'START']])]);
    expect(again.map((r) => r.status === 'fulfilled' && r.value)).toEqual([{ flowsNew: 2, sessionsNew: 0, intervals: 0 }, { flowsNew: 0, sessionsNew: 0, intervals: 1 }]);
    const flows = (await state()).flows.filter((k) => / r\w+\/f1[0-2] /.test(k));
    expect(flows).toHaveLength(6);
    expect(new Set(flows).size).toBe(6);
  });

  it('a store made before migration 005 upgrades with its flow rows and still refuses them twice', async () => {
    const schema = `up_${run}`;
    await pool.query(`CREATE SCHEMA ${schema}`);
    const old = new pg.Pool({ connectionString: stackEndpoints().databaseUrl, max: 2, options: `-c search_path=${schema},public` });
    try {
      await migrate(old, loadMigrations().filter((m) => m.version < 5));
      const w = createHistoryWriter(old);
      expect((await w.write(batchOf([1, 2], []))).flowsNew).toBe(4);
      expect(await migrate(old)).toContain(5);
      const keys = (await old.query<{ d: string }>(`SELECT indexdef AS d FROM pg_indexes WHERE schemaname = $1 AND tablename = 'flow_records'`, [schema])).rows.map((r) => r.d);
      expect(keys).toEqual([expect.stringMatching(/UNIQUE INDEX flow_records_pkey .*\(window_key, at, uid, dir\)/)]);
      expect((await createHistoryWriter(old).write(batchOf([1, 2, 3], []))).flowsNew).toBe(2);
      expect(Number((await old.query<{ n: string }>('SELECT count(*) AS n FROM flow_records')).rows[0]!.n)).toBe(6);
    } finally {
      await old.end();
      await pool.query(`DROP SCHEMA ${schema} CASCADE`);
    }
  });
});

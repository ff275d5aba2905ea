// The archive's flow write on the real history store: a batch goes with one COPY straight into
// flow_records; a batch holding rows the store already has (a redelivery, a replay, the same
// record twice in one batch) falls back to the merge path and adds exactly the new rows.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowEvent } from '../schemas/types.gen.ts';
import { flowRow } from '../services/archive/domain/archive-rows.ts';
import { createHistoryWriter } from '../services/archive/history-writer.ts';
import { migrate } from '../services/history/migrate.ts';
import { stackEndpoints } from './support/stack.ts';

const run = `w${Date.now().toString(36)}`;
const T = Date.now() - 3_600_000;
const row = (i: number, dst = '198.18.5.9') => flowRow({ windowKey: `${run}|${dst}`, uid: `${run}/${i}`, at: T + i, producedAt: T + i, value: Buffer.from([0, i & 255, 7]) }, 'in',
  { srcAddr: '2001:db8::5', srcPort: 40000 + i, dstAddr: dst, dstPort: i % 2 ? null : 443 } as FlowEvent);

describe.skipIf(!stackEndpoints().databaseUrl)('archive flow writes: one COPY, a merge only on a replay (needs DATABASE_URL)', () => {
  let pool: pg.Pool;
  beforeAll(async () => { pool = new pg.Pool({ connectionString: stackEndpoints().databaseUrl, max: 2 }); await migrate(pool); });
  afterAll(async () => { await pool?.end(); });
  const stored = async () => (await pool.query<{ uid: string; src: string; dst: string; dst_port: number | null; value: Buffer; at: Date }>(
    'SELECT uid, host(src) AS src, host(dst) AS dst, dst_port, value, at FROM flow_records WHERE window_key LIKE $1 ORDER BY uid', [`${run}|%`])).rows;

  it('stores every column as written and adds only the new rows of a partly replayed batch', async () => {
    const w = createHistoryWriter(pool);
    expect((await w.write({ sessions: [], intervals: [], flows: [row(1), row(2)] })).flowsNew).toBe(2);
    expect((await w.write({ sessions: [], intervals: [], flows: [row(1), row(2), row(3), row(3)] })).flowsNew).toBe(1);
    expect((await w.write({ sessions: [], intervals: [], flows: [row(1)] })).flowsNew).toBe(0);
    const rows = await stored();
    expect(rows.map((r) => r.uid)).toEqual([`${run}/1`, `${run}/2`, `${run}/3`]);
    expect(rows[0]).toMatchObject({ src: '2001:db8::5', dst: '198.18.5.9', dst_port: null, value: Buffer.from([0, 1, 7]) });
    expect(rows[1]!.dst_port).toBe(443);
    expect(rows[2]!.at.getTime()).toBe(T + 3);
  });
});

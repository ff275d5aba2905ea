// Retention and preservation on the real history store: flow records 400 days old in their own
// day partition; a preservation order pins one window; a retention run drops the partition; the
// tracer's archive reader still finds the pinned window and nothing of the other; released, the
// pinned records are no longer served.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowEvent } from '../schemas/types.gen.ts';
import { flowRow } from '../services/archive/domain/archive-rows.ts';
import { createHistoryWriter } from '../services/archive/history-writer.ts';
import type { Lookup } from '../services/join/join-types.ts';
import { migrate } from '../services/history/migrate.ts';
import { openPreservation, releasePreservation } from '../services/history/preservation.ts';
import { runRetention } from '../services/history/retention.ts';
import { createHistorySource } from '../services/tracer/history-lookup.ts';
import { stackEndpoints } from './support/stack.ts';

const DAY = 86_400_000;
const run = `r${Date.now().toString(36)}`;
const T = Math.floor((Date.now() - 400 * DAY) / DAY) * DAY + 12 * 3_600_000; // noon, 400 days ago
const [PINNED, OTHER] = [`${run}|10.9.0.1`, `${run}|10.9.0.2`];

describe.skipIf(!stackEndpoints().databaseUrl)('retention and preservation of the history store (needs DATABASE_URL)', () => {
  let pool: pg.Pool;
  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: stackEndpoints().databaseUrl, max: 2 });
    await migrate(pool);
    const flows = [PINNED, OTHER].flatMap((key) => [0, 1, 2].map((i) => flowRow(
      { windowKey: key, uid: `${run}/${key}/${i}`, at: T + i * 1000, producedAt: T + i * 1000, value: Buffer.from([0, i]) }, 'in',
      { srcAddr: '192.0.2.1', srcPort: 40000 + i, dstAddr: key.split('|')[1]!, dstPort: 22 } as FlowEvent)));
    await createHistoryWriter(pool).write({ sessions: [], intervals: [], flows });
  });
  afterAll(async () => { await pool?.end(); });

  const read = async (key: string) => {
    const l = { mode: 'relay', addr: key.split('|')[1]!, scopeProviderId: run, port: null, windowFrom: T - 5000, windowTo: T + 5000 } as Lookup;
    return (await createHistorySource(pool).read(key, l, { from: T - 60_000, coreFrom: T - 5000, coreTo: T + 5000, to: T + 60_000, limit: 100 })).events;
  };

  it('a pinned window outlives the dropped day partition; the rest is gone', async () => {
    expect(await read(PINNED)).toHaveLength(3);
    expect(await openPreservation(pool, { orderId: `${run}-order`, traceId: `trace-${run}`, windows: [{ windowKey: PINNED, from: T - 5000, to: T + 5000 }] })).toBe(3);
    const partition = `flow_records_${new Date(T).toISOString().slice(0, 10).replaceAll('-', '')}`;
    expect(await runRetention(pool, { retainDays: 180 })).toContain(partition);
    expect((await pool.query('SELECT to_regclass($1) AS t', [partition])).rows[0].t).toBeNull();
    expect((await read(PINNED)).map((e) => e.value[1]).sort()).toEqual([0, 1, 2]);
    expect(await read(OTHER)).toEqual([]);
  });

  it('released, the order no longer serves the records', async () => {
    expect(await releasePreservation(pool, `${run}-order`)).toBe(true);
    expect(await read(PINNED)).toEqual([]);
  });
});

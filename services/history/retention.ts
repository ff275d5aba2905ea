// Retention of the history store: flow day partitions older than the retention are dropped
// whole (no row-by-row delete, no vacuum debt). Records a preservation order pinned live on in
// preserved_flow_records / preserved_session_records (preservation.ts), which retention never
// touches. Sessions are swept row by row (they are few next to flows): an interval that ended
// before the cutoff goes, and with it the records of sessions no interval is left for.
import type { Pool } from 'pg';
import { DEFAULT_RETENTION_DAYS, type RetentionPlan } from './domain/retention-plan.ts';

const DAY = 86_400_000;

/** Day partitions (flow_records_YYYYMMDD) whose whole day ended before now - retainDays. Pure. */
export function expiredPartitions(names: readonly string[], now: number, retainDays: number): string[] {
  const cutoff = now - retainDays * DAY;
  return names.filter((n) => {
    const m = /^flow_records_(\d{4})(\d{2})(\d{2})$/.exec(n);
    return m !== null && Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) + DAY <= cutoff;
  }).sort();
}

/** Drops the expired day partitions of flow_records; returns their names. */
export async function runRetention(pool: Pool, o: { retainDays: number; now?: number }): Promise<string[]> {
  const { rows } = await pool.query<{ name: string }>(`SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'flow_records'::regclass`);
  const drop = expiredPartitions(rows.map((r) => r.name), o.now ?? Date.now(), o.retainDays);
  for (const name of drop) await pool.query(`DROP TABLE IF EXISTS ${name}`); // names matched ^flow_records_\d{8}$
  return drop;
}

export interface SessionSweep { intervals: number; records: number }

/** Deletes session intervals that ended before now - their provider's retention (plan), then
 *  the records of sessions left without any interval and older than the shortest retention.
 *  An open session (no STOP) is kept. `retainDays` alone = one retention for every provider. */
export async function sweepSessions(pool: Pool, o: { retainDays?: number; plan?: RetentionPlan; now?: number }): Promise<SessionSweep> {
  const plan = o.plan ?? { flowDays: o.retainDays ?? DEFAULT_RETENTION_DAYS, sessionDays: new Map<string, number>(), defaultDays: o.retainDays ?? DEFAULT_RETENTION_DAYS };
  const now = new Date(o.now ?? Date.now()).toISOString();
  const shortest = Math.min(plan.defaultDays, ...plan.sessionDays.values());
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const i = await client.query(`DELETE FROM sessions s WHERE NOT upper_inf(s.valid) AND upper(s.valid) < $1::timestamptz - make_interval(days =>
        COALESCE((SELECT r.d FROM unnest($2::text[], $3::int[]) AS r(p, d) WHERE r.p = s.provider_id), $4::int))`,
      [now, [...plan.sessionDays.keys()], [...plan.sessionDays.values()], plan.defaultDays]);
    const r = await client.query(`DELETE FROM session_records r WHERE r.at < $1::timestamptz - make_interval(days => $2::int)
      AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.session_key = r.session_key)`, [now, shortest]);
    await client.query('COMMIT');
    return { intervals: i.rowCount ?? 0, records: r.rowCount ?? 0 };
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    client.release();
  }
}

// Retention of the history store: flow day partitions older than the retention are dropped
// whole (no row-by-row delete, no vacuum debt). Records a preservation order pinned live on in
// preserved_flow_records (preservation.ts), which retention never touches.
import type { Pool } from 'pg';

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

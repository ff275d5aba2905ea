// The history store's connection pool: opened from DATABASE_URL, migrations applied before the
// first write, closed on stop. Shared by the archive (writer) and the tracer (reader).
import pg from 'pg';
import { migrate } from './migrate.ts';

export interface HistoryDbOptions {
  url: string;
  /** Most connections. */
  max: number;
  /** Name shown in pg_stat_activity. */
  applicationName: string;
  /** Apply the schema migrations first (the archive does; readers need not). */
  migrate: boolean;
}

export async function openHistoryDb(o: HistoryDbOptions): Promise<{ pool: pg.Pool; applied: number[] }> {
  // TCP keepalive: a database host that vanishes without a reset (a half-open connection) is
  // noticed instead of holding a query, and with group commit the whole archive, for good
  const pool = new pg.Pool({ connectionString: o.url, max: o.max, application_name: o.applicationName, connectionTimeoutMillis: 10_000, keepAlive: true, keepAliveInitialDelayMillis: 30_000 });
  // an idle client losing its connection (database restart) must not crash the process
  pool.on('error', () => undefined);
  try {
    const applied = o.migrate ? await migrate(pool) : [];
    return { pool, applied };
  } catch (e) {
    await pool.end().catch(() => undefined);
    throw e;
  }
}

// Versioned schema migrations: services/history/migrations/NNN_name.sql, applied in order at
// start-up, each in its own transaction, recorded in schema_migrations. A session-level
// advisory lock serialises concurrent starters (two archive instances, a bench), so each file
// runs exactly once per database. A file already applied is never re-read: fix forward with a
// new file, never by editing an applied one (its sha256 is recorded and checked).
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pool } from 'pg';

export const MIGRATIONS_DIR = join(import.meta.dirname, 'migrations');
/** Arbitrary constant: the advisory lock key of crosstrace's history-store migrations. */
const LOCK_KEY = 0x63747263; // "ctrc"

export interface Migration { version: number; name: string; sql: string; sha256: string }

export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir).filter((f) => f.endsWith('.sql')).sort().map((f) => {
    const m = /^(\d+)_([\w-]+)\.sql$/.exec(f);
    if (!m) throw new Error(`migration file ${f} must be named NNN_name.sql`);
    const sql = readFileSync(join(dir, f), 'utf8');
    return { version: Number(m[1]), name: m[2]!, sql, sha256: createHash('sha256').update(sql).digest('hex') };
  });
}

/** Applies the migrations not yet recorded; returns the versions applied now. */
export async function migrate(pool: Pool, migrations = loadMigrations()): Promise<number[]> {
  const client = await pool.connect();
  const applied: number[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_KEY]);
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, sha256 text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
    const done = new Map((await client.query<{ version: number; sha256: string }>('SELECT version, sha256 FROM schema_migrations')).rows.map((r) => [r.version, r.sha256]));
    for (const m of migrations) {
      const sha = done.get(m.version);
      if (sha !== undefined) {
        if (sha !== m.sha256) throw new Error(`migration ${m.version}_${m.name} was edited after it was applied (sha256 differs); add a new migration instead`);
        continue;
      }
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query('INSERT INTO schema_migrations (version, name, sha256) VALUES ($1, $2, $3)', [m.version, m.name, m.sha256]);
        await client.query('COMMIT');
      } catch (e) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${m.version}_${m.name} failed: ${(e as Error).message}`, { cause: e });
      }
      applied.push(m.version);
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]).catch(() => undefined);
    client.release();
  }
  return applied;
}

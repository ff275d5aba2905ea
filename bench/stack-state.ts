// What the stack holds after a bench step: make bench runs its steps on one stack, and the
// end-to-end sweep (step 14) met a stack twelve steps had filled — round 9 saw 10k/s fall behind
// there while a fresh stack kept up. deploy/local/bench.sh runs this after every step and keeps
// the lines in .stack/bench/stack-state.jsonl, so the state each step left is measured, not guessed.
//   node bench/stack-state.ts STEP   (REDIS_URL, DATABASE_URL from deploy/local/stack.sh env)
// Prints one line; appends the same as JSON to .stack/bench/stack-state.jsonl.
import { appendFileSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';

const root = new URL('..', import.meta.url).pathname;
const step = process.argv[2] ?? '?';
const MiB = 1_048_576;

/** Bytes on disk under `dir` (a broker's log directory), 0 when it is not there. */
function duBytes(dir: string): number {
  let total = 0;
  let entries;
  try { entries = readdirSync(dir, { withFileTypes: true }); } catch { return 0; }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += duBytes(p);
    else if (e.isFile()) { try { total += statSync(p).blocks * 512; } catch { /* rotated away meanwhile */ } } // on disk: index files are preallocated sparse
  }
  return total;
}

const field = (info: string, name: string): number => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? Number.NaN);

const out: Record<string, number | string> = { step };
if (process.env.REDIS_URL) {
  const r = new Redis(process.env.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await r.connect();
    const info = await r.info();
    out.redisUsedMiB = +(field(info, 'used_memory') / MiB).toFixed(1);
    out.redisRssMiB = +(field(info, 'used_memory_rss') / MiB).toFixed(1);
    out.redisKeys = await r.dbsize();
    out.redisExpires = Number(/^db0:keys=\d+,expires=(\d+)/m.exec(info)?.[1] ?? 0);
    out.redisExpiredTotal = field(info, 'expired_keys');
    out.redisAofRewrites = field(info, 'aof_rewrites');
    out.redisAofMiB = +(field(info, 'aof_current_size') / MiB).toFixed(1);
    out.redisForkUsecLast = field(info, 'latest_fork_usec');
  } catch (e) { out.redis = `unreachable: ${(e as Error).message}`; } finally { r.disconnect(); }
}
if (process.env.DATABASE_URL) {
  const db = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 1 });
  try {
    const size = await db.query<{ bytes: string }>('SELECT pg_database_size(current_database()) AS bytes');
    out.pgMiB = +(Number(size.rows[0]!.bytes) / MiB).toFixed(1);
    const t = await db.query<{ live: string; dead: string; autovacuums: string; autoanalyzes: string }>(
      'SELECT coalesce(sum(n_live_tup), 0) AS live, coalesce(sum(n_dead_tup), 0) AS dead, coalesce(sum(autovacuum_count), 0) AS autovacuums, coalesce(sum(autoanalyze_count), 0) AS autoanalyzes FROM pg_stat_user_tables');
    out.pgLiveRows = Number(t.rows[0]!.live);
    out.pgDeadRows = Number(t.rows[0]!.dead);
    out.pgAutovacuums = Number(t.rows[0]!.autovacuums);
    out.pgAutoanalyzes = Number(t.rows[0]!.autoanalyzes);
  } catch (e) { out.pg = `unreachable: ${(e as Error).message}`; } finally { await db.end(); }
}
out.kafkaLogMiB = +(duBytes(join(root, '.stack/data/kafka')) / MiB).toFixed(0);
out.load1 = +loadavg()[0]!.toFixed(2);

const dir = join(root, '.stack/bench');
mkdirSync(dir, { recursive: true });
appendFileSync(join(dir, 'stack-state.jsonl'), `${JSON.stringify({ at: new Date().toISOString(), ...out })}\n`);
console.log(`stack after step ${step}: Redis ${out.redisUsedMiB} MiB used (${out.redisRssMiB} RSS), ${out.redisKeys} keys (${out.redisExpires} with TTL, ${out.redisExpiredTotal} expired so far), AOF ${out.redisAofMiB} MiB after ${out.redisAofRewrites} rewrites; PostgreSQL ${out.pgMiB} MiB, ${out.pgLiveRows} live / ${out.pgDeadRows} dead rows, ${out.pgAutovacuums} autovacuums; Kafka logs ${out.kafkaLogMiB} MiB; load ${out.load1}`);

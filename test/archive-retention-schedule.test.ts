// The archive's scheduled retention run on the real history store, per provider: two providers'
// sessions ended 120 days ago; one keeps 90 days, the other the default 180. A run sweeps the
// first provider's intervals and records only, keeps an open session of the short provider, and
// counts what it did in the archive's metrics; a second run finds nothing more.
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionIntervalRow, SessionRecordRow } from '../services/archive/domain/archive-rows.ts';
import { createHistoryWriter } from '../services/archive/history-writer.ts';
import { createArchiveMetrics } from '../services/archive/metrics.ts';
import { scheduleRetention } from '../services/archive/retention-schedule.ts';
import { parseRetention } from '../services/history/domain/retention-plan.ts';
import { migrate } from '../services/history/migrate.ts';
import { stackEndpoints } from './support/stack.ts';

const DAY = 86_400_000;
const run = `s${Date.now().toString(36)}`;
const ENDED = Date.now() - 120 * DAY;
const [SHORT, LONG] = [`${run}-short`, `${run}-long`];

const session = (provider: string, addr: string, open: boolean): { records: SessionRecordRow[]; intervals: SessionIntervalRow[] } => {
  const sessionKey = `ACCESS_SESSION|${provider}|${addr}`;
  const times = open ? [ENDED - DAY] : [ENDED - DAY, ENDED];
  return {
    records: times.map((at, i) => ({ windowKey: addr, uid: `${provider}/${addr}/${i}`, at, producedAt: at, value: Buffer.from([i]), sessionKey })),
    intervals: [{ sessionKey, scope: '', addr: `${addr}/32`, portLo: 0, portHi: 65535, kind: 'ACCESS_SESSION', providerId: provider, leadsTo: null, startAt: ENDED - DAY, evidenceAt: ENDED - DAY, stopAt: open ? null : ENDED }],
  };
};

describe.skipIf(!stackEndpoints().databaseUrl)('scheduled retention per provider (needs DATABASE_URL)', () => {
  let pool: pg.Pool;
  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: stackEndpoints().databaseUrl, max: 3 });
    await migrate(pool);
    const all = [session(SHORT, '198.18.77.1', false), session(SHORT, '198.18.77.2', true), session(LONG, '198.18.77.3', false)];
    await createHistoryWriter(pool).write({ sessions: all.flatMap((s) => s.records), intervals: all.flatMap((s) => s.intervals), flows: [] });
  });
  afterAll(async () => { await pool?.end(); });

  const left = async (provider: string) => (await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM session_records WHERE session_key LIKE $1`, [`ACCESS_SESSION|${provider}|%`])).rows[0]!.n;

  it('sweeps the 90-day provider\'s ended session, keeps its open one and the 180-day provider\'s', async () => {
    const metrics = createArchiveMetrics();
    const schedule = scheduleRetention({ pool, plan: parseRetention(`${SHORT}:90`, 180), everyMs: 3_600_000, firstAfterMs: 3_600_000, metrics, logger: pino({ level: 'silent' }) });
    try {
      await schedule.runNow();
      expect(await left(SHORT)).toBe(1); // the open session's START
      expect(await left(LONG)).toBe(2);
      const swept = async (table: string) => (await metrics.retentionSessions.get()).values.find((v) => v.labels.table === table)?.value;
      expect(await swept('sessions')).toBeGreaterThanOrEqual(1);
      expect(await swept('session_records')).toBeGreaterThanOrEqual(2);
      expect((await metrics.retentionRuns.get()).values.find((v) => v.labels.result === 'ok')?.value).toBe(1);
      expect((await metrics.retentionLastSuccess.get()).values[0]?.value).toBeGreaterThan(0);
      await schedule.runNow();
      expect(await left(SHORT)).toBe(1);
      expect(await left(LONG)).toBe(2);
    } finally {
      await schedule.stop();
    }
  });
});

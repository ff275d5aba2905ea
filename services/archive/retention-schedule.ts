// The archive's scheduled retention run: every `everyMs` (and once soon after start) let go of the
// pinned copies of preservation orders that expired or were released (their legal period is
// over), drop the flow day partitions past the longest retention and sweep sessions per provider
// (history/retention.ts). A transaction-free advisory lock makes one archive instance run it at a time;
// a failed run is logged and counted and retried at the next tick, never stops the service.
import type { Logger } from 'pino';
import type { Pool } from 'pg';
import type { RetentionPlan } from '../history/domain/retention-plan.ts';
import { releaseEndedPins } from '../history/preservation.ts';
import { runRetention, sweepSessions } from '../history/retention.ts';
import type { ArchiveMetrics } from './metrics.ts';

/** Arbitrary constant: the advisory lock key of the retention run ("ctrr"). */
const LOCK_KEY = 0x63747272;

export function scheduleRetention(o: { pool: Pool; plan: RetentionPlan; everyMs: number; firstAfterMs: number; metrics: ArchiveMetrics; logger: Logger }) {
  let running: Promise<void> | undefined;
  const runOnce = async (): Promise<void> => {
    const started = process.hrtime.bigint();
    const client = await o.pool.connect();
    try {
      const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [LOCK_KEY]);
      if (!rows[0]?.ok) { o.metrics.retentionRuns.inc({ result: 'skipped' }); return; }
      try {
        const ended = await releaseEndedPins(o.pool);
        o.metrics.preservationPinsReleased.inc({ table: 'flows' }, ended.flows);
        o.metrics.preservationPinsReleased.inc({ table: 'sessions' }, ended.sessions);
        if (ended.orders.length) o.logger.info({ orders: ended.orders, flows: ended.flows, sessions: ended.sessions }, 'preservation orders over: their pinned records released');
        const dropped = await runRetention(o.pool, { retainDays: o.plan.flowDays });
        const swept = await sweepSessions(o.pool, { plan: o.plan });
        o.metrics.retentionPartitions.inc(dropped.length);
        o.metrics.retentionSessions.inc({ table: 'sessions' }, swept.intervals);
        o.metrics.retentionSessions.inc({ table: 'session_records' }, swept.records);
        o.metrics.retentionRuns.inc({ result: 'ok' });
        o.metrics.retentionLastSuccess.set(Date.now() / 1000);
        if (dropped.length || swept.intervals || swept.records) o.logger.info({ dropped, swept }, 'retention run');
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]);
      }
    } catch (err) {
      o.metrics.retentionRuns.inc({ result: 'failed' });
      o.logger.error({ err }, 'retention run failed; retried at the next tick');
    } finally {
      client.release();
      o.metrics.retentionSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
    }
  };
  const tick = (): void => { if (!running) running = runOnce().catch(() => undefined).finally(() => { running = undefined; }); };
  const first = setTimeout(tick, o.firstAfterMs);
  const timer = setInterval(tick, o.everyMs);
  first.unref(); timer.unref();
  return {
    /** Runs now (or joins the run under way); resolves when it ended. */
    runNow: async (): Promise<void> => { tick(); await running; },
    /** Stops the schedule and waits for a run under way. Idempotent. */
    stop: async (): Promise<void> => { clearTimeout(first); clearInterval(timer); await running; },
  };
}

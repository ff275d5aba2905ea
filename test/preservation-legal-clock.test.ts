// The legal clock of preservation orders and retention per provider from the provider registry,
// on the real history store. Budapest Convention Art. 16(2): an order preserves for at most 90
// days and may be renewed; each period is recorded. An order whose period ran out keeps its
// records only until the next retention run, which lets go of its pinned copies (the day
// partition they came from already dropped), while an open order's copies survive the same run.
// Sessions are swept per provider after the registry's retentionDays.
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowEvent } from '../schemas/types.gen.ts';
import { flowRow, type SessionIntervalRow, type SessionRecordRow } from '../services/archive/domain/archive-rows.ts';
import { createHistoryWriter } from '../services/archive/history-writer.ts';
import { createArchiveMetrics } from '../services/archive/metrics.ts';
import { scheduleRetention } from '../services/archive/retention-schedule.ts';
import { retentionPlanOf } from '../services/history/domain/retention-plan.ts';
import { migrate } from '../services/history/migrate.ts';
import { extendPreservation, preservationState, preserve } from '../services/history/preservation.ts';
import { stackEndpoints } from './support/stack.ts';

const DAY = 86_400_000;
const NOW = Date.now();
const run = `lc${NOW.toString(36)}`;
const T = Math.floor((NOW - 400 * DAY) / DAY) * DAY + 12 * 3_600_000; // noon, 400 days ago: past every retention
const [EXPIRED, OPEN] = [`${run}|10.8.0.1`, `${run}|10.8.0.2`];
const [SHORT, LONG] = [`${run}-short`, `${run}-long`]; // providers keeping 30 and 365 days
const ENDED = NOW - 60 * DAY;

const session = (provider: string, addr: string): { records: SessionRecordRow[]; intervals: SessionIntervalRow[] } => {
  const sessionKey = `ACCESS_SESSION|${provider}|${addr}`;
  return {
    records: [ENDED - DAY, ENDED].map((at, i) => ({ windowKey: addr, uid: `${provider}/${addr}/${i}`, at, producedAt: at, value: Buffer.from([i]), sessionKey })),
    intervals: [{ sessionKey, scope: '', addr: `${addr}/32`, portLo: 0, portHi: 65535, kind: 'ACCESS_SESSION', providerId: provider, leadsTo: null, startAt: ENDED - DAY, evidenceAt: ENDED - DAY, stopAt: ENDED }],
  };
};

describe.skipIf(!stackEndpoints().databaseUrl)('preservation orders\' legal clock and retention per provider (needs DATABASE_URL)', () => {
  let pool: pg.Pool;
  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: stackEndpoints().databaseUrl, max: 3 });
    await migrate(pool);
    const flows = [EXPIRED, OPEN].flatMap((key) => [0, 1].map((i) => flowRow(
      { windowKey: key, uid: `${run}/${key}/${i}`, at: T + i * 1000, producedAt: T + i * 1000, value: Buffer.from([0, i]) }, 'in',
      { srcAddr: '192.0.2.1', srcPort: 40000 + i, dstAddr: key.split('|')[1]!, dstPort: 22 } as FlowEvent)));
    const sessions = [session(SHORT, '198.18.78.1'), session(LONG, '198.18.78.2')];
    await createHistoryWriter(pool).write({ sessions: sessions.flatMap((s) => s.records), intervals: sessions.flatMap((s) => s.intervals), flows });
  });
  afterAll(async () => { await pool?.end(); });

  const window = (key: string) => [{ windowKey: key, from: T - 5000, to: T + 5000 }];
  const pinnedFlows = async (orderId: string) => (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM preserved_flow_records WHERE order_id = $1', [orderId])).rows[0]!.n;

  it('an order lasts at most 90 days at a time; each renewal is recorded and never shortens it', async () => {
    await expect(preserve(pool, { orderId: `${run}-x`, traceId: 'x', windows: [], days: 91 })).rejects.toMatchObject({ code: 'CT_LEGAL_PERIOD' });
    expect(await preserve(pool, { orderId: `${run}-open`, traceId: `t-${run}-open`, windows: window(OPEN), days: 30, now: NOW })).toEqual({ flows: 2, sessions: 0 });
    await expect(extendPreservation(pool, `${run}-open`, 120, NOW)).rejects.toMatchObject({ code: 'CT_LEGAL_PERIOD' });
    expect(await extendPreservation(pool, `${run}-open`, 90, NOW + DAY)).toBe(true);
    expect(await extendPreservation(pool, `${run}-open`, 10, NOW + 2 * DAY)).toBe(true); // recorded, expiry unchanged
    const o = (await preservationState(pool, `${run}-open`))!;
    expect(o.expiresAt).toBe(NOW + 91 * DAY);
    expect(o.periods.map((p) => [p.kind, p.days, p.expiresBefore, p.expiresAfter])).toEqual([
      ['OPEN', 30, null, NOW + 30 * DAY], ['EXTEND', 90, NOW + 30 * DAY, NOW + 91 * DAY], ['EXTEND', 10, NOW + 91 * DAY, NOW + 91 * DAY]]);
    expect(o.legalBasis).toBe('BUDAPEST_ART16_29');
  });

  it('an order whose period ran out cannot be renewed; the retention run lets go of its records, not of the open order\'s', async () => {
    // opened 100 days ago for 90 days: expired 10 days ago
    expect(await preserve(pool, { orderId: `${run}-old`, traceId: `t-${run}-old`, windows: window(EXPIRED), days: 90, now: NOW - 100 * DAY })).toEqual({ flows: 2, sessions: 0 });
    expect(await extendPreservation(pool, `${run}-old`, 90)).toBe(false);
    const providers = [{ providerId: SHORT, retentionDays: 30 }, { providerId: LONG, retentionDays: 365 }];
    const metrics = createArchiveMetrics();
    const schedule = scheduleRetention({ pool, plan: retentionPlanOf(providers, '', 180), everyMs: 3_600_000, firstAfterMs: 3_600_000, metrics, logger: pino({ level: 'silent' }) });
    try {
      await schedule.runNow();
    } finally {
      await schedule.stop();
    }
    expect(await pinnedFlows(`${run}-old`)).toBe(0);
    expect(await pinnedFlows(`${run}-open`)).toBe(2);
    const old = (await preservationState(pool, `${run}-old`))!;
    expect(old.pinsReleasedAt).not.toBeNull();
    expect((await preservationState(pool, `${run}-open`))!.pinsReleasedAt).toBeNull();
    expect((await metrics.preservationPinsReleased.get()).values.find((v) => v.labels.table === 'flows')?.value).toBeGreaterThanOrEqual(2);
    // the partition of 400 days ago is gone (the longest retention is 365 days): the flow rows are only where an open order pinned them
    expect((await pool.query('SELECT count(*)::int AS n FROM flow_records WHERE uid LIKE $1', [`${run}/%`])).rows[0].n).toBe(0);
    // sessions per provider from the registry: the 30-day provider's session that ended 60 days ago is swept, the 365-day one's kept
    const left = async (p: string) => (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM session_records WHERE session_key LIKE $1', [`ACCESS_SESSION|${p}|%`])).rows[0]!.n;
    expect([await left(SHORT), await left(LONG)]).toEqual([0, 2]);
  });
});

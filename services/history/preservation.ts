// Preservation orders on the history store (Budapest Convention Art. 16/29: 90 days, extendable):
// open (pin records for `days`, default 90), extend (push the expiry out), release; every period
// is at most 90 days (domain/legal-clock.ts) and is recorded in preservation_periods. An order pins
//   - the flow records of the given windows into preserved_flow_records,
//   - the session records of the given windows, and every record of each session found there
//     or whose interval covers the window's address (its START three weeks back as well, with
//     no record inside the window), into preserved_session_records;
// retention never touches those tables, and the tracer's archive reader serves them while the
// order is open (history-lookup.ts). Re-opening an order pins the windows again and never
// shortens it (idempotent: a record is pinned once per order). Once an order expired or was
// released, the retention run lets go of its pinned copies (releaseEndedPins); the order and its
// periods stay on record.
import type { Pool } from 'pg';
import type { PoolClient } from 'pg';
import { checkPeriod, expiryAfter, PRESERVATION_DEFAULT_DAYS } from './domain/legal-clock.ts';
import type { PreservedWindow } from './domain/preserved-window.ts';

export type { PreservedWindow } from './domain/preserved-window.ts';

export interface PinnedCounts { flows: number; sessions: number }
/** One period of an order's legal clock: its opening, a renewal (EXTEND) or a re-opening. */
export interface OrderPeriod { kind: 'OPEN' | 'EXTEND' | 'REOPEN'; at: number; days: number; expiresBefore: number | null; expiresAfter: number }
export interface OrderState {
  orderId: string; traceId: string; openedAt: number; expiresAt: number; releasedAt: number | null; flows: number; sessions: number;
  legalBasis: string;
  /** When the retention run let go of the pinned copies (the order had expired or was released); null = still pinned. */
  pinsReleasedAt: number | null;
  /** The legal clock: every period, oldest first. */
  periods: OrderPeriod[];
}

/** Records one period of the order's clock (in the caller's transaction). */
async function recordPeriod(client: PoolClient, orderId: string, p: OrderPeriod): Promise<void> {
  await client.query(`INSERT INTO preservation_periods (order_id, seq, kind, at, days, expires_before, expires_after)
    SELECT $1, COALESCE(max(seq), 0) + 1, $2, $3, $4, $5, $6 FROM preservation_periods WHERE order_id = $1`,
  [orderId, p.kind, new Date(p.at).toISOString(), p.days, p.expiresBefore === null ? null : new Date(p.expiresBefore).toISOString(), new Date(p.expiresAfter).toISOString()]);
}

/** Runs `fn` in one transaction on a pooled connection. */
async function inTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const out = await fn(client);
    await client.query('COMMIT');
    return out;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    client.release();
  }
}

const PIN_SESSIONS = `INSERT INTO preserved_session_records SELECT $1, r.* FROM session_records r
  WHERE r.window_key = $2 AND (r.at BETWEEN $3 AND $4
     OR r.session_key IN (SELECT s.session_key FROM session_records s WHERE s.window_key = $2 AND s.at BETWEEN $3 AND $4
                          UNION
                          SELECT i.session_key FROM sessions i WHERE i.scope = $5 AND i.addr && $6::cidr AND i.valid && tstzrange($3, $4, '[]')))
  ON CONFLICT DO NOTHING`;

export async function openPreservation(pool: Pool, o: { orderId: string; traceId: string; windows: PreservedWindow[]; days?: number; now?: number }): Promise<number> {
  const pinned = await preserve(pool, o);
  return pinned.flows + pinned.sessions;
}

/** Opens (or re-opens) an order and pins its windows in one transaction; returns what it pinned now.
 *  `days` (default 90) is one legal period: 1..90, else CT_LEGAL_PERIOD. */
export async function preserve(pool: Pool, o: { orderId: string; traceId: string; windows: PreservedWindow[]; days?: number; now?: number }): Promise<PinnedCounts> {
  const now = o.now ?? Date.now();
  const days = checkPeriod(o.days ?? PRESERVATION_DEFAULT_DAYS);
  return inTransaction(pool, async (client) => {
    const { rows } = await client.query<{ expires_at: Date; released_at: Date | null }>('SELECT expires_at, released_at FROM preservation_orders WHERE order_id = $1 FOR UPDATE', [o.orderId]);
    const before = rows[0];
    // a released or expired order re-opened starts a new period from now; an open one is never shortened
    const running = before && before.released_at === null && before.expires_at.getTime() > now ? before.expires_at.getTime() : null;
    const until = expiryAfter(now, days, running);
    await client.query(`INSERT INTO preservation_orders (order_id, trace_id, opened_at, expires_at) VALUES ($1, $2, $3, $4)
      ON CONFLICT (order_id) DO UPDATE SET expires_at = EXCLUDED.expires_at, released_at = NULL, pins_released_at = NULL`,
    [o.orderId, o.traceId, new Date(now).toISOString(), new Date(until).toISOString()]);
    await recordPeriod(client, o.orderId, { kind: before ? 'REOPEN' : 'OPEN', at: now, days, expiresBefore: before ? before.expires_at.getTime() : null, expiresAfter: until });
    const pinned: PinnedCounts = { flows: 0, sessions: 0 };
    for (const w of o.windows) {
      const args = [o.orderId, w.windowKey, new Date(w.from).toISOString(), new Date(w.to).toISOString()];
      const f = await client.query(`INSERT INTO preserved_flow_records SELECT $1, f.* FROM flow_records f
        WHERE f.window_key = $2 AND f.at BETWEEN $3 AND $4 ON CONFLICT DO NOTHING`, args);
      const s = await client.query(PIN_SESSIONS, [...args, w.scope ?? null, w.cidr ?? null]);
      pinned.flows += f.rowCount ?? 0;
      pinned.sessions += s.rowCount ?? 0;
    }
    return pinned;
  });
}

/** Renews an open order (not released, not expired) to now + `days` (1..90, else CT_LEGAL_PERIOD),
 *  never shortening it, and records the renewal; false when there is no open order. */
export async function extendPreservation(pool: Pool, orderId: string, days: number, now = Date.now()): Promise<boolean> {
  checkPeriod(days);
  return inTransaction(pool, async (client) => {
    const { rows } = await client.query<{ expires_at: Date }>(
      'SELECT expires_at FROM preservation_orders WHERE order_id = $1 AND released_at IS NULL AND expires_at > $2 FOR UPDATE', [orderId, new Date(now).toISOString()]);
    if (!rows[0]) return false;
    const before = rows[0].expires_at.getTime();
    const until = expiryAfter(now, days, before);
    await client.query('UPDATE preservation_orders SET expires_at = $2 WHERE order_id = $1', [orderId, new Date(until).toISOString()]);
    await recordPeriod(client, orderId, { kind: 'EXTEND', at: now, days, expiresBefore: before, expiresAfter: until });
    return true;
  });
}

export async function releasePreservation(pool: Pool, orderId: string): Promise<boolean> {
  const r = await pool.query('UPDATE preservation_orders SET released_at = now() WHERE order_id = $1 AND released_at IS NULL', [orderId]);
  return (r.rowCount ?? 0) > 0;
}

export interface ReleasedPins { orders: string[]; flows: number; sessions: number }

/** The retention run's part: the pinned copies of every order that expired or was released by
 *  `now` are deleted (retention may then take the records), and the order notes when. */
export async function releaseEndedPins(pool: Pool, now = Date.now()): Promise<ReleasedPins> {
  return inTransaction(pool, async (client) => {
    const { rows } = await client.query<{ order_id: string }>(`UPDATE preservation_orders SET pins_released_at = $1
      WHERE pins_released_at IS NULL AND (released_at IS NOT NULL OR expires_at <= $1) RETURNING order_id`, [new Date(now).toISOString()]);
    const orders = rows.map((r) => r.order_id).sort();
    if (orders.length === 0) return { orders, flows: 0, sessions: 0 };
    const f = await client.query('DELETE FROM preserved_flow_records WHERE order_id = ANY($1)', [orders]);
    const s = await client.query('DELETE FROM preserved_session_records WHERE order_id = ANY($1)', [orders]);
    return { orders, flows: f.rowCount ?? 0, sessions: s.rowCount ?? 0 };
  });
}

/** The order and how many records it holds; undefined when there is none. */
export async function preservationState(pool: Pool, orderId: string): Promise<OrderState | undefined> {
  const { rows } = await pool.query<{ order_id: string; trace_id: string; opened_at: Date; expires_at: Date; released_at: Date | null; legal_basis: string; pins_released_at: Date | null; flows: string; sessions: string }>(
    `SELECT o.*, (SELECT count(*) FROM preserved_flow_records WHERE order_id = o.order_id) AS flows,
            (SELECT count(*) FROM preserved_session_records WHERE order_id = o.order_id) AS sessions
       FROM preservation_orders o WHERE o.order_id = $1`, [orderId]);
  const r = rows[0];
  if (!r) return undefined;
  const periods = await pool.query<{ kind: OrderPeriod['kind']; at: Date; days: number; expires_before: Date | null; expires_after: Date }>(
    'SELECT kind, at, days, expires_before, expires_after FROM preservation_periods WHERE order_id = $1 ORDER BY seq', [orderId]);
  return {
    orderId: r.order_id, traceId: r.trace_id, openedAt: r.opened_at.getTime(), expiresAt: r.expires_at.getTime(), releasedAt: r.released_at?.getTime() ?? null,
    flows: Number(r.flows), sessions: Number(r.sessions), legalBasis: r.legal_basis, pinsReleasedAt: r.pins_released_at?.getTime() ?? null,
    periods: periods.rows.map((p) => ({ kind: p.kind, at: p.at.getTime(), days: p.days, expiresBefore: p.expires_before?.getTime() ?? null, expiresAfter: p.expires_after.getTime() })),
  };
}

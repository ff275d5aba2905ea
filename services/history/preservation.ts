// Preservation orders on the history store (Budapest Convention Art. 16/29: 90 days, extendable):
// open (pin records for `days`, default 90), extend (push the expiry out), release. An order pins
//   - the flow records of the given windows into preserved_flow_records,
//   - the session records of the given windows, and every record of each session found there
//     or whose interval covers the window's address (its START three weeks back as well, with
//     no record inside the window), into preserved_session_records;
// retention never touches those tables, and the tracer's archive reader serves them while the
// order is open (history-lookup.ts). Re-opening an order pins the windows again and never
// shortens it (idempotent: a record is pinned once per order).
import type { Pool } from 'pg';
import type { PreservedWindow } from './domain/preserved-window.ts';

export type { PreservedWindow } from './domain/preserved-window.ts';

const DAY = 86_400_000;

export interface PinnedCounts { flows: number; sessions: number }
export interface OrderState { orderId: string; traceId: string; openedAt: number; expiresAt: number; releasedAt: number | null; flows: number; sessions: number }

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

/** Opens (or re-opens) an order and pins its windows in one transaction; returns what it pinned now. */
export async function preserve(pool: Pool, o: { orderId: string; traceId: string; windows: PreservedWindow[]; days?: number; now?: number }): Promise<PinnedCounts> {
  const until = new Date((o.now ?? Date.now()) + (o.days ?? 90) * DAY).toISOString();
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`INSERT INTO preservation_orders (order_id, trace_id, expires_at) VALUES ($1, $2, $3)
      ON CONFLICT (order_id) DO UPDATE SET expires_at = GREATEST(preservation_orders.expires_at, EXCLUDED.expires_at), released_at = NULL`, [o.orderId, o.traceId, until]);
    const pinned: PinnedCounts = { flows: 0, sessions: 0 };
    for (const w of o.windows) {
      const args = [o.orderId, w.windowKey, new Date(w.from).toISOString(), new Date(w.to).toISOString()];
      const f = await client.query(`INSERT INTO preserved_flow_records SELECT $1, f.* FROM flow_records f
        WHERE f.window_key = $2 AND f.at BETWEEN $3 AND $4 ON CONFLICT DO NOTHING`, args);
      const s = await client.query(PIN_SESSIONS, [...args, w.scope ?? null, w.cidr ?? null]);
      pinned.flows += f.rowCount ?? 0;
      pinned.sessions += s.rowCount ?? 0;
    }
    await client.query('COMMIT');
    return pinned;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    client.release();
  }
}

export async function extendPreservation(pool: Pool, orderId: string, days: number, now = Date.now()): Promise<boolean> {
  const r = await pool.query('UPDATE preservation_orders SET expires_at = GREATEST(expires_at, $2) WHERE order_id = $1 AND released_at IS NULL', [orderId, new Date(now + days * DAY).toISOString()]);
  return (r.rowCount ?? 0) > 0;
}

export async function releasePreservation(pool: Pool, orderId: string): Promise<boolean> {
  const r = await pool.query('UPDATE preservation_orders SET released_at = now() WHERE order_id = $1 AND released_at IS NULL', [orderId]);
  return (r.rowCount ?? 0) > 0;
}

/** The order and how many records it holds; undefined when there is none. */
export async function preservationState(pool: Pool, orderId: string): Promise<OrderState | undefined> {
  const { rows } = await pool.query<{ order_id: string; trace_id: string; opened_at: Date; expires_at: Date; released_at: Date | null; flows: string; sessions: string }>(
    `SELECT o.*, (SELECT count(*) FROM preserved_flow_records WHERE order_id = o.order_id) AS flows,
            (SELECT count(*) FROM preserved_session_records WHERE order_id = o.order_id) AS sessions
       FROM preservation_orders o WHERE o.order_id = $1`, [orderId]);
  const r = rows[0];
  if (!r) return undefined;
  return { orderId: r.order_id, traceId: r.trace_id, openedAt: r.opened_at.getTime(), expiresAt: r.expires_at.getTime(), releasedAt: r.released_at?.getTime() ?? null, flows: Number(r.flows), sessions: Number(r.sessions) };
}

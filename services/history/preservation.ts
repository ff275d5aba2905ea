// Preservation orders on the history store: open (pin the flow records of the given windows,
// for `days`, default 90), extend (push the expiry out), release. Re-opening an order pins the
// windows again (idempotent: a record is pinned once per order).
import type { Pool } from 'pg';

const DAY = 86_400_000;

export interface PreservedWindow { windowKey: string; from: number; to: number }

export async function openPreservation(pool: Pool, o: { orderId: string; traceId: string; windows: PreservedWindow[]; days?: number; now?: number }): Promise<number> {
  const until = new Date((o.now ?? Date.now()) + (o.days ?? 90) * DAY).toISOString();
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`INSERT INTO preservation_orders (order_id, trace_id, expires_at) VALUES ($1, $2, $3)
      ON CONFLICT (order_id) DO UPDATE SET expires_at = GREATEST(preservation_orders.expires_at, EXCLUDED.expires_at), released_at = NULL`, [o.orderId, o.traceId, until]);
    let pinned = 0;
    for (const w of o.windows) {
      const r = await client.query(`INSERT INTO preserved_flow_records SELECT $1, f.* FROM flow_records f
        WHERE f.window_key = $2 AND f.at BETWEEN $3 AND $4 ON CONFLICT DO NOTHING`, [o.orderId, w.windowKey, new Date(w.from).toISOString(), new Date(w.to).toISOString()]);
      pinned += r.rowCount ?? 0;
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

// The gateway's PreservationStore on the history store (PostgreSQL): one order per trace, its
// id the trace id; the windows come from the chain's hops (preservation-windows.ts).
import type { Pool } from 'pg';
import { openHistoryDb } from '../history/history-db.ts';
import { preservationWindows } from './preservation-windows.ts';
import { extendPreservation, preservationState, preserve, releasePreservation } from '../history/preservation.ts';
import type { PreservationStore } from './preservation-port.ts';

export function createPreservationStore(pool: Pool): PreservationStore {
  const state = async (traceId: string) => preservationState(pool, traceId);
  return {
    async open(traceId, hops, days) {
      const pinned = await preserve(pool, { orderId: traceId, traceId, windows: preservationWindows(hops), days });
      return { order: (await state(traceId))!, pinned };
    },
    async extend(traceId, days) { return (await extendPreservation(pool, traceId, days)) ? state(traceId) : undefined; },
    async release(traceId) { return (await releasePreservation(pool, traceId)) ? state(traceId) : undefined; },
    state,
  };
}

/** The gateway's hook: a store on DATABASE_URL (migrations applied, pool closed at stop), or
 *  undefined when the node has no history store. */
export async function preservationFromEnv(databaseUrl: string, life: { onStop(name: string, fn: () => Promise<void>): void }): Promise<PreservationStore | undefined> {
  if (!databaseUrl) return undefined;
  const { pool } = await openHistoryDb({ url: databaseUrl, max: 2, applicationName: 'crosstrace-gateway', migrate: true });
  life.onStop('postgres', () => pool.end());
  return createPreservationStore(pool);
}

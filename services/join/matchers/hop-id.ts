// Deterministic hop ids: the same trace, parent, method and evidence give the same id on
// every replay, so a redelivered event or a re-run lookup can never duplicate a hop.
import { createHash } from 'node:crypto';
import type { HopMethod } from '../../../schemas/types.gen.ts';

/** sha256 over (traceId, parentHopId, method, sorted evidence ids), first 24 hex chars (96 bits).
 *  `evidenceIds` may be event ids or identity strings (what the hop is about); their order and
 *  the caller's array do not matter. */
export function hopId(traceId: string, parentHopId: string | null, method: HopMethod, evidenceIds: readonly string[]): string {
  const body = JSON.stringify([traceId, parentHopId, method, [...evidenceIds].sort()]);
  return createHash('sha256').update(body).digest('hex').slice(0, 24);
}

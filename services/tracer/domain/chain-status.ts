// Chain status and open ends, derived from the hops and registered lookups (never stored
// apart from them, so they cannot disagree). The best path follows rank-1 hops from the
// requester's observation; ambiguity stays visible in the ranked siblings.
import type { Hop, TraceStatus } from '../../../schemas/types.gen.ts';
import type { Lookup } from '../../common/join-types.ts';
import type { ChainState } from './chain.ts';

export interface ChainOptions {
  /** An open end waiting longer than this marks the chain STALLED, ms. Default 10 s. */
  stallAfterMs: number;
  /** How long a subscriber stays a possible relay (relay lookup pending) before the chain counts as terminated there, ms. Default 5 s. */
  relayGraceMs: number;
  /** Ambiguous candidates up to this rank get their own next lookups. Default 3. */
  followRanks: number;
}

export const DEFAULT_CHAIN_OPTIONS: Readonly<ChainOptions> = Object.freeze({ stallAfterMs: 10_000, relayGraceMs: 5_000, followRanks: 3 });

export function bestPath(hops: Hop[]): Hop[] {
  const path: Hop[] = [];
  let parent: string | null = null;
  for (;;) {
    const next = hops.filter((h) => h.parentHopId === parent && h.rank === 1).sort((a, b) => b.confidence - a.confidence || a.hopId.localeCompare(b.hopId))[0];
    if (!next || path.includes(next)) return path;
    path.push(next);
    parent = next.hopId;
  }
}

/** A lookup is resolved once a hop came from it. */
export function resolvedBy(l: Lookup, hops: Hop[]): boolean {
  return hops.some((h) => h.parentHopId === l.parentHopId && h.observedAddr === l.addr && (l.mode === 'relay') === (h.method === 'RELAY_TIMING'));
}

/** Open ends worth showing: unresolved lookups hanging off the best path (relay ones only within grace). */
export function openEnds(s: ChainState, now: number, o: ChainOptions): Lookup[] {
  const onPath = new Set(bestPath(s.hops).map((h) => h.hopId));
  return s.lookups.filter((l) => (l.parentHopId === null || onPath.has(l.parentHopId))
    && !resolvedBy(l, s.hops)
    && (l.mode === 'session' || now - l.since < o.relayGraceMs));
}

export function deriveStatus(s: ChainState, now: number, o: ChainOptions): TraceStatus {
  if (s.status === 'CLOSED' || s.status === 'EXPIRED') return s.status;
  const ends = openEnds(s, now, o);
  if (ends.some((l) => l.mode === 'session' && now - l.since >= o.stallAfterMs)) return 'STALLED';
  const path = bestPath(s.hops);
  const last = path.at(-1);
  if (!last) return 'OPEN';
  if (last.method === 'ACCESS_SESSION' && last.subscriberHandle !== null) {
    return ends.some((l) => l.mode === 'relay' && l.parentHopId === last.hopId) ? 'EXTENDED' : 'TERMINATED_AT_SUBSCRIBER';
  }
  if (ends.length === 0 && path.every((h) => !h.active)) return 'ENDED';
  return 'EXTENDED';
}

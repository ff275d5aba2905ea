// The full-view TraceUpdate of a chain state, and the one-line sentences that say what
// changed. Change sentences never carry a subscriber handle: the requester's view keeps the
// sentence, and a handle must reach only its own jurisdiction (disclosure.ts).
import type { AwaitedLookup, Hop, TraceUpdate } from '../../../schemas/types.gen.ts';
import type { Lookup } from '../../join/join-types.ts';
import type { ProviderDirectory } from '../../common/provider-directory.ts';
import type { ChainState } from './chain-state.ts';
import { bestPath, openEnds, type ChainOptions } from './chain-status.ts';

/** What the chain needs of the provider directory. */
export type DirectoryLike = Pick<ProviderDirectory, 'byAddress' | 'byId'>;

/** Hops in update order: depth, then rank, then hopId. */
export const hopOrder = (a: Hop, b: Hop): number => a.depth - b.depth || a.rank - b.rank || (a.hopId < b.hopId ? -1 : a.hopId > b.hopId ? 1 : 0);

const endpoint = (addr: string, port: number | null) => (port === null ? addr : `${addr}:${port}`);
export const iso = (ms: number): string => new Date(ms).toISOString();

/** The provider expected to hold a lookup's data: the owner of addr (within its scope), else the scope provider. */
export function awaitedOf(l: Lookup, dir: DirectoryLike): AwaitedLookup {
  const owner = dir.byAddress(l.addr, l.scopeProviderId)?.provider ?? (l.scopeProviderId === null ? undefined : dir.byId(l.scopeProviderId));
  return {
    jurisdiction: owner?.jurisdiction ?? null, providerId: owner?.providerId ?? null, addr: l.addr, port: l.port,
    windowFrom: l.windowFrom, windowTo: l.windowTo, parentHopId: l.parentHopId, since: l.since,
  };
}

export function describeLookup(a: AwaitedLookup): string {
  return `${a.jurisdiction ?? '??'}/${a.providerId ?? 'unknown provider'} ${endpoint(a.addr, a.port)}`;
}

export function describeHop(h: Hop): string {
  const to = h.leadsToAddr !== null ? endpoint(h.leadsToAddr, h.leadsToPort) : h.subscriberHandle !== null ? 'a subscriber' : 'nothing further';
  const ambiguity = h.rank === 1 && h.confidence === 1 ? '' : ` (rank ${h.rank}, confidence ${h.confidence})`;
  return `${h.method} ${h.jurisdiction}/${h.providerId} ${endpoint(h.observedAddr, h.observedPort)} -> ${to}${ambiguity}`;
}

export function describeHopUpdate(h: Hop): string {
  return `${h.method} ${h.jurisdiction}/${h.providerId} ${endpoint(h.observedAddr, h.observedPort)} ${h.active ? 'still active' : 'ended'}, last seen ${iso(h.lastSeen)}`;
}

/** The hops with pathConfidence (the product of the confidences from the root: pathConfidence()
 *  in chain-status.ts, here in one pass) and onBestPath set, so a minimised view, which keeps
 *  only its own jurisdiction's hops, still says how sure the whole chain is of reaching them. */
export function withPaths(hops: readonly Hop[], o: ChainOptions): Hop[] {
  const byId = new Map(hops.map((h) => [h.hopId, h]));
  const best = new Set(bestPath(hops, o.decisiveConfidence).map((h) => h.hopId));
  const memo = new Map<string, number>();
  const conf = (h: Hop, seen: Set<string>): number => {
    const known = memo.get(h.hopId);
    if (known !== undefined) return known;
    seen.add(h.hopId);
    const up = h.parentHopId === null ? undefined : byId.get(h.parentHopId);
    const c = (up === undefined || seen.has(up.hopId) ? 1 : conf(up, seen)) * h.confidence;
    memo.set(h.hopId, c);
    return c;
  };
  return hops.map((h) => ({ ...h, pathConfidence: Math.round(conf(h, new Set()) * 1e6) / 1e6, onBestPath: best.has(h.hopId) }));
}

/** The full view (audience null) of state `s`; `awaiting` lists the open ends (chain-status.ts) sorted by depth, then lookupId. */
export function toUpdate(s: ChainState, change: string, now: number, decisiveAt: number, dir: DirectoryLike, o: ChainOptions): TraceUpdate {
  const r = s.request;
  const ends = openEnds(s, now, o).sort((a, b) => a.depth - b.depth || (a.lookupId < b.lookupId ? -1 : 1));
  return {
    traceId: r.traceId, seq: s.seq, status: s.status, audience: null,
    requestingJurisdiction: r.requestingJurisdiction, legalBasis: r.legalBasis, caseReference: r.caseReference,
    observedTime: r.observedTime, expiresAt: r.expiresAt,
    hops: withPaths(s.hops, o).sort(hopOrder),
    awaiting: ends.map((l) => awaitedOf(l, dir)),
    change, publishedAt: now, decisiveAt,
  };
}

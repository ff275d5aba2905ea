// Chain state of one trace and how requests and hops change it (pure; `now` passed in).
// Every change bumps seq and yields a full-view TraceUpdate; a replayed request or hop
// changes nothing and yields no update. New hops open the next lookups: where the hop
// leads (session), and for a subscriber also its host as a possible relay (relay).
import { createHash } from 'node:crypto';
import type { Hop, TraceRequest, TraceUpdate } from '../../../schemas/types.gen.ts';
import { isScopedAddress } from '../../common/address.ts';
import type { Lookup, LookupMode } from '../../common/join-types.ts';
import type { ProviderDirectory } from '../../common/provider-directory.ts';
import { DEFAULT_CHAIN_OPTIONS, deriveStatus, openEnds, type ChainOptions } from './chain-status.ts';

export interface ChainState {
  request: TraceRequest;
  seq: number;
  status: TraceUpdate['status'];
  hops: Hop[];
  /** Every lookup registered for this trace (their windows hold the waiters). */
  lookups: Lookup[];
  lastChangeAt: number;
}

export interface Outcome { state: ChainState; update: TraceUpdate | null; register: Lookup[] }

type Dir = Pick<ProviderDirectory, 'byAddress' | 'byId'>;

export function lookupIdOf(traceId: string, parent: string | null, mode: LookupMode, addr: string, port: number | null): string {
  return createHash('sha256').update(JSON.stringify([traceId, parent, mode, addr, port])).digest('hex').slice(0, 24);
}

function makeLookup(req: TraceRequest, p: { parent: string | null; depth: number; mode: LookupMode; addr: string; port: number | null; scope: string | null; peerAddr: string | null; peerPort: number | null; now: number }): Lookup {
  return {
    lookupId: lookupIdOf(req.traceId, p.parent, p.mode, p.addr, p.port), traceId: req.traceId, parentHopId: p.parent, depth: p.depth,
    mode: p.mode, addr: p.addr, scopeProviderId: p.scope, port: p.port, protocol: req.protocol, peerAddr: p.peerAddr, peerPort: p.peerPort,
    windowFrom: req.observedTime - req.toleranceMs, windowTo: req.observedTime + req.toleranceMs, since: p.now,
  };
}

const order = (a: Hop, b: Hop) => a.depth - b.depth || a.rank - b.rank || a.hopId.localeCompare(b.hopId);

function toUpdate(s: ChainState, change: string, now: number, decisiveAt: number, dir: Dir, o: ChainOptions): TraceUpdate {
  const r = s.request;
  return {
    traceId: r.traceId, seq: s.seq, status: s.status, audience: null, requestingJurisdiction: r.requestingJurisdiction, legalBasis: r.legalBasis,
    caseReference: r.caseReference, observedTime: r.observedTime, expiresAt: r.expiresAt, hops: [...s.hops].sort(order),
    awaiting: openEnds(s, now, o).map((l) => {
      const owner = l.scopeProviderId ? dir.byId(l.scopeProviderId) : dir.byAddress(l.addr)?.provider;
      return { jurisdiction: owner?.jurisdiction ?? null, providerId: owner?.providerId ?? null, addr: l.addr, port: l.port, windowFrom: l.windowFrom, windowTo: l.windowTo, parentHopId: l.parentHopId, since: l.since };
    }),
    change, publishedAt: now, decisiveAt,
  };
}

function bump(s: ChainState, change: string, now: number, decisiveAt: number, register: Lookup[], dir: Dir, o: ChainOptions): Outcome {
  const state = { ...s, seq: s.seq + 1, lastChangeAt: now };
  return { state, update: toUpdate(state, change, now, decisiveAt, dir, o), register };
}

const unchanged = (state: ChainState): Outcome => ({ state, update: null, register: [] });
const closed = (s: ChainState) => s.status === 'CLOSED' || s.status === 'EXPIRED';

export function applyRequest(s: ChainState | undefined, req: TraceRequest, now: number, dir: Dir, o: ChainOptions = DEFAULT_CHAIN_OPTIONS): Outcome | null {
  if (req.action === 'OPEN') {
    if (s) return unchanged(s);
    const first = makeLookup(req, { parent: null, depth: 1, mode: 'session', addr: req.srcAddr, port: req.srcPort, scope: null, peerAddr: req.dstAddr, peerPort: req.dstPort, now });
    const state: ChainState = { request: req, seq: 0, status: 'OPEN', hops: [], lookups: [first], lastChangeAt: now };
    return bump(state, `trace opened by ${req.requestingJurisdiction}: ${req.srcAddr}${req.srcPort === null ? '' : `:${req.srcPort}`} -> ${req.dstAddr}`, now, req.requestedAt, [first], dir, o);
  }
  if (!s || closed(s) || s.request.requestingJurisdiction !== req.requestingJurisdiction) return s ? unchanged(s) : null;
  if (req.action === 'CLOSE') return bump({ ...s, status: 'CLOSED' }, `closed by ${req.requestingJurisdiction}`, now, req.requestedAt, [], dir, o);
  if (req.expiresAt <= s.request.expiresAt) return unchanged(s);
  const ext = { ...s, request: { ...s.request, expiresAt: req.expiresAt } };
  return bump({ ...ext, status: deriveStatus(ext, now, o) }, `expiry extended to ${new Date(req.expiresAt).toISOString()}`, now, req.requestedAt, [], dir, o);
}

const material = (h: Hop) => JSON.stringify([h.lastSeen, h.firstSeen, h.active, h.confidence, h.rank, h.subscriberHandle, h.leadsToAddr, h.leadsToPort, h.evidenceEventIds]);

/** The peer (far end) seen from where a hop leads: unchanged through NATs, unknown after a VPN or relay. */
function peerAfter(h: Hop, s: ChainState): { peerAddr: string | null; peerPort: number | null } {
  if (h.method === 'VPN_SESSION' || h.method === 'RELAY_TIMING') return { peerAddr: null, peerPort: null };
  const from = s.lookups.find((l) => l.parentHopId === h.parentHopId && l.addr === h.observedAddr);
  return from ? { peerAddr: from.peerAddr, peerPort: from.peerPort } : { peerAddr: s.request.dstAddr, peerPort: s.request.dstPort };
}

export function applyHops(s: ChainState, hops: Hop[], now: number, dir: Dir, o: ChainOptions = DEFAULT_CHAIN_OPTIONS): Outcome {
  if (closed(s)) return unchanged(s);
  const byId = new Map(s.hops.map((h) => [h.hopId, h]));
  const added: Hop[] = [];
  const updated: Hop[] = [];
  for (const h of [...hops].sort(order)) {
    if (h.traceId !== s.request.traceId) continue;
    const old = byId.get(h.hopId);
    if (!old) { byId.set(h.hopId, h); added.push(h); } else if (material(old) !== material(h)) { byId.set(h.hopId, h); updated.push(h); }
  }
  if (added.length === 0 && updated.length === 0) return unchanged(s);
  let next: ChainState = { ...s, hops: [...byId.values()] };
  const known = new Set(s.lookups.map((l) => l.lookupId));
  const register: Lookup[] = [];
  for (const h of added.filter((x) => x.rank <= o.followRanks)) {
    const peer = peerAfter(h, next);
    const scopeOf = (a: string) => (isScopedAddress(a) ? h.providerId : null);
    const wanted: Lookup[] = [];
    if (h.leadsToAddr) wanted.push(makeLookup(s.request, { parent: h.hopId, depth: h.depth + 1, mode: 'session', addr: h.leadsToAddr, port: h.leadsToPort, scope: scopeOf(h.leadsToAddr), ...peer, now }));
    if (h.method === 'ACCESS_SESSION') wanted.push(makeLookup(s.request, { parent: h.hopId, depth: h.depth + 1, mode: 'relay', addr: h.observedAddr, port: null, scope: scopeOf(h.observedAddr), ...peer, now }));
    for (const l of wanted) if (!known.has(l.lookupId)) { known.add(l.lookupId); register.push(l); }
  }
  next = { ...next, lookups: [...s.lookups, ...register] };
  next = { ...next, status: deriveStatus(next, now, o) };
  const describe = (h: Hop) => `${h.method} ${h.jurisdiction}/${h.providerId} ${h.observedAddr}${h.observedPort === null ? '' : `:${h.observedPort}`} -> ${h.subscriberHandle ? `subscriber ${h.subscriberHandle}` : `${h.leadsToAddr}${h.leadsToPort === null ? '' : `:${h.leadsToPort}`}`}`;
  const change = [...added.map((h) => `hop ${describe(h)}`), ...updated.map((h) => `hop ${h.method} ${h.jurisdiction} ${h.active ? 'still active' : 'ended'}, last seen ${new Date(h.lastSeen).toISOString()}`)].join('; ');
  const decisiveAt = Math.max(...[...added, ...updated].map((h) => h.decisiveAt));
  return bump(next, change, now, decisiveAt, register, dir, o);
}

export function expire(s: ChainState, now: number, dir: Dir, o: ChainOptions = DEFAULT_CHAIN_OPTIONS): Outcome {
  if (closed(s) || now <= s.request.expiresAt) return unchanged(s);
  return bump({ ...s, status: 'EXPIRED' }, `expired at ${new Date(s.request.expiresAt).toISOString()}`, now, now, [], dir, o);
}

/** Re-derives the status as time passes (stall, relay grace running out). */
export function stallCheck(s: ChainState, now: number, dir: Dir, o: ChainOptions = DEFAULT_CHAIN_OPTIONS): Outcome {
  if (closed(s)) return unchanged(s);
  const status = deriveStatus(s, now, o);
  if (status === s.status) return unchanged(s);
  const why = status === 'STALLED' ? 'stalled: awaiting data for an open end' : status === 'TERMINATED_AT_SUBSCRIBER' ? 'terminated at subscriber: no relay found from it' : `now ${status}`;
  return bump({ ...s, status }, why, now, now, [], dir, o);
}

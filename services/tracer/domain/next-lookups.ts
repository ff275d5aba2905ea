// The lookups (open ends) a chain wants, derived from its request and hops alone, so the
// same hops in any order and with any duplicates want the same lookups. Only hops connected
// to the requester's observation (every ancestor known) open lookups: a hop that arrived
// before its parent waits for it, and its lookups are registered when the parent arrives.
import { createHash } from 'node:crypto';
import type { Hop, TraceRequest } from '../../../schemas/types.gen.ts';
import { isScopedAddress } from '../../common/address.ts';
import type { Lookup, LookupMode } from '../../join/join-types.ts';
import { METHODS } from '../../join/methods/index.ts';

/** sha256 over JSON [traceId, parentHopId, mode, addr, port], first 24 hex chars (96 bits). */
export function lookupIdOf(traceId: string, parentHopId: string | null, mode: LookupMode, addr: string, port: number | null): string {
  return createHash('sha256').update(JSON.stringify([traceId, parentHopId, mode, addr, port])).digest('hex').slice(0, 24);
}

interface LookupSpec {
  parentHopId: string | null;
  depth: number;
  mode: LookupMode;
  addr: string;
  port: number | null;
  scopeProviderId: string | null;
  peerAddr: string | null;
  peerPort: number | null;
  /** The connection's protocol where the lookup's endpoint is: the requester's up to the first
   *  hop that opens a new connection (a VPN tunnel, a relay), unknown (null) beyond it. */
  protocol: number | null;
}

/** Every lookup shares the requester's window: the connection is alive at the observed time at every hop. */
function makeLookup(req: TraceRequest, p: LookupSpec, now: number): Lookup {
  return {
    lookupId: lookupIdOf(req.traceId, p.parentHopId, p.mode, p.addr, p.port),
    traceId: req.traceId,
    ...p,
    windowFrom: req.observedTime - req.toleranceMs,
    windowTo: req.observedTime + req.toleranceMs,
    since: now,
  };
}

/** The lookup of the requester's observation: source endpoint, peer = the victim side. */
export function firstLookup(req: TraceRequest, now: number): Lookup {
  return makeLookup(req, {
    parentHopId: null, depth: 1, mode: 'session', addr: req.srcAddr, port: req.srcPort, scopeProviderId: null,
    ...rootPeer(req),
  }, now);
}

/** The traced connection as seen at an endpoint: its far end and its protocol. */
interface Peer { peerAddr: string | null; peerPort: number | null; protocol: number | null }
const NO_PEER: Peer = { peerAddr: null, peerPort: null, protocol: null };
const rootPeer = (req: TraceRequest): Peer => ({ peerAddr: req.dstAddr, peerPort: req.dstPort, protocol: req.protocol });

/** Hops connected to the root, each with the peer (far end of the traced connection) seen at its observed endpoint. */
export function connectedHops(req: TraceRequest, hops: readonly Hop[]): Map<string, { hop: Hop; peer: Peer }> {
  const byId = new Map(hops.map((h) => [h.hopId, h]));
  const out = new Map<string, { hop: Hop; peer: Peer }>();
  const resolve = (h: Hop, seen: Set<string>): Peer | undefined => {
    const done = out.get(h.hopId);
    if (done) return done.peer;
    if (seen.has(h.hopId)) return undefined; // a cycle never connects
    seen.add(h.hopId);
    let peer: Peer | undefined;
    if (h.parentHopId === null) peer = rootPeer(req);
    else {
      const parent = byId.get(h.parentHopId);
      const parentPeer = parent && resolve(parent, seen);
      if (parent && parentPeer) peer = peerBeyond(parent, parentPeer);
    }
    if (peer) out.set(h.hopId, { hop: h, peer });
    return peer;
  };
  for (const h of hops) resolve(h, new Set());
  return out;
}

/** Peer seen where hop `h` leads: unchanged through address translation (NAT log, port block,
 *  RFC 7422), unknown after a VPN or a relay, which open a new connection (each method's
 *  `onward`, join/methods/). The protocol too: a TCP connection out of a VPN exit or a relay
 *  may ride a UDP tunnel (WireGuard, IKE NAT-T) or another connection to it, and a CGN maps
 *  TCP and UDP ports apart (RFC 4787/5382), so the traced protocol asked beyond them could
 *  name the holder of another mapping of the same port. */
function peerBeyond(h: Hop, peerAt: Peer): Peer {
  return METHODS[h.method].onward === 'new-connection' ? NO_PEER : peerAt;
}

/** Scope of an address found at `providerId`: that provider for non-unique space, else none; undefined when invalid. */
function scopeOf(addr: string, providerId: string): string | null | undefined {
  try { return isScopedAddress(addr) ? providerId : null; } catch { return undefined; }
}

/** Decides whether a relay lookup opens at an endpoint (join/methods/relay-hosts.ts). */
export type RelayHostRule = (addr: string, scopeProviderId: string | null) => boolean;

/**
 * Lookups the chain wants. Every endpoint the trace reaches — the requester's observed source,
 * and the leadsTo of each connected hop of rank <= followRanks — gets, in parallel:
 * - a 'session' lookup (who held the endpoint: NAT log, port block, access session, VPN), at
 *   depth + 1, peer per peerBeyond;
 * - a 'relay' lookup when `relayHost` says the endpoint is a host whose flows its provider
 *   exports and the peer seen there is known (relay timing pairs the host's outbound flow
 *   toward the peer with its inbound flows and cannot work without it). A server can have an
 *   owner AND be a relay: both answers come back as sibling hops of the same parent.
 * Addresses that do not parse open nothing. Sorted by lookupId.
 */
export function wantedLookups(req: TraceRequest, hops: readonly Hop[], followRanks: number, now: number, relayHost: RelayHostRule = () => false): Lookup[] {
  const wanted = new Map<string, Lookup>();
  const add = (l: Lookup) => wanted.set(l.lookupId, l);
  const endpoint = (base: { parentHopId: string | null; depth: number }, addr: string, port: number | null, scope: string | null, peer: Peer) => {
    add(makeLookup(req, { ...base, mode: 'session', addr, port, scopeProviderId: scope, ...peer }, now));
    if (peer.peerAddr !== null && relayHost(addr, scope)) add(makeLookup(req, { ...base, mode: 'relay', addr, port, scopeProviderId: scope, ...peer }, now));
  };
  add(firstLookup(req, now));
  endpoint({ parentHopId: null, depth: 1 }, req.srcAddr, req.srcPort, null, rootPeer(req));
  for (const { hop: h, peer } of connectedHops(req, hops).values()) {
    if (h.rank > followRanks || h.leadsToAddr === null) continue;
    const onward = scopeOf(h.leadsToAddr, h.providerId);
    if (onward === undefined) continue;
    endpoint({ parentHopId: h.hopId, depth: h.depth + 1 }, h.leadsToAddr, h.leadsToPort, onward, peerBeyond(h, peer));
  }
  return [...wanted.values()].sort((a, b) => (a.lookupId < b.lookupId ? -1 : a.lookupId > b.lookupId ? 1 : 0));
}

// Chain status and open ends, derived from the hops and registered lookups (never stored
// apart from them, so they cannot disagree). The best path follows rank-1 hops from the
// requester's observation; ambiguity stays visible in the ranked siblings.
//
// Every endpoint the chain reaches is asked two questions in parallel (next-lookups.ts): who
// held it (session lookup) and, on a host whose flows are exported, whom it relayed for (relay
// lookup). Their answers are sibling hops of one parent. Among rank-1 siblings the best path
// prefers a DECIDED one that leads on (a relay found on a server continues the chain; the
// server's owner stays visible as a hop beside it), then the more confident: an undecided
// relay never outranks the owner it would explain away. The two are rival explanations of
// where the connection came from: the owner of a host is decided only when no relay answer on
// the same host holds more than 1 - decisiveConfidence (the relay's own confidence already
// counts "the host originated it" against it, relay-timing.ts).
//
// Status, first rule that holds:
//   CLOSED, EXPIRED            sticky: nothing changes the chain afterwards
//   STALLED                    a session lookup at the frontier (from the last hop of the best
//                              path, or the first lookup while the path is empty) has waited
//                              >= stallAfterMs with no hop from it
//   OPEN                       no hop on the best path yet
//   AMBIGUOUS                  a hop on the best path is undecided: its confidence is below
//                              decisiveConfidence (two holders of one address, a relay below the
//                              timing threshold), or a rival from the same lookup (or, for a
//                              host's owner, a relay answer on that host) holds more than
//                              1 - decisiveConfidence; or the path as a whole is not: the
//                              product of its confidences (pathConfidence) is below
//                              decisiveConfidence (three hops at 0.95 are 0.86 sure). The ranked
//                              candidates are the hops, and the chain is never terminated on
//                              such a guess
//   AMBIGUOUS (owner or relay) the best path ends at a server's owner (a terminal hop on a
//                              hosting provider's host) whose relay lookup is past relayGraceMs
//                              without the flow evidence that would rule a relay out: "the owner,
//                              or an unknown client it relayed for" (see relaySettled)
//   TERMINATED_AT_SUBSCRIBER   the best path ends at a hop with a subscriber handle that leads
//                              nowhere further, and every relay lookup on the same endpoint is settled
//   ENDED                      every hop on the best path is inactive (the communication's
//                              flows/sessions ended); open ends may still resolve from logs
//   EXTENDED                   otherwise: hops found, the path goes on
// TERMINATED_AT_SUBSCRIBER is not final: a relay found later (its waiter stays registered
// until the trace closes) extends the chain again.
import type { Hop, TraceStatus } from '../../../schemas/types.gen.ts';
import type { Lookup } from '../../join/join-types.ts';
import type { ChainState } from './chain-state.ts';

export interface ChainOptions {
  /** A session lookup on the best path waiting longer than this marks the chain STALLED, ms. Default 10 000. */
  stallAfterMs: number;
  /** How long a subscriber's host stays a possible relay (its relay lookup shown as awaited,
   *  the chain not yet terminated there), ms. 0 terminates at once. Default 5 000. */
  relayGraceMs: number;
  /** How long after a lookup window's end the relay's flow records can still be on their way:
   *  the flow exporter's active timeout plus its export delay (IPFIX typical: 60 s + 5 s), ms.
   *  A server's relay lookup is settled only once this has passed. Default 65 000. */
  flowExportLagMs: number;
  /** Ambiguous candidates up to this rank get their own next lookups. Default 3. */
  followRanks: number;
  /** Least confidence of a hop for the path through it to count as decided; a best path with
   *  a hop below it is AMBIGUOUS, never terminated. Default 0.9. */
  decisiveConfidence: number;
  /** A live hop's "still active, last seen" is published at most this often, ms (an end or a
   *  re-ranking at once; hop-versions.ts). Default 15 000. */
  liveRefreshMs: number;
}

export const DEFAULT_CHAIN_OPTIONS: Readonly<ChainOptions> = Object.freeze({ stallAfterMs: 10_000, relayGraceMs: 5_000, flowExportLagMs: 65_000, followRanks: 3, liveRefreshMs: 15_000, decisiveConfidence: 0.9 });

export const isFinal = (status: TraceStatus): boolean => status === 'CLOSED' || status === 'EXPIRED';

/** Rank-1 hops followed from the root; among several rank-1 siblings a decided one that leads
 *  on (a relay beside the server's owner), then the most confident, then the lowest hopId. */
export function bestPath(hops: readonly Hop[], decisive = DEFAULT_CHAIN_OPTIONS.decisiveConfidence): Hop[] {
  const path: Hop[] = [];
  const seen = new Set<string>();
  let parent: string | null = null;
  const leadsOn = (h: Hop) => (h.leadsToAddr !== null && decided(h, hops, decisive) ? 1 : 0);
  for (;;) {
    const next = hops
      .filter((h) => h.parentHopId === parent && h.rank === 1)
      .sort((a, b) => leadsOn(b) - leadsOn(a) || b.confidence - a.confidence || (a.hopId < b.hopId ? -1 : 1))[0];
    if (!next || seen.has(next.hopId)) return path;
    path.push(next);
    seen.add(next.hopId);
    parent = next.hopId;
  }
}

/** Whether hop `h` came from lookup `l`: same parent, its address (and port, for a session
 *  lookup: a relay hop re-evaluated to another exit port opens a second lookup on the same
 *  address), a relay hop for a relay lookup. */
export function cameFrom(l: Lookup, h: Hop): boolean {
  return h.parentHopId === l.parentHopId && h.observedAddr === l.addr && (l.mode === 'relay') === (h.method === 'RELAY_TIMING')
    && (l.mode === 'relay' || h.observedPort === l.port);
}

/** Other answers of the lookup hop `h` came from: same parent, address, kind of lookup
 *  (relay or session) and, for a session lookup, port. For a host's owner (a terminal session
 *  hop) also the relay answers on the same host: "it relayed for X" rivals "its owner did it". */
export function rivals(h: Hop, hops: readonly Hop[]): Hop[] {
  const relay = h.method === 'RELAY_TIMING';
  const owner = !relay && h.leadsToAddr === null;
  return hops.filter((o) => o.hopId !== h.hopId && o.parentHopId === h.parentHopId && o.observedAddr === h.observedAddr
    && ((o.method === 'RELAY_TIMING') === relay ? relay || o.observedPort === h.observedPort : owner && o.method === 'RELAY_TIMING'));
}

/** Whether `h` is decided: confident enough, and no rival of its lookup holds more than the rest. */
export function decided(h: Hop, hops: readonly Hop[], decisive: number): boolean {
  return h.confidence >= decisive && rivals(h, hops).every((o) => o.confidence <= 1 - decisive);
}

/** The hops from the root to `h` (h last); cut at a loop or a missing parent. */
export function ancestry(h: Hop, hops: readonly Hop[]): Hop[] {
  const byId = new Map(hops.map((x) => [x.hopId, x]));
  const out: Hop[] = [h];
  const seen = new Set([h.hopId]);
  for (let p = h.parentHopId; p !== null;) {
    const up = byId.get(p);
    if (!up || seen.has(up.hopId)) break;
    out.unshift(up);
    seen.add(up.hopId);
    p = up.parentHopId;
  }
  return out;
}

/** How sure the chain is of reaching `h`: the product of the confidences from the root to it. */
export function pathConfidence(h: Hop, hops: readonly Hop[]): number {
  return Math.round(ancestry(h, hops).reduce((p, x) => p * x.confidence, 1) * 1e6) / 1e6;
}

/** A lookup is resolved once a hop came from it. */
export function resolvedBy(l: Lookup, hops: readonly Hop[]): boolean {
  return hops.some((h) => cameFrom(l, h));
}

/** Lookups with more than one rank-1 hop: each resolution ranks one candidate first, so two
 *  rank-1 hops of one lookup come from different resolutions and one of them is outdated. */
export function contestedLookups(s: ChainState): Lookup[] {
  return s.lookups.filter((l) => s.hops.filter((h) => h.rank === 1 && cameFrom(l, h)).length > 1);
}

/**
 * Whether an unanswered relay lookup no longer holds the chain open: on a subscriber's host once
 * relayGraceMs passed since its registration. On a hosting provider's server (serverRelays)
 * silence is no evidence by itself — the flows may be past retention (a trace opened days
 * later) or not exported yet (active timeout): it is settled only when a read positively saw the
 * server's own outbound flow toward the peer (so the window's flows were exported, an inbound
 * relay flow among them) AND flowExportLagMs has passed since the window's end (the inbound's
 * record, cut by the same active timeout, has had the time to arrive), and relayGraceMs since
 * registration.
 */
export function relaySettled(s: ChainState, l: Lookup, now: number, o: ChainOptions): boolean {
  if (now - l.since < o.relayGraceMs) return false;
  if (!(s.serverRelays ?? []).includes(l.lookupId)) return true;
  return s.outboundSeen?.[l.lookupId] !== undefined && now >= l.windowTo + o.flowExportLagMs;
}

/**
 * Open ends: registered lookups with no hop from them yet. Session lookups stay open until
 * resolved; a relay lookup until settled (relaySettled: afterwards its waiter still listens,
 * but nothing is expected). Every followed candidate's ends count (ambiguity is
 * shown); `onBestPathOnly` keeps those hanging off the best path. None once the chain is final.
 */
export function openEnds(s: ChainState, now: number, o: ChainOptions, onBestPathOnly = false): Lookup[] {
  if (isFinal(s.status)) return [];
  const path = bestPath(s.hops, o.decisiveConfidence);
  // the frontier: lookups from the path's last hop, and those on the endpoint the last hop was
  // found at (its relay sibling); the first lookups while the path is empty
  const last = path.at(-1);
  const frontier = (l: Lookup) => (last === undefined ? l.parentHopId === null
    : l.parentHopId === last.hopId || (l.parentHopId === last.parentHopId && l.addr === last.observedAddr));
  return s.lookups.filter((l) => (!onBestPathOnly || frontier(l))
    && !resolvedBy(l, s.hops)
    && (l.mode === 'session' || !relaySettled(s, l, now, o)));
}

/** The session lookups on the best path waiting >= stallAfterMs. */
export function stalledEnds(s: ChainState, now: number, o: ChainOptions): Lookup[] {
  // only lookups that would extend the path: from its last hop (an unanswered owner lookup
  // beside a relay hop the path went through does not stall the chain)
  const from = bestPath(s.hops, o.decisiveConfidence).at(-1)?.hopId ?? null;
  return openEnds(s, now, o, true).filter((l) => l.mode === 'session' && l.parentHopId === from && now - l.since >= o.stallAfterMs);
}

export function deriveStatus(s: ChainState, now: number, o: ChainOptions): TraceStatus {
  if (isFinal(s.status)) return s.status;
  if (stalledEnds(s, now, o).length > 0) return 'STALLED';
  const path = bestPath(s.hops, o.decisiveConfidence);
  const last = path.at(-1);
  if (!last) return 'OPEN';
  if (!path.every((h) => decided(h, s.hops, o.decisiveConfidence))) return 'AMBIGUOUS';
  if (pathConfidence(last, s.hops) < o.decisiveConfidence) return 'AMBIGUOUS';
  const relayPending = openEnds(s, now, o, true).filter((l) => l.mode === 'relay');
  if (last.subscriberHandle !== null && last.leadsToAddr === null) {
    if (relayPending.length === 0) return 'TERMINATED_AT_SUBSCRIBER';
    // a server's owner past the grace, its relay question unanswerable so far: owner or relay
    if (relayPending.some((l) => now - l.since >= o.relayGraceMs)) return 'AMBIGUOUS';
  }
  if (path.every((h) => !h.active)) return 'ENDED';
  return 'EXTENDED';
}

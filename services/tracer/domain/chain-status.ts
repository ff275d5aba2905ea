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
//   AMBIGUOUS (owner or relay) the best path ends at a host's owner (a terminal hop on a host
//                              whose flows are exported) whose relay lookup is not settled
//                              although its flows are overdue (relayDueAt + stallAfterMs passed,
//                              relayGraceMs since registration): the exporter is silent or far
//                              behind, "the owner, or an unknown client it relayed for"
//   TERMINATED_AT_SUBSCRIBER   the best path ends at a hop with a subscriber handle that leads
//                              nowhere further, and every relay lookup on the same endpoint is
//                              settled (relaySettled: in event time, by the flow watermark)
//   ENDED                      every hop on the best path is inactive (the communication's
//                              flows/sessions ended); open ends may still resolve from logs
//   EXTENDED                   otherwise: hops found, the path goes on
// TERMINATED_AT_SUBSCRIBER is not final: a relay found later (its waiter stays registered
// until the trace closes) extends the chain again. But a terminal published at 1.0 and revised
// later is a wrong subscriber named: a relay lookup settles only on event-time evidence that
// the relay's flows would have been read (relay-settling.ts), never on wall-clock silence.
import type { Hop, TraceStatus } from '../../../schemas/types.gen.ts';
import type { Lookup } from '../../join/join-types.ts';
import type { ChainState } from './chain-state.ts';

export interface ChainOptions {
  /** A session lookup on the best path waiting longer than this marks the chain STALLED, ms. Default 10 000. */
  stallAfterMs: number;
  /** Least time a host's unsettled relay lookup is awaited before the chain shows AMBIGUOUS
   *  (owner or relay) for it, ms; it is shown so only once its flows are overdue (relayDueAt
   *  + stallAfterMs) too. Settling itself is event time (relaySettled). Default 5 000. */
  relayGraceMs: number;
  /** How long after a lookup window's end a flow exporter not declaring its own lag
   *  (providers.json flowExportLagMs) can still export a record covering it: its active timeout
   *  plus export delay (IPFIX typical: 60 s + 5 s), ms. Default 65 000. */
  flowExportLagMs: number;
  /** Exporter clock error allowed on top of the lookup window (the join's clockToleranceMs), ms. Default 2 000. */
  clockToleranceMs: number;
  /** Ambiguous candidates up to this rank get their own next lookups. Default 3. */
  followRanks: number;
  /** Least confidence of a hop for the path through it to count as decided; a best path with
   *  a hop below it is AMBIGUOUS, never terminated. Default 0.9. */
  decisiveConfidence: number;
  /** A live hop's "still active, last seen" is published at most this often, ms (an end or a
   *  re-ranking at once; hop-versions.ts). Default 15 000. */
  liveRefreshMs: number;
}

export const DEFAULT_CHAIN_OPTIONS: Readonly<ChainOptions> = Object.freeze({ stallAfterMs: 10_000, relayGraceMs: 5_000, flowExportLagMs: 65_000, clockToleranceMs: 2_000, followRanks: 3, liveRefreshMs: 15_000, decisiveConfidence: 0.9 });

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
 * Whether an unanswered relay lookup no longer holds the chain open, one rule for every host:
 * the flow watermark passed it (flowsIndexed: every flow exporter of the host's provider has its
 * records indexed up to the window's end + its export lag, and a read of the window after that
 * found no relay; noted by the tracer, relay-settling.ts). No wall-clock grace settles anything:
 * under an ingest backlog the watermark simply stays behind. On a hosting provider's server
 * (serverRelays) the window's flows must also be positively there: a read saw the server's own
 * outbound flow toward the peer (a trace opened after the flow retention finds no flow at all,
 * and the watermark of a live exporter says nothing about records already expired).
 */
export function relaySettled(s: ChainState, l: Lookup): boolean {
  if (s.flowsIndexed?.[l.lookupId] === undefined) return false;
  return !(s.serverRelays ?? []).includes(l.lookupId) || s.outboundSeen?.[l.lookupId] !== undefined;
}

/** Whether an unsettled relay lookup's flows are overdue: relayGraceMs since its registration and
 *  stallAfterMs past the time its exporters' records were due (relayDueAt; without a note, the
 *  window's end + the default export lag). Then the chain shows AMBIGUOUS, owner or relay. */
export function relayOverdue(s: ChainState, l: Lookup, now: number, o: ChainOptions): boolean {
  const due = s.relayDueAt?.[l.lookupId] ?? l.windowTo + o.flowExportLagMs + o.clockToleranceMs;
  return now - l.since >= o.relayGraceMs && now >= due + o.stallAfterMs;
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
    && (l.mode === 'session' || !relaySettled(s, l)));
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
    // a host's owner whose relay lookup's flows are overdue: owner or relay
    if (relayPending.some((l) => relayOverdue(s, l, now, o))) return 'AMBIGUOUS';
  }
  if (path.every((h) => !h.active)) return 'ENDED';
  return 'EXTENDED';
}

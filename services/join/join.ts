// The join's decision, shared by both sides (correlator: event met waiters; tracer: waiter
// met events): which event-time range of a window a lookup needs, and which hops a lookup
// yields from the events found there. Pure: storage and decoding are the callers'.
import { windowKey } from '../common/address.ts';
import type { Hop } from '../../schemas/types.gen.ts';
import type { IndexedEvent, JoinOptions, Lookup } from './join-types.ts';
import type { ProviderDirectory } from '../common/provider-directory.ts';
import { matchSessions, STALE_CONFIDENCE } from './matchers/session-match.ts';
import { resolveDeterministicNat } from './matchers/deterministic-nat.ts';
import type { HopCandidate } from './join-types.ts';
import { scoreRelay, outboundSeen, DEFAULT_RELAY_OPTIONS } from './matchers/relay-timing.ts';
import { BY_KIND, METHODS } from './methods/index.ts';

export interface JoinSettings extends JoinOptions {
  /** Longest flow looked back over for relay timing, ms. Default 6 h. */
  maxFlowAgeMs: number;
  /** Most events one window read returns from each of its three parts (see ReadRange). */
  windowReadLimit: number;
}

export const DEFAULT_JOIN_SETTINGS: Readonly<JoinSettings> = Object.freeze({
  maxSessionAgeMs: 14 * 24 * 3_600_000, clockToleranceMs: 2_000, maxFlowAgeMs: 6 * 3_600_000, windowReadLimit: 4_000,
});

/**
 * The event-time range of a window a lookup reads, nearest first: every event of the core
 * [coreFrom, coreTo] (the lookup window widened by the clock tolerance), then the `limit`
 * NEWEST events between `from` and the core and the `limit` OLDEST between the core and `to`.
 * A busy window (a VPN exit, a CGN address) holds far more events over the look-back than
 * one read can carry; what is cut is then the records farthest from the window, never the
 * START a moment before it.
 */
export interface ReadRange { from: number; coreFrom: number; coreTo: number; to: number; limit: number }

/** Window key (without braces) a lookup registers under. */
export function lookupKey(l: Lookup): string {
  return windowKey(l.addr, l.scopeProviderId);
}

/** The window read of a lookup: back to the oldest START that could still cover it, forward
 *  to the latest STOP that could close it, nearest to the lookup window first. */
export function lookupRange(l: Lookup, s: JoinSettings): ReadRange {
  const back = l.mode === 'relay' ? s.maxFlowAgeMs : s.maxSessionAgeMs;
  const coreFrom = l.windowFrom - s.clockToleranceMs;
  const coreTo = l.windowTo + s.clockToleranceMs;
  return { from: coreFrom - back, coreFrom, coreTo, to: coreTo + back, limit: s.windowReadLimit };
}

/**
 * Whether an event arriving in a lookup's window can change what the lookup resolves to, so
 * that the window is worth reading again. Flows only feed relay timing (for a session lookup a
 * flow just moves the event-time clock that ages a lost-stop session out after the maximum
 * session age; the next session record brings that up to date); a session record only
 * a session lookup, and not when it names another port than the looked-up one (a NAT or VPN
 * mapping of another port neither covers the port nor ends a session on it). Port blocks and
 * access sessions always wake: an overlapping block or another session on the address can end
 * the one that holds the target. Busy windows (a VPN exit, a CGN address) meet a waiter with
 * every event; most are other ports' mappings and flows. Each method's rule is declared with
 * it (join/methods/).
 */
export function wakes(l: Lookup, e: IndexedEvent): boolean {
  return (e.kind === 'flow' ? METHODS.RELAY_TIMING : BY_KIND[e.ev.kind]).wakes(l, e);
}

/** Whether an event of event time `t` (its window score) lies in the range a lookup's window
 *  read covers (lookupRange: from..to): one outside it is never read, so it cannot change what
 *  the lookup resolves to. */
export function inReadRange(l: Lookup, t: number, s: JoinSettings): boolean {
  const r = lookupRange(l, s);
  return t >= r.from && t <= r.to;
}

/** Whether a relay lookup's window read holds its host's own outbound flow toward the peer
 *  (matchers/relay-timing.ts outboundSeen): the flows were there to be read. */
export function sawOutbound(l: Lookup, events: readonly IndexedEvent[], s: JoinSettings): boolean {
  return outboundSeen(l, events, s.clockToleranceMs);
}

/** Hops a lookup yields from the events of its window (deterministic NAT needs no events),
 *  credited to the live windows (source LIVE); the tracer re-credits archive-only ones. */
export function resolveLookup(l: Lookup, events: IndexedEvent[], dir: ProviderDirectory, s: JoinSettings): Hop[] {
  const hops = l.mode === 'relay' ? scoreRelay(l, events, { ...DEFAULT_RELAY_OPTIONS, ...s })
    : withPublishedRule(matchSessions(l, events, dir, s), resolveDeterministicNat(l, dir, s.clockToleranceMs));
  return hops.map((h) => ({ ...h, source: 'LIVE' as const, pathConfidence: null, onBestPath: null }));
}

/**
 * A session lookup's hops from the records in its window beside those of a published RFC 7422
 * rule covering the address then. Either alone answers. Together, each is evidence where it
 * speaks: the records over the share L of the window they cover (the rest is their unknown
 * holder's, session-match.ts), the rule over the share R it covers (its validity). Where both
 * speak they count alike; where one does not, the other answers alone. So a host gets
 * (1 - R/2) times its share of the records plus (1 - L/2) times its share of the rule: both
 * naming it, 1; a log record covering the window and naming another host, 0.5 each. A record
 * that names a host the rule does not (a create-only NAT log from before the rule came into
 * force, a mapping a vendor kept across the change, or one made under the rule, which shows the
 * gateway did not map that port as the rule says) keeps the rule's hosts below decisive
 * (STALE_CONFIDENCE), however little of the window it covers.
 */
export function withPublishedRule(logged: HopCandidate[], ruled: HopCandidate[]): HopCandidate[] {
  if (ruled.length === 0) return logged;
  if (logged.length === 0) return ruled;
  // the host a hop reaches (what the rule names), and the host and port (what a record may name)
  const host = (h: HopCandidate) => h.leadsToAddr ?? `subscriber:${h.subscriberHandle}`;
  const dest = (h: HopCandidate) => `${host(h)}|${h.leadsToPort ?? '*'}`;
  const share = (hs: HopCandidate[], key: (h: HopCandidate) => string) => {
    const m = new Map<string, number>();
    for (const h of hs) m.set(key(h), Math.max(m.get(key(h)) ?? 0, h.confidence));
    return m;
  };
  const byLog = share(logged, dest);
  const byRule = share(ruled, host);
  // the records' share of each host: its destinations' shares summed (each counted once)
  const hostOf = new Map(logged.map((h) => [dest(h), host(h)] as const));
  const logOfHost = new Map<string, number>();
  for (const [d, c] of byLog) { const hh = hostOf.get(d)!; logOfHost.set(hh, (logOfHost.get(hh) ?? 0) + c); }
  const spoken = Math.min(1, [...byLog.values()].reduce((a, b) => a + b, 0));
  const ruleSpoken = Math.min(1, [...byRule.values()].reduce((a, b) => a + b, 0));
  // a record naming a host the rule does not name, on the rule's port: the gateway did not map as
  // the rule says at some time near the observation; the rule's hosts are then shown, not decided
  const contradicted = [...logOfHost.keys()].some((hh) => !byRule.has(hh));
  const round = (x: number) => Math.round(1e6 * x) / 1e6;
  // a host the rule names and the records name on several ports: the rule's share is split over
  // those ports as the records' shares are (the rule says nothing of the inside port)
  const conf = (h: HopCandidate, fromLog: boolean) => {
    const rule = (byRule.get(host(h)) ?? 0) * (1 - spoken / 2);
    if (!fromLog) return round(contradicted ? Math.min(rule, STALE_CONFIDENCE) : rule);
    const mine = byLog.get(dest(h))!;
    return round(mine * (1 - ruleSpoken / 2) + rule * (mine / logOfHost.get(host(h))!));
  };
  // a host both name is shown by the records only (their times and ports are the finer evidence)
  const all = [...logged.map((h) => ({ h, fromLog: true })), ...ruled.filter((h) => !logOfHost.has(host(h))).map((h) => ({ h, fromLog: false }))];
  return all.map(({ h, fromLog }, i) => ({ h, i, c: conf(h, fromLog) }))
    .sort((a, b) => b.c - a.c || a.i - b.i)
    .map(({ h, c }, k) => ({ ...h, confidence: c, rank: k + 1 }));
}

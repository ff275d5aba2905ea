// The join's decision, shared by both sides (correlator: event met waiters; tracer: waiter
// met events): which event-time range of a window a lookup needs, and which hops a lookup
// yields from the events found there. Pure: storage and decoding are the callers'.
import { windowKey } from './address.ts';
import type { IndexedEvent, JoinOptions, Lookup, HopCandidate } from './join-types.ts';
import type { ProviderDirectory } from './provider-directory.ts';
import { matchSessions } from '../correlator/domain/session-match.ts';
import { resolveDeterministicNat } from '../correlator/domain/deterministic-nat.ts';
import { scoreRelay, DEFAULT_RELAY_OPTIONS } from '../correlator/domain/relay-timing.ts';

export interface JoinSettings extends JoinOptions {
  /** Longest flow looked back over for relay timing, ms. Default 6 h. */
  maxFlowAgeMs: number;
}

export const DEFAULT_JOIN_SETTINGS: Readonly<JoinSettings> = Object.freeze({
  maxSessionAgeMs: 24 * 3_600_000, clockToleranceMs: 2_000, maxFlowAgeMs: 6 * 3_600_000,
});

/** Window key (without braces) a lookup registers under. */
export function lookupKey(l: Lookup): string {
  return windowKey(l.addr, l.scopeProviderId);
}

/** Event-time range of the window a lookup must see: back to the oldest START that could
 *  still cover it, forward to the latest STOP that could close it. */
export function lookupRange(l: Lookup, s: JoinSettings): { from: number; to: number } {
  const back = l.mode === 'relay' ? s.maxFlowAgeMs : s.maxSessionAgeMs;
  return { from: l.windowFrom - s.clockToleranceMs - back, to: l.windowTo + s.clockToleranceMs + back };
}

/** Hops a lookup yields from the events of its window (deterministic NAT needs no events). */
export function resolveLookup(l: Lookup, events: IndexedEvent[], dir: ProviderDirectory, s: JoinSettings): HopCandidate[] {
  if (l.mode === 'relay') return scoreRelay(l, events, { ...DEFAULT_RELAY_OPTIONS, ...s });
  const hops = matchSessions(l, events, dir, s);
  return hops.length > 0 ? hops : resolveDeterministicNat(l, dir);
}

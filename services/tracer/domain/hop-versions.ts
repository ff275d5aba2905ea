// Versions of one hop. The correlator re-evaluates a hop as evidence arrives (interim
// records of a live flow or session: more evidence, later lastSeen, active -> ended; or a
// re-ranking when a sibling candidate appears), always under the same hopId. Kafka
// redelivers and replays, so an older version can arrive after a newer one: it must neither
// regress the hop nor make an update.
import type { Hop } from '../../../schemas/types.gen.ts';

/** What a version says, without decisiveAt (when the input that found it was produced:
 *  a replay or a re-probe of the same evidence differs only there). */
function material(h: Hop): string {
  const { decisiveAt: _decisiveAt, ...rest } = h;
  return JSON.stringify({ ...rest, evidenceEventIds: [...new Set(h.evidenceEventIds)].sort() });
}

/** -1: a has strictly less evidence than b; 1: strictly more; 0: the same set; NaN: neither contains the other. */
function compareEvidence(a: Hop, b: Hop): number {
  const sa = new Set(a.evidenceEventIds);
  const sb = new Set(b.evidenceEventIds);
  const aInB = [...sa].every((e) => sb.has(e));
  const bInA = [...sb].every((e) => sa.has(e));
  return aInB && bInA ? 0 : aInB ? -1 : bInA ? 1 : NaN;
}

/** True when `incoming` holds no evidence `current` lacks (the same set, or less). */
export function noMoreEvidence(incoming: Hop, current: Hop): boolean {
  const ev = compareEvidence(incoming, current);
  return ev === 0 || ev === -1;
}

/** True when `incoming` is older than `current`: strictly less evidence, or the same evidence
 *  seen earlier, or the same evidence still active where `current` has it ended (an end is final). */
export function isStale(incoming: Hop, current: Hop): boolean {
  const ev = compareEvidence(incoming, current);
  if (ev < 0) return true;
  if (ev !== 0) return false;
  if (incoming.lastSeen !== current.lastSeen) return incoming.lastSeen < current.lastSeen;
  return incoming.active && !current.active;
}

export type HopChange = 'added' | 'updated' | 'unchanged';

/** What a version says apart from how recently the hop was seen alive. */
function shape(h: Hop): string {
  const { decisiveAt: _d, lastSeen: _l, evidenceEventIds: _e, confidence: _c, ...rest } = h;
  return JSON.stringify(rest);
}

/** True when `incoming` only says that a live hop is still alive (still active, same rank,
 *  same endpoints, confidence within 0.01), `refreshMs` or less after `current` was last seen. */
export function isLivenessOnly(incoming: Hop, current: Hop, refreshMs: number): boolean {
  return incoming.active && current.active && incoming.lastSeen - current.lastSeen < refreshMs
    && Math.abs(incoming.confidence - current.confidence) < 0.01 && shape(incoming) === shape(current);
}

/** How `incoming` changes a chain that holds `current` (undefined: not yet known). A version
 *  that is neither older nor identical replaces the current one (so a re-ranking with the same
 *  evidence takes the later evaluation) — except a liveness-only version within `refreshMs`:
 *  a live relay or session is re-evaluated on every interim record, and each update is signed,
 *  disclosed and audited, so "still active" is refreshed at most every `refreshMs`; an end, a
 *  re-ranking or another endpoint goes through at once. */
export function hopChange(current: Hop | undefined, incoming: Hop, refreshMs = 0): HopChange {
  if (!current) return 'added';
  if (isStale(incoming, current) || material(incoming) === material(current)) return 'unchanged';
  if (isLivenessOnly(incoming, current, refreshMs)) return 'unchanged';
  return 'updated';
}

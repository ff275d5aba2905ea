// Session logs -> intervals. START/INTERIM/STOP records of one session (same mapping or
// Acct-Session-Id) are paired in event-time order whatever order they arrived in:
// - a STOP closes the latest open START before it; a STOP with no START yet (the create
//   is late) opens-and-closes an interval whose start is unknown (bounded by max age);
// - an open START with a lost stop lasts at most maxSessionAgeMs, and ends where the same
//   resource (outside port / port block / address) is next handed to another session.
import type { SessionEvent } from '../../../schemas/types.gen.ts';

export interface Interval {
  /** Stable identity of the session within its resource (mapping key / Acct-Session-Id). */
  identity: string;
  start: number;
  /** Exclusive end; for an open session, the bound (max age or the next claim). */
  end: number;
  /** A STOP was seen. */
  stopped: boolean;
  /** The START was seen (false: only INTERIM/STOP, start estimated). */
  started: boolean;
  lastSeen: number;
  events: SessionEvent[];
}

/** Pairs the records of ONE identity into intervals. */
export function pairRecords(identity: string, records: SessionEvent[], maxAgeMs: number): Interval[] {
  const sorted = [...records].sort((a, b) => a.eventTime - b.eventTime || rank(a) - rank(b));
  const out: Interval[] = [];
  let open: Interval | undefined;
  for (const r of sorted) {
    if (r.action === 'START') {
      if (open) { open.end = Math.min(open.end, r.eventTime); out.push(open); }
      open = { identity, start: r.eventTime, end: r.eventTime + maxAgeMs, stopped: false, started: true, lastSeen: r.eventTime, events: [r] };
    } else if (open) {
      open.events.push(r);
      open.lastSeen = r.eventTime;
      if (r.action === 'STOP') { open.end = r.eventTime; open.stopped = true; out.push(open); open = undefined; }
      else open.end = Math.max(open.end, r.eventTime + maxAgeMs);
    } else {
      // INTERIM or STOP whose START is missing or late: the session began at most maxAge before
      const stopped = r.action === 'STOP';
      open = { identity, start: r.eventTime - maxAgeMs, end: stopped ? r.eventTime : r.eventTime + maxAgeMs, stopped, started: false, lastSeen: r.eventTime, events: [r] };
      if (stopped) { out.push(open); open = undefined; }
    }
  }
  if (open) out.push(open);
  return out;
}

const rank = (r: SessionEvent) => (r.action === 'START' ? 0 : r.action === 'INTERIM' ? 1 : 2);

/** Ends open-ended intervals where another identity claims the same resource later. */
export function clipByNextClaim(intervals: Interval[], sameResource: (a: Interval, b: Interval) => boolean): void {
  for (const a of intervals) {
    if (a.stopped) continue;
    for (const b of intervals) {
      if (b === a || b.identity === a.identity || !b.started || b.start <= a.lastSeen) continue;
      if (b.start < a.end && sameResource(a, b)) a.end = b.start;
    }
  }
}

export const overlaps = (i: Interval, from: number, to: number): boolean => i.start <= to && i.end >= from;

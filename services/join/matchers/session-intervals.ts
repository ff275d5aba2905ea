// Session intervals rebuilt from START / INTERIM / STOP records in event time. Pure; the
// result depends only on the set of distinct records (by eventId), never on arrival order.
//
// Rules (all times are corrected event times, UTC ms):
// - records are deduplicated by exporterId/eventId; records of one session (same `sessionKey`) pair up in time order, so a STOP that arrived
//   before its START, or a late delete, still closes the right interval;
// - within one timestamp: STOPs of open sessions, then STARTs, then INTERIMs, then the other
//   STOPs (a START and STOP at the same ms make a zero-length session); records at time t
//   end only sessions that began BEFORE t: two conflicting STARTs on the same millisecond
//   both stay open (the evidence does not say which came first; the matcher reports both),
//   so no outcome depends on eventId order;
// - a session with no STOP lives at most maxAge(its first record) past its last evidence (START or INTERIM):
//   it ends there ('open' at the end of the data, 'expired' when later records follow), and a
//   START or INTERIM of the same session after that bound begins a new one;
// - a session that holds an exclusive resource (`conflicts`) ends when another session shows
//   evidence on it ('superseded'); conflicts are judged on every record of a session (a
//   Delegated-IPv6-Prefix first sent in an Interim counts);
// - an INTERIM or STOP of a superseded session after its supersession contradicts it (a late
//   Interim-Update of the old holder: the two sessions did both claim the resource): the old
//   session is resumed, the newer one is not ended, and both stay concurrent candidates;
// - a STOP or INTERIM without a START opens at max(t - maxAgeMs, the last evidence of an
//   earlier conflicting or same session): the start is inferred ('startSeen' false);
// - a START, INTERIM or STOP of an open session's key that names another holder (`sameSession`
//   false: a NAS that rebooted and counts its Acct-Session-Ids from the start again) begins a
//   new session and ends the open one ('superseded': its STOP was lost in the reboot), instead
//   of lending the old session's addresses to the new holder — except on the open session's own
//   first millisecond (no order between the two is known, and a key holds one session: the
//   records join it, and the matcher shows both holders, session-match.ts sliceByState).
import type { SessionEvent } from '../../../schemas/types.gen.ts';

export interface SessionRecord {
  ev: SessionEvent;
  /** Kafka produce time, UTC ms. */
  producedAt: number;
}

export type IntervalEnd = 'stop' | 'superseded' | 'expired' | 'open';

export interface SessionInterval {
  key: string;
  start: number;
  end: number;
  startSeen: boolean;
  endReason: IntervalEnd;
  /** Own records, in processing order. */
  records: SessionRecord[];
  /** Latest own evidence time. */
  lastEvidence: number;
}

export interface IntervalRules {
  /** Pairs START / INTERIM / STOP of one session. */
  sessionKey(ev: SessionEvent): string;
  /** Records in different buckets never conflict (a cheap pre-partition). */
  bucket(ev: SessionEvent): string;
  /** True when two different sessions cannot hold the observed resource at once. */
  conflicts(a: SessionEvent, b: SessionEvent): boolean;
  /** False when two records of one sessionKey cannot be one session: they name different
   *  holders (an Acct-Session-Id reused after a NAS reboot, or by two NASes). Default: always one. */
  sameSession?(a: SessionEvent, b: SessionEvent): boolean;
  /** `b`, a record that stays without a field (fillIn), is of the family of `a` (a session's
   *  record): `b`'s inferred start goes no further back than that session's last evidence
   *  (without ending it), unless another holder's record lies between. */
  bounds?(a: SessionEvent, b: SessionEvent): boolean;
  /** Records that leave out a field their session's other records name (a VPN disconnect
   *  logged without the exit port its connect named, a NAT delete logged without the protocol
   *  its create named): `family` names the session without that field (null: the record cannot
   *  be placed), `missing` says the field is left out, `fill` copies it from a record that has
   *  it, `agrees` says whether that record can be of the same session (the same client and
   *  account where both name one). A record is filled when exactly one value is live in its
   *  family at its time (its latest record at or before it, filled ones included, is not a
   *  STOP) and agrees, so that it buckets and pairs with its session; else it stays as it is. */
  fillIn?: {
    family(ev: SessionEvent): string | null;
    missing(ev: SessionEvent): boolean;
    value(ev: SessionEvent): string;
    agrees(ev: SessionEvent, from: SessionEvent): boolean;
    fill(ev: SessionEvent, from: SessionEvent): SessionEvent;
  };
}

const ACTION_ORDER = { STOP: 0, START: 1, INTERIM: 2 } as const;
/** How long after a session's STOP the same holder's STOP of the same key is a copy of it, ms. */
export const STOP_COPY_MS = 60_000;
/** A STOP without its field this close to a STOP of one value is that STOP's copy even while
 *  another value is live (syslog stamps whole seconds), ms. */
const COPY_CLOSE_MS = 2_000;

/** Globally unique record id (event ids are only unique per exporter); ingest's dedupe key. */
export const recordUid = (ev: SessionEvent): string => `${ev.exporterId}/${ev.eventId}`;

/** One record per uid; a redelivery with other content keeps a deterministic choice. */
export function dedupeRecords(records: readonly SessionRecord[]): SessionRecord[] {
  const byId = new Map<string, SessionRecord>();
  for (const r of records) {
    const uid = recordUid(r.ev);
    const seen = byId.get(uid);
    if (seen === undefined || preferred(r, seen)) byId.set(uid, r);
  }
  return [...byId.values()];
}

function preferred(a: SessionRecord, b: SessionRecord): boolean {
  if (a.producedAt !== b.producedAt) return a.producedAt < b.producedAt;
  return JSON.stringify(a.ev) < JSON.stringify(b.ev);
}

/** Longest a session may live without a STOP, ms: one figure, or per record (per provider and
 *  kind, deploy/providers.json maxSessionAgeMs). */
export type MaxAge = number | ((ev: SessionEvent) => number);

/** Intervals of every session in `records` (deduplicated by the caller or not). */
export function buildIntervals(records: readonly SessionRecord[], rules: IntervalRules, maxAge: MaxAge): SessionInterval[] {
  const maxAgeOf = typeof maxAge === 'number' ? () => maxAge : maxAge;
  const buckets = new Map<string, SessionRecord[]>();
  const unique = dedupeRecords(records);
  for (const r of rules.fillIn ? filledIn(unique, rules.fillIn, maxAgeOf) : unique) {
    const b = rules.bucket(r.ev);
    const list = buckets.get(b);
    if (list) list.push(r); else buckets.set(b, [r]);
  }
  const out: SessionInterval[] = [];
  for (const b of [...buckets.keys()].sort()) out.push(...walk(buckets.get(b)!, rules, maxAgeOf));
  return out;
}

/** `records` with each record that leaves out its family's field filled (IntervalRules.fillIn):
 *  - a STOP within STOP_COPY_MS of an agreeing STOP of one value of its family (before or after
 *    it: syslog truncated to the second) is a copy of it (an HA pair's, a proxy's, syslog beside
 *    IPFIX): filled with that value (walk joins the later of the two to the earlier's session);
 *    where one agreeing value is still live besides, only within COPY_CLOSE_MS;
 *  - else from the one agreeing value live in the family at its time (its latest record not a
 *    STOP and younger than the session's maximum age).
 *  Otherwise (none, or several: which one it ended is not in the records) it stays as it is.
 *  Ties in time: records naming the field first, then by uid. */
function filledIn(records: readonly SessionRecord[], f: NonNullable<IntervalRules['fillIn']>, maxAgeOf: (ev: SessionEvent) => number): readonly SessionRecord[] {
  // the common read: every record names the field (nothing to fill, no ids to compute)
  if (!records.some((r) => f.missing(r.ev) && f.family(r.ev) !== null)) return records;
  /** family -> its STOPs that name the field (a copy may come just before or just after one) */
  const stops = new Map<string, SessionEvent[]>();
  for (const r of records) {
    const fam = f.family(r.ev);
    if (fam === null || r.ev.action !== 'STOP' || f.missing(r.ev)) continue;
    const list = stops.get(fam);
    if (list) list.push(r.ev); else stops.set(fam, [r.ev]);
  }
  const uid = records.map((r) => recordUid(r.ev));
  const order = records.map((r, i) => i).sort((a, b) => records[a]!.ev.eventTime - records[b]!.ev.eventTime
    || Number(f.missing(records[a]!.ev)) - Number(f.missing(records[b]!.ev)) || (uid[a]! < uid[b]! ? -1 : uid[a]! > uid[b]! ? 1 : 0));
  /** family -> value -> the latest record naming it so far */
  const live = new Map<string, Map<string, SessionEvent>>();
  const out = [...records];
  /** logged STOP -> the exporters a copy of it came from */
  const copiedBy = new Map<SessionEvent, Set<string>>();
  for (const i of order) {
    const r = records[i]!;
    const fam = f.family(r.ev);
    if (fam === null) continue;
    let values = live.get(fam);
    if (!f.missing(r.ev)) {
      if (!values) live.set(fam, (values = new Map()));
      values.set(f.value(r.ev), r.ev);
      continue;
    }
    const t = r.ev.eventTime;
    // at most one copy of a logged STOP from each exporter (an HA member, syslog beside IPFIX,
    // which a device registered by its address sends under one exporter id)
    const copied = r.ev.action === 'STOP' ? (stops.get(fam) ?? []).filter((ev) => Math.abs(ev.eventTime - t) <= STOP_COPY_MS && f.agrees(r.ev, ev)
      && !(copiedBy.get(ev)?.has(r.ev.exporterId) ?? false)) : [];
    const byValue = [...new Map(copied.map((ev) => [f.value(ev), ev])).values()];
    // live: not stopped, and not older than its session may live without a record
    const agreeing = values ? [...values.values()].filter((ev) => ev.action !== 'STOP' && t - ev.eventTime <= maxAgeOf(ev) && f.agrees(r.ev, ev)) : [];
    // one value's STOP: its copy (with a live value besides, only within COPY_CLOSE_MS); several
    // values' STOPs: the one alone within COPY_CLOSE_MS, if one is
    const near = byValue.filter((ev) => Math.abs(ev.eventTime - t) <= COPY_CLOSE_MS);
    const copy = byValue.length === 1 && (agreeing.length === 0 || near.length === 1) ? byValue[0]
      : byValue.length > 1 && near.length === 1 ? near[0] : undefined;
    if (copy) { const by = copiedBy.get(copy); if (by) by.add(r.ev.exporterId); else copiedBy.set(copy, new Set([r.ev.exporterId])); }
    let filled: SessionEvent | undefined;
    if (copy) filled = f.fill(r.ev, copy);
    else if (agreeing.length === 1) filled = f.fill(r.ev, agreeing[0]!);
    if (filled === undefined) continue;
    out[i] = { ...r, ev: filled };
    if (copy) continue;
    values!.set(f.value(filled), filled); // a filled STOP retires its value
    if (filled.action === 'STOP') { const list = stops.get(fam); if (list) list.push(filled); else stops.set(fam, [filled]); } // and its copies follow it
  }
  return out;
}

/** rep: the record that began the session; begunAt: its event time (the start itself is
 *  inferred earlier for a session first seen by an INTERIM or STOP). */
interface Open extends SessionInterval {
  rep: SessionEvent; maxAgeMs: number; begunAt: number;
  /** The session's records that differ in more than their per-record fields, one per kind
   *  (`sameSession` is asked against these only: an access session with thousands of
   *  Interim-Updates naming the same holder has one). */
  holders: Map<string, SessionEvent>;
}

/** What a record says beyond its own identity, time and action: two records equal here answer
 *  `sameSession` alike. */
const holderText = (ev: SessionEvent): string =>
  JSON.stringify({ ...ev, eventId: null, eventTime: null, exportTime: null, action: null, natEvent: null, acctDelayTime: null, clockOffsetMs: null });
/** holderOf of each record object met, kept as long as the record: the correlator gives one
 *  window read's records to every waiter met there (records are never changed: a matcher only
 *  reads them, services/join/shared-events.test.ts), so each is serialised once, not per waiter. */
const holders = new WeakMap<SessionEvent, string>();
const holderOf = (ev: SessionEvent): string => {
  let h = holders.get(ev);
  if (h === undefined) holders.set(ev, (h = holderText(ev)));
  return h;
};

function walk(records: SessionRecord[], rules: IntervalRules, maxAgeOf: (ev: SessionEvent) => number): SessionInterval[] {
  records.sort((a, b) => a.ev.eventTime - b.ev.eventTime
    || ACTION_ORDER[a.ev.action] - ACTION_ORDER[b.ev.action] || (recordUid(a.ev) < recordUid(b.ev) ? -1 : 1));
  const open = new Map<string, Open>();
  const done: Open[] = [];
  const bound = (s: Open) => s.lastEvidence + s.maxAgeMs;
  const close = (s: Open, end: number, reason: IntervalEnd) => {
    open.delete(s.key);
    s.end = end;
    s.endReason = reason;
    done.push(s);
  };
  /** Sessions past their bound at t are closed as expired; returns the open one for key, if any. */
  const current = (key: string, t: number): Open | undefined => {
    const s = open.get(key);
    if (s && t > bound(s)) { close(s, bound(s), 'expired'); return undefined; }
    return s;
  };
  /** Evidence of another session at t ends the conflicting sessions that began before t. */
  const claims = (s: Open, ev: SessionEvent) => { for (const x of s.holders.values()) if (rules.conflicts(x, ev)) return true; return false; };
  const supersede = (ev: SessionEvent, key: string, t: number) => {
    for (const s of [...open.values()]) {
      if (s.key === key || s.begunAt >= t || !claims(s, ev)) continue;
      if (t > bound(s)) close(s, bound(s), 'expired'); else close(s, t, 'superseded');
    }
  };
  /** The session of `key` superseded at or before t and still within its bound: resumed. */
  const resume = (key: string, t: number): Open | undefined => {
    const i = done.findLastIndex((s) => s.key === key);
    const s = i < 0 ? undefined : done[i]!;
    if (!s || s.endReason !== 'superseded' || s.end > t || t > bound(s)) return undefined;
    done.splice(i, 1);
    s.endReason = 'open';
    open.set(key, s);
    return s;
  };
  /** A session of `key` that the same holder's STOP ended at most STOP_COPY_MS before t: a
   *  second copy of that STOP (a RADIUS proxy replicating to two accounting servers, each
   *  stamping its own receipt; an HA pair logging one disconnect twice), not a session of its
   *  own, which would end the address's next holder. */
  const stoppedJustBefore = (key: string, ev: SessionEvent, t: number): Open | undefined => {
    for (let k = done.length - 1; k >= 0; k--) {
      const s = done[k]!;
      if (s.key === key && s.endReason === 'stop' && s.end <= t && t - s.end <= STOP_COPY_MS && s.holders.has(holderOf(ev))) return s;
    }
    return undefined;
  };
  const related = (s: Open, ev: SessionEvent) => { for (const x of s.holders.values()) if (rules.bounds?.(x, ev)) return true; return false; };
  const inferredStart = (ev: SessionEvent, key: string, t: number) => {
    let from = t - maxAgeOf(ev);
    for (const s of done) {
      if (s.key !== key && !claims(s, ev)) continue;
      const last = s.endReason === 'stop' ? s.end : s.lastEvidence;
      if (last <= t && last > from) from = last;
    }
    if (!rules.bounds) return from;
    // a record that stays without its field reaches back no further than its family's latest own
    // evidence (live sessions' included, rules.bounds), unless another holder's record lies
    // between: then the family's records do not say whose the stretch before them was
    const sessions = [...done, ...open.values()];
    let bound = from;
    for (const s of sessions) {
      if (s.key === key || !related(s, ev)) continue;
      const last = s.endReason === 'stop' ? s.end : s.lastEvidence;
      if (last <= t && last > bound) bound = last;
    }
    if (bound === from) return from;
    const other = sessions.some((s) => s.key !== key && !related(s, ev)
      && s.records.some((r) => r.ev.eventTime > from && r.ev.eventTime < bound));
    return other ? from : bound;
  };
  const begin = (r: SessionRecord, key: string, start: number, startSeen: boolean): Open => {
    const s: Open = { key, start, end: start, startSeen, endReason: 'open', records: [r], lastEvidence: r.ev.eventTime, rep: r.ev, maxAgeMs: maxAgeOf(r.ev), begunAt: r.ev.eventTime,
      holders: new Map([[holderOf(r.ev), r.ev]]) };
    open.set(key, s);
    return s;
  };
  const touch = (s: Open, r: SessionRecord) => {
    s.records.push(r);
    s.lastEvidence = Math.max(s.lastEvidence, r.ev.eventTime);
    const h = holderOf(r.ev);
    if (!s.holders.has(h)) s.holders.set(h, r.ev);
  };
  /** The open session of `key` when `ev` can belong to it; one that names another holder is
   *  ended at t (its STOP lost) and undefined returned. */
  const continuing = (s: Open | undefined, ev: SessionEvent, t: number): Open | undefined => {
    if (s === undefined || s.begunAt >= t || rules.sameSession === undefined || s.holders.has(holderOf(ev))) return s;
    if ([...s.holders.values()].every((x) => rules.sameSession!(x, ev))) return s;
    close(s, t, 'superseded');
    return undefined;
  };

  for (let i = 0; i < records.length;) {
    const t = records[i]!.ev.eventTime;
    let j = i;
    while (j < records.length && records[j]!.ev.eventTime === t) j++;
    const batch = records.slice(i, j);
    i = j;
    const pendingStops: SessionRecord[] = [];
    for (const r of batch.filter((x) => x.ev.action === 'STOP')) {
      // a STOP that names another holder ends the open session of its key without being its
      // STOP (a reused session id whose START was lost), and stops a session of its own below
      const s = continuing(current(rules.sessionKey(r.ev), t), r.ev, t);
      if (s) { touch(s, r); close(s, t, 'stop'); } else pendingStops.push(r);
    }
    for (const r of batch.filter((x) => x.ev.action === 'START')) {
      const key = rules.sessionKey(r.ev);
      const s = continuing(current(key, t), r.ev, t);
      if (s) { touch(s, r); continue; } // repeated START of a live session
      supersede(r.ev, key, t);
      begin(r, key, t, true);
    }
    for (const r of [...batch.filter((x) => x.ev.action === 'INTERIM'), ...pendingStops]) {
      const key = rules.sessionKey(r.ev);
      const copied = r.ev.action === 'STOP' && current(key, t) === undefined ? stoppedJustBefore(key, r.ev, t) : undefined;
      if (copied) { copied.records.push(r); continue; }
      let s = continuing(current(key, t) ?? resume(key, t), r.ev, t);
      if (s) touch(s, r);
      else {
        supersede(r.ev, key, t);
        s = begin(r, key, inferredStart(r.ev, key, t), false);
      }
      if (r.ev.action === 'STOP') close(s, t, 'stop');
    }
  }
  for (const s of [...open.values()]) close(s, bound(s), 'open');
  return done.map(({ rep: _rep, maxAgeMs: _age, begunAt: _at, holders: _h, ...iv }) => iv).sort((a, b) => a.start - b.start || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

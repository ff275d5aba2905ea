// The join decision for session lookups (hop methods 1-3 and VPN): which sessions held the
// looked-up endpoint during the lookup window, and where each leads. Pure: the caller reads
// the window; the same set of events, in any order and with duplicates, gives the same hops.
//
// A session interval [start, end] (session-intervals.ts) is a candidate when it overlaps the
// lookup window widened by the clock tolerance: start <= windowTo + tol && end >= windowFrom - tol.
import type { SessionEvent, SessionKind } from '../../../schemas/types.gen.ts';
import { canonicalAddress, familyOf, ipv6ToHex } from '../../common/address.ts';
import type { HopCandidate, IndexedEvent, JoinOptions, Lookup } from '../join-types.ts';
import type { ProviderDirectory } from '../../common/provider-directory.ts';
import { hopId } from './hop-id.ts';
import { maxSessionAgeMs, STALE_AFTER_INTERIMS, vouchedForMs } from '../methods/session-ages.ts';
import { KIND_SPECS, type KindSpec, type Target } from './session-kinds.ts';
import { buildIntervals, recordUid, STOP_COPY_MS, type SessionInterval, type SessionRecord } from './session-intervals.ts';
import { unionMass, windowCdf } from './time-kernel.ts';

/** Most hops returned for one lookup (a CGN address without a port can have thousands of
 *  mappings). Confidence still says how many candidates there were (1/k). */
export const MAX_SESSION_CANDIDATES = 64;

type Segment = readonly [number, number];

interface Candidate {
  spec: KindSpec;
  /** Hop identity: method, provider and destination; stable as more evidence arrives. */
  identity: string;
  /** What the trace would reach: the inside host, or the subscriber. Candidates agreeing on
   *  it are not ambiguous with each other. */
  destination: string;
  providerId: string;
  intervals: SessionInterval[];
  /** Where each of `intervals` leads (leadOf), in the same order. */
  leads: ReturnType<typeof leadOf>[];
  quality: number;
  /** Own parts of the widened window its intervals hold (where theirs is the longest prefix). */
  segments: Segment[];
  /** Probability that the true instant lies in `segments` (time-kernel.ts), at least 0.05;
   *  the basis of its confidence. */
  weight: number;
  /** Latest own evidence time: among equal quality, fresher evidence ranks first. */
  latest: number;
  /** Every interval is stale: no STOP, and no own record within what vouches for it before the
   *  window (a NAT mapping's idle timeout, STALE_AFTER_INTERIMS interim intervals; or, ended by
   *  a later claim with nothing to vouch for it, none after its last record): its STOP may be lost. */
  stale: boolean;
}

/** The outside ports a CGN, a NAT or a VPN exit shares among its users: the ones above the
 *  well-known ports, where gateways allocate (a deterministic rule's firstPort is usually 1024).
 *  A port-less lookup is decided from the holders on record only when their ports cover these.
 *  A gateway that uses fewer keeps its unknown holder even with every record on file: cautious,
 *  never wrong. */
export const SHARED_PORTS: readonly [number, number] = [1024, 65535];

/** Whether the ranges cover [lo, hi] without a gap. */
function covers(ranges: readonly (readonly [number, number])[], [lo, hi]: readonly [number, number]): boolean {
  let reach = lo;
  for (const [a, b] of [...ranges].sort((x, y) => x[0] - y[0])) {
    if (a > reach) return false;
    reach = Math.max(reach, b + 1);
    if (reach > hi) return true;
  }
  return reach > hi;
}

/** The IPv6 prefix length one subscriber gets when its provider does not say (RFC 6177 leaves
 *  /48../64 to the provider; /48 is the widest a single site gets). */
export const DEFAULT_DELEGATED_PREFIX_LENGTH = 48;

/** Most confidence of a stale candidate: shown, never decided. */
export const STALE_CONFIDENCE = 0.5;
const firstEvidence = (iv: SessionInterval): number => iv.records.reduce((m, r) => Math.min(m, r.ev.eventTime), Infinity);
/** STALE_AFTER_INTERIMS x the lower median gap between a session's own interim records (gaps of
 *  STOP_COPY_MS or less are copies: an HA pair's, a proxy's), when it has two such gaps at
 *  least; else null. Interims only: a STOP minutes after the last interim says nothing of the
 *  interval; the lower median: one lost interim or one outage in the series does not stretch
 *  it, one interim off its cycle does not shrink it (with two gaps: the shorter). */
function ownInterval(iv: SessionInterval): number | null {
  const ts = [...new Set(iv.records.filter((r) => r.ev.action === 'INTERIM').map((r) => r.ev.eventTime))].sort((a, b) => a - b);
  const gaps: number[] = [];
  for (let i = 1; i < ts.length; i++) if (ts[i]! - ts[i - 1]! > STOP_COPY_MS) gaps.push(ts[i]! - ts[i - 1]!);
  gaps.sort((a, b) => a - b);
  return gaps.length < 2 ? null : STALE_AFTER_INTERIMS * gaps[Math.floor((gaps.length - 1) / 2)]!;
}

/**
 * Hops for a 'session' lookup from the session records of its window key (records for other
 * addresses or ports under the same key are filtered out). One hop per method, provider and
 * destination (a subscriber's reconnect, or one inside host's many mappings when the port is
 * unknown, is one candidate). Ranked best first by quality(), then fresher evidence (never by
 * id alone but as the last resort between equals, whose confidences are then equal);
 * confidence = the destination's share of the window's probability mass, the uncovered part
 * counting as an unknown holder's (1/k when equal); at most
 * MAX_SESSION_CANDIDATES. A lost-stop session lives for its provider's maximum session age
 * of its kind (join/methods/session-ages.ts); longest prefix wins among access sessions.
 * firstSeen/lastSeen are the earliest/latest own evidence times (a lost stop does not
 * stretch them). `active` = no STOP, not superseded, and still within max age of the newest
 * event time in `events` (event time, not the wall clock), so the result stays pure.
 */
export function matchSessions(lookup: Lookup, events: readonly IndexedEvent[], dir: ProviderDirectory, opts: JoinOptions): HopCandidate[] {
  if (lookup.mode !== 'session') return [];
  let addr: string;
  try { addr = canonicalAddress(lookup.addr); } catch { return []; }
  const target: Target = { addr, port: lookup.port, protocol: lookup.protocol, hex: familyOf(addr) === 6 ? ipv6ToHex(addr) : null };
  const from = lookup.windowFrom - opts.clockToleranceMs;
  const to = lookup.windowTo + opts.clockToleranceMs;
  const cdf = windowCdf(lookup.windowFrom, lookup.windowTo, opts.clockToleranceMs);
  const providerOf = (ev: SessionEvent) => ev.providerId ?? dir.byExporter(ev.exporterId)?.providerId ?? null;

  let newest = -Infinity;
  const byKind = new Map<SessionKind, SessionRecord[]>();
  for (const e of events) {
    if (e.kind === 'flow') { newest = Math.max(newest, e.ev.endTime); continue; }
    newest = Math.max(newest, e.ev.eventTime);
    if (lookup.scopeProviderId !== null && providerOf(e.ev) !== lookup.scopeProviderId) continue;
    const list = byKind.get(e.ev.kind) ?? [];
    list.push({ ev: e.ev, producedAt: e.producedAt });
    byKind.set(e.ev.kind, list);
  }

  const groups = new Map<string, Candidate>();
  // the outside ports the sessions on record hold (a port-less lookup: those held across the
  // whole window), whether any is of a shared address, and whether one holds the whole address
  // across the window
  const held: (readonly [number, number])[] = [];
  const heldAny: (readonly [number, number])[] = [];
  let shared = false;
  let whole = false;
  let portless = false;
  for (const kind of [...byKind.keys()].sort()) {
    const spec = KIND_SPECS[kind];
    const recs = byKind.get(kind)!;
    // Sessions touching the target or competing for it, with all their records (an access
    // STOP may lack the framed address); then only intervals covering the target and window.
    const relevant = (ev: SessionEvent) => spec.strength(ev, target) >= 0 || (spec.context?.(ev, target) ?? false);
    const keys = new Set(recs.filter((r) => relevant(r.ev)).map((r) => spec.rules.sessionKey(r.ev)));
    // with a family's every record (fillIn): a record that leaves out its protocol is filled
    // from the family's live mappings of every protocol, not only the one looked up
    const fill = spec.rules.fillIn;
    const fams = fill ? new Set(recs.filter((r) => relevant(r.ev)).map((r) => fill.family(r.ev)).filter((x) => x !== null)) : undefined;
    const inFamily = (ev: SessionEvent) => { const f = fams && fill!.family(ev); return f !== undefined && f !== null && fams!.has(f); };
    const mine = recs.filter((r) => keys.has(spec.rules.sessionKey(r.ev)) || inFamily(r.ev));
    const strengthOf = (iv: SessionInterval) => Math.max(...iv.records.map((r) => spec.strength(r.ev, target)));
    const ageOf = (ev: SessionEvent) => {
      const id = providerOf(ev);
      return maxSessionAgeMs(id === null ? undefined : dir.byId(id), kind, opts.maxSessionAgeMs);
    };
    // What a session claimed, and whose it was, at each instant: only from its records up to
    // then (a prefix first named later, or another subscriber's record under a reused key, does
    // not reach back over the window); sliceByState, below.
    let live = buildIntervals(mine, spec.rules, ageOf).flatMap((iv) => sliceByState(iv, (ev) => spec.strength(ev, target), (ev) => leadOfRecord(spec, ev)))
      .filter((iv) => iv.start <= to && iv.end >= from && strengthOf(iv) >= 0);
    // Longest prefix wins, at each instant: a shorter prefix's session keeps only the part of
    // the window no longer prefix's session covers, and drops out when nothing is left — but
    // only a longer prefix with own evidence since the shorter claim began (a delegated /56
    // whose STOP was lost ten days ago does not silence a /48 started yesterday: both stay).
    //
    // Except inside one delegation: an IPv6 prefix claim at least as long as its provider's
    // delegated prefix (deploy/providers.json delegatedPrefixLength, default /48) belongs to one
    // subscriber, so another subscriber's address or prefix inside it is a contradiction (one
    // of the two records is stale), not a more specific route: both keep the window, neither
    // is decided. A shorter claim (a /48 routed to a business line with /56s of others inside)
    // still yields to the longer one.
    const providerOfIv = (iv: SessionInterval) => { const id = providerOf(iv.records[0]!.ev); return id === null ? undefined : dir.byId(id); };
    const holder = (iv: SessionInterval) => latestHandle(iv.records) ?? iv.key;
    const oneDelegation = (iv: SessionInterval, o: SessionInterval) => target.hex !== null
      && strengthOf(iv) >= (providerOfIv(iv)?.delegatedPrefixLength ?? DEFAULT_DELEGATED_PREFIX_LENGTH) && holder(iv) !== holder(o);
    const longerOf = (iv: SessionInterval) => live.filter((o) => strengthOf(o) > strengthOf(iv) && o.lastEvidence >= iv.start && !oneDelegation(iv, o));
    const own = new Map(live.map((iv) => [iv, ownSegments(iv, longerOf(iv), from, to)]));
    live = live.filter((iv) => own.get(iv)!.length > 0 || longerOf(iv).length === 0);
    // A session with no STOP is vouched for only so long after its last own record (a NAT
    // mapping's idle timeout, or 3 interim intervals; session-ages.ts vouchedForMs); past that
    // before the window it is stale. A session another claim ended (its STOP lost) with nothing
    // to vouch for it is stale anywhere after its last record: the lost STOP may lie anywhere
    // before the later START. Stale: shown, never decided.
    // Backwards the same: a session whose START is not on record (lost, or dropped by a shorter
    // retention than the access logs') and whose first own record comes more than that after
    // the window would have left records nearer to it had it held the address then. Where the
    // provider's interval is not configured, the session's own records give it (3 x the
    // shortest gap between them: a CGN's 'active block' interims every 12 h, say).
    const staleOf = (iv: SessionInterval) => {
      const vouched = vouchedForMs(providerOfIv(iv), kind, firstOf(iv.records, (ev) => ev.protocol));
      const back = vouched ?? ownInterval(iv);
      if (!iv.startSeen && back !== null && firstEvidence(iv) - back > lookup.windowTo) return true;
      if (iv.endReason === 'stop') return false;
      if (vouched === null) return iv.endReason === 'superseded' && iv.lastEvidence < lookup.windowFrom;
      return iv.lastEvidence + vouched < lookup.windowFrom;
    };
    for (const iv of live) {
      const spans = iv.start <= from && iv.end >= to;
      if (!spec.holds) whole ||= spans;
      else {
        shared = true;
        const hs = iv.records.map((r) => spec.holds!(r.ev)).filter((h): h is readonly [number, number] => h !== null);
        if (hs.length === 0) portless = true;
        heldAny.push(...hs);
        if (spans) held.push(...hs);
      }
      const providerId = firstOf(iv.records, (ev) => providerOf(ev)) ?? lookup.scopeProviderId
        ?? dir.byAddress(addr, lookup.scopeProviderId)?.provider.providerId ?? 'unknown';
      const lead = leadOf(spec, iv);
      const handle = latestHandle(iv.records);
      const reached = lead.addr === null
        ? `subscriber:${providerId}|${handle ?? `session:${iv.key}`}`
        : `address:${lead.addr}`;
      // Without a lookup port, one inside host's many mappings are one candidate. With one, the
      // port it leads to is part of where it leads (the next lookup is on address and port: two
      // client ports of one address behind a CGN are two subscribers' perhaps).
      const destination = lookup.port === null || lead.addr === null ? reached : `${reached}:${lead.port ?? '*'}`;
      // the identity's port is the one its earliest records give (leadOf `first`): stable as
      // later records arrive
      const portPart = lookup.port === null || lead.addr === null ? '' : `:${lead.first ?? '*'}`;
      const handlePart = lead.addr !== null && spec.kind === 'VPN_SESSION' ? `|${handle ?? '*'}` : '';
      const identity = `${spec.method}|${providerId}|${reached}${portPart}${handlePart}`;
      const segs = own.get(iv)!;
      const q = quality(iv, unionMass(segs, cdf), from, to);
      const g = groups.get(identity);
      if (g) {
        // intervals of one hop that lead to other ports: the hop's port is not known
        if (g.destination !== destination) g.destination = `${reached}:*`;
        g.intervals.push(iv);
        g.leads.push(lead);
        g.quality = Math.max(g.quality, q);
        g.segments.push(...segs);
        g.weight = Math.max(0.05, unionMass(g.segments, cdf));
        g.latest = Math.max(g.latest, iv.lastEvidence);
        g.stale &&= staleOf(iv);
      } else {
        groups.set(identity, { spec, identity, destination, providerId, intervals: [iv], leads: [lead], quality: q, segments: [...segs], weight: Math.max(0.05, unionMass(segs, cdf)), latest: iv.lastEvidence, stale: staleOf(iv) });
      }
    }
  }

  const ranked = [...groups.values()]
    .sort((a, b) => b.quality - a.quality || b.latest - a.latest || (a.identity < b.identity ? -1 : 1));
  // Confidence: each distinct destination's share of the window's probability mass (candidates
  // agreeing on the destination are one answer). The part of the window no session covers is
  // an unknown holder's (a lost or late record: traffic was seen, so someone held the address
  // then): total = max(1, Σ) — a lone session covering half the mass gets 0.5, not 1. Equal
  // coverage gives 1/k; a session that only reaches into the tolerance edge counts for little.
  // A shared address's holders on record answer only for the ports they hold. Without a port:
  // where the ports held across the whole window do not cover SHARED_PORTS, one more holder (a
  // block or mapping whose record is lost: CGN logs travel over UDP; allocated before the
  // look-back and never logged again; or holding ports another gave up during the window) counts
  // as a candidate with the whole window: a lone block gets at most 0.5, k blocks 1/(k+1), never
  // decided. With a port no record holds alone (a VPN exit logged without ports: many clients at
  // once), the same.
  const byDest = new Map<string, number>();
  for (const c of ranked) byDest.set(c.destination, Math.max(byDest.get(c.destination) ?? 0, c.weight));
  // (with a port: a record holding it across the window answers for it; else, beside a session
  // that holds no port, one holding it for part of the window does not rule out another holder)
  const asked: readonly [number, number] = lookup.port === null ? SHARED_PORTS : [lookup.port, lookup.port];
  const unheld = shared && !whole && !covers(held, asked) && (lookup.port === null || portless || !covers(heldAny, asked));
  const total = Math.max(1, [...byDest.values()].reduce((a, b) => a + b, 0)) + (unheld ? 1 : 0);
  const confOf = (c: Candidate) => {
    const share = total === 0 ? 0 : Math.round((1e6 * byDest.get(c.destination)!) / total) / 1e6;
    return c.stale ? Math.min(share, STALE_CONFIDENCE) : share;
  };
  return ranked.slice(0, MAX_SESSION_CANDIDATES).map((c, i) => toHop(lookup, addr, c, i + 1, confOf(c), newest, dir));
}

/** Where a record says its session leads (null: it does not say, e.g. a STOP without the
 *  client's address); a port the record does not carry agrees with any. */
export type Lead = { addr: string; port: number | null } | null;
const sameLead = (a: NonNullable<Lead>, b: NonNullable<Lead>): boolean => a.addr === b.addr && (a.port === null || b.port === null || a.port === b.port);
const leadText = (l: NonNullable<Lead>): string => `${l.addr}|${l.port ?? '*'}`;

/**
 * An interval cut where what it tells about the target changes: a record that names a longer
 * prefix covering the target than the session's records so far (or the first one covering it),
 * names another subscriber than the records so far (several at one instant: each), or says the
 * session leads elsewhere than its records so far (`lead`: a VPN client that moved, IKEv2
 * MOBIKE RFC 4555, WireGuard roaming, OpenVPN --float, as an Interim-Update names it; or a
 * gateway that restarted and counts its session ids from 1 again, no account logged). Each
 * part keeps the records of its own stretch, so its strength, handle and destination come only
 * from records at or before it. The change happened somewhere between the previous record and
 * the one that shows it: the old state holds up to that record, the new one from the previous
 * record (both possible in between). An interval with no change is returned as it is. Pure; the
 * parts depend only on the records' times and contents, not on their ids.
 */
export function sliceByState(iv: SessionInterval, strength: (ev: SessionEvent) => number, lead: (ev: SessionEvent) => Lead = () => null): SessionInterval[] {
  const byTime = new Map<number, SessionRecord[]>();
  for (const r of iv.records) {
    const g = byTime.get(r.ev.eventTime);
    if (g) g.push(r); else byTime.set(r.ev.eventTime, [r]);
  }
  const leadBy = new Map(iv.records.map((r) => [r, lead(r.ev)] as const));
  const times = [...byTime.keys()].sort((a, b) => a - b);
  interface Run { begin: number; at: number; handles: string[]; leads: NonNullable<Lead>[]; strength: number; records: SessionRecord[] }
  const runs: Run[] = [];
  let prev = iv.start;
  for (const t of times) {
    const group = byTime.get(t)!;
    const handles = [...new Set(group.flatMap((r) => (r.ev.subscriberHandle === null ? [] : [r.ev.subscriberHandle])))].sort();
    const leads = distinctLeads(group.map((r) => leadBy.get(r)!));
    const st = Math.max(...group.map((r) => strength(r.ev)));
    const cur = runs.at(-1);
    const otherHolder = cur !== undefined && handles.length > 0 && cur.handles.length > 0 && handles.join('\n') !== cur.handles.join('\n');
    // leads elsewhere: a lead of this instant that none of the run's agrees with
    const elsewhere = cur !== undefined && cur.leads.length > 0 && leads.some((l) => !cur.leads.some((c) => sameLead(l, c)));
    if (cur === undefined || otherHolder || elsewhere || st > cur.strength) {
      const fresh = cur === undefined || otherHolder || elsewhere;
      // what this instant's records do not name (a holder, a destination) goes on from the run before
      runs.push({
        begin: cur === undefined ? iv.start : prev, at: t,
        handles: handles.length > 0 ? handles : cur?.handles ?? [],
        leads: leads.length > 0 ? leads : cur?.leads ?? [],
        strength: fresh ? st : Math.max(st, cur.strength), records: [...group],
      });
    } else {
      cur.records.push(...group);
      if (cur.handles.length === 0) cur.handles = handles;
      if (cur.leads.length === 0) cur.leads = leads;
    }
    prev = t;
  }
  if (runs.length <= 1 && (runs[0]?.handles.length ?? 0) <= 1 && (runs[0]?.leads.length ?? 0) <= 1) return [iv];
  return runs.flatMap((run, i) => {
    const last = i === runs.length - 1;
    const end = last ? iv.end : runs[i + 1]!.at;
    const owners: (string | null)[] = run.handles.length === 0 ? [null] : run.handles;
    const dests: (NonNullable<Lead> | null)[] = run.leads.length === 0 ? [null] : run.leads;
    // one part per holder and destination of this stretch; a record that does not name one
    // belongs to each. A holder and a destination that this stretch's records name, with no record
    // of the part naming either (only records that name neither), make no part.
    const names = (r: SessionRecord, h: string) => r.ev.subscriberHandle === h;
    const leadsTo = (r: SessionRecord, d: NonNullable<Lead>) => { const l = leadBy.get(r)!; return l !== null && sameLead(l, d); };
    return owners.flatMap((h) => dests.flatMap((d) => {
      const records = run.records.filter((r) => {
        if (h !== null && r.ev.subscriberHandle !== null && r.ev.subscriberHandle !== h) return false;
        return d === null || leadBy.get(r) === null || leadsTo(r, d);
      });
      if (records.length === 0) return [];
      const holderUnsaid = h !== null && run.records.some((r) => names(r, h)) && !records.some((r) => names(r, h));
      const destUnsaid = d !== null && run.records.some((r) => leadsTo(r, d)) && !records.some((r) => leadsTo(r, d));
      if (holderUnsaid && destUnsaid) return [];
      // its subscriber is what its own records say (none: not assumed from the run before, which
      // may have been another subscriber's session under a reused id)
      return [{
        key: iv.key, start: run.begin, end, startSeen: i === 0 && iv.startSeen, endReason: last ? iv.endReason : 'superseded' as const,
        records, lastEvidence: Math.max(...records.map((r) => r.ev.eventTime)),
      }];
    }));
  });
}

/** The distinct leads of one instant's records, in a fixed order (not the records'). */
function distinctLeads(ls: readonly Lead[]): NonNullable<Lead>[] {
  const out = new Map<string, NonNullable<Lead>>();
  for (const l of ls) if (l !== null) out.set(leadText(l), l);
  // a lead without a port agrees with one of the same address that has it: keep the precise one
  const all = [...out.values()];
  return all.filter((l) => !(l.port === null && all.some((o) => o !== l && o.addr === l.addr && o.port !== null)))
    .sort((a, b) => (leadText(a) < leadText(b) ? -1 : 1));
}

/** The parts of [from, to] ∩ iv that none of `longer` covers (where iv's prefix is the
 *  longest); empty when none. A zero-length interval inside the window that no longer prefix
 *  covers is one zero-length segment: still (barely) possible. */
function ownSegments(iv: SessionInterval, longer: readonly SessionInterval[], from: number, to: number): Segment[] {
  const lo = Math.max(iv.start, from);
  const hi = Math.min(iv.end, to);
  if (hi < lo) return [];
  const cuts = longer.map((o) => [Math.max(o.start, lo), Math.min(o.end, hi)] as const).filter(([a, b]) => b > a).sort((a, b) => a[0] - b[0]);
  if (cuts.length === 0) return [[lo, hi]];
  const out: Segment[] = [];
  let reach = lo;
  for (const [a, b] of cuts) {
    if (a > reach) out.push([reach, a]);
    reach = Math.max(reach, b);
  }
  if (hi > reach) out.push([reach, hi]);
  return out;
}

/** Probability mass of the window the interval holds where its prefix is the longest
 *  (`mass`, time-kernel.ts), plus 0.1 each for a seen START, a seen STOP and own evidence
 *  inside the window. */
function quality(iv: SessionInterval, mass: number, from: number, to: number): number {
  let q = mass;
  if (iv.startSeen) q += 0.1;
  if (iv.endReason === 'stop') q += 0.1;
  if (iv.records.some((r) => r.ev.eventTime >= from && r.ev.eventTime <= to)) q += 0.1;
  return q;
}

/** Where a record says its session leads; null when it names no address (a subscriber's
 *  access session, or a record without the client's address). */
function leadOfRecord(spec: KindSpec, ev: SessionEvent): Lead {
  const l = spec.leadsTo(ev);
  return l.addr === null ? null : { addr: l.addr, port: l.port };
}

/** Where an interval (a slice of one destination, sliceByState) leads: the address its earliest
 *  records name, else what its first record says (a subscriber). The port only where it is known
 *  from the first of them on: those name one port and no later record names another (a record
 *  without one agrees). A port first named later, or two ports, give none: the port may have
 *  changed anywhere before the record that names it (NAT rebinding), so the next lookup goes
 *  without one rather than on a port the client perhaps did not use then. `first`: the port the
 *  earliest records name (the hop's identity: stable as later records arrive). */
function leadOf(spec: KindSpec, iv: SessionInterval): { addr: string | null; port: number | null; first: number | null } {
  const named = iv.records.map((r) => ({ t: r.ev.eventTime, l: leadOfRecord(spec, r.ev) })).filter((x): x is { t: number; l: NonNullable<Lead> } => x.l !== null);
  if (named.length === 0) return { ...spec.leadsTo(iv.records[0]!.ev), first: null };
  const t0 = Math.min(...named.map((x) => x.t));
  const addr = named.find((x) => x.t === t0)!.l.addr;
  const mine = named.filter((x) => x.l.addr === addr);
  const atFirst = new Set(mine.filter((x) => x.t === t0 && x.l.port !== null).map((x) => x.l.port));
  const first = atFirst.size === 1 ? [...atFirst][0]! : null;
  const later = new Set(mine.map((x) => x.l.port).filter((p) => p !== null));
  return { addr, port: first !== null && later.size === 1 ? first : null, first };
}

function firstOf<T>(records: readonly SessionRecord[], f: (ev: SessionEvent) => T | null): T | null {
  for (const r of records) { const v = f(r.ev); if (v !== null) return v; }
  return null;
}

/** The subscriber handle of the latest record carrying one. */
function latestHandle(records: readonly SessionRecord[]): string | null {
  let best: SessionRecord | null = null;
  for (const r of records) if (r.ev.subscriberHandle !== null && (best === null || r.ev.eventTime >= best.ev.eventTime)) best = r;
  return best?.ev.subscriberHandle ?? null;
}

function toHop(l: Lookup, addr: string, c: Candidate, rank: number, confidence: number, newest: number, dir: ProviderDirectory): HopCandidate {
  const records = c.intervals.flatMap((iv) => iv.records);
  const leads = c.leads;
  const ports = new Set(leads.map((x) => x.port));
  const times = records.map((r) => r.ev.eventTime);
  return {
    traceId: l.traceId,
    // Identity, not records: a late STOP or INTERIM updates the same hop instead of adding one.
    hopId: hopId(l.traceId, l.parentHopId, c.spec.method, [l.lookupId, c.identity]),
    parentHopId: l.parentHopId,
    depth: l.depth,
    jurisdiction: firstOf(records, (ev) => ev.jurisdiction) ?? dir.byId(c.providerId)?.jurisdiction ?? 'ZZ',
    providerId: c.providerId,
    method: c.spec.method,
    observedAddr: addr,
    observedPort: l.port,
    leadsToAddr: leads[0]!.addr,
    leadsToPort: ports.size === 1 ? leads[0]!.port : null,
    subscriberHandle: latestHandle(records),
    evidenceEventIds: [...new Set(records.map((r) => recordUid(r.ev)))].sort(),
    confidence,
    rank,
    firstSeen: Math.min(...times),
    lastSeen: Math.max(...times),
    active: c.intervals.some((iv) => iv.endReason === 'open' && iv.end >= newest),
    windowFrom: l.windowFrom,
    windowTo: l.windowTo,
    decisiveAt: Math.max(...records.map((r) => r.producedAt)),
  };
}

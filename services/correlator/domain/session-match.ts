// The join decision for session lookups (hop methods 1-3 and VPN): which sessions held the
// looked-up endpoint during the lookup window, and where each leads. Pure: the caller reads
// the window; the same set of events, in any order and with duplicates, gives the same hops.
//
// A session interval [start, end] (session-intervals.ts) is a candidate when it overlaps the
// lookup window widened by the clock tolerance: start <= windowTo + tol && end >= windowFrom - tol.
import type { SessionEvent, SessionKind } from '../../../schemas/types.gen.ts';
import { canonicalAddress, familyOf, ipv6ToHex } from '../../common/address.ts';
import type { HopCandidate, IndexedEvent, JoinOptions, Lookup } from '../../common/join-types.ts';
import type { ProviderDirectory } from '../../common/provider-directory.ts';
import { hopId } from './hop-id.ts';
import { KIND_SPECS, type KindSpec, type Target } from './session-kinds.ts';
import { buildIntervals, recordUid, type SessionInterval, type SessionRecord } from './session-intervals.ts';

/** Most hops returned for one lookup (a CGN address without a port can have thousands of
 *  mappings). Confidence still says how many candidates there were (1/k). */
export const MAX_SESSION_CANDIDATES = 64;

interface Candidate {
  spec: KindSpec;
  /** Hop identity: method, provider and destination; stable as more evidence arrives. */
  identity: string;
  /** What the trace would reach: the inside host, or the subscriber. Candidates agreeing on
   *  it are not ambiguous with each other. */
  destination: string;
  providerId: string;
  intervals: SessionInterval[];
  quality: number;
  /** Latest own evidence time: among equal quality, fresher evidence ranks first. */
  latest: number;
}

/**
 * Hops for a 'session' lookup from the session records of its window key (records for other
 * addresses or ports under the same key are filtered out). One hop per method, provider and
 * destination (a subscriber's reconnect, or one inside host's many mappings when the port is
 * unknown, is one candidate). Ranked best first by quality(), then fresher evidence;
 * confidence 1 / (number of distinct destinations); at most MAX_SESSION_CANDIDATES.
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
  for (const kind of [...byKind.keys()].sort()) {
    const spec = KIND_SPECS[kind];
    const recs = byKind.get(kind)!;
    // Sessions touching the target or competing for it, with all their records (an access
    // STOP may lack the framed address); then only intervals covering the target and window.
    const relevant = (ev: SessionEvent) => spec.strength(ev, target) >= 0 || (spec.context?.(ev, target) ?? false);
    const keys = new Set(recs.filter((r) => relevant(r.ev)).map((r) => spec.rules.sessionKey(r.ev)));
    const mine = recs.filter((r) => keys.has(spec.rules.sessionKey(r.ev)));
    const strengthOf = (iv: SessionInterval) => Math.max(...iv.records.map((r) => spec.strength(r.ev, target)));
    let live = buildIntervals(mine, spec.rules, opts.maxSessionAgeMs)
      .filter((iv) => iv.start <= to && iv.end >= from && strengthOf(iv) >= 0);
    const longest = Math.max(-1, ...live.map(strengthOf));
    live = live.filter((iv) => strengthOf(iv) === longest); // longest prefix wins (access sessions)
    for (const iv of live) {
      const providerId = firstOf(iv.records, (ev) => providerOf(ev)) ?? lookup.scopeProviderId
        ?? dir.byAddress(addr, lookup.scopeProviderId)?.provider.providerId ?? 'unknown';
      const lead = spec.leadsTo(iv.records[0]!.ev);
      const handle = latestHandle(iv.records);
      const destination = lead.addr === null
        ? `subscriber:${providerId}|${handle ?? `session:${iv.key}`}`
        : `address:${lead.addr}`;
      // Without a lookup port, one inside host's many mappings are one candidate.
      const portPart = lookup.port === null || lead.addr === null ? '' : `:${lead.port ?? '*'}`;
      const handlePart = lead.addr !== null && spec.kind === 'VPN_SESSION' ? `|${handle ?? '*'}` : '';
      const identity = `${spec.method}|${providerId}|${destination}${portPart}${handlePart}`;
      const q = quality(iv, from, to);
      const g = groups.get(identity);
      if (g) {
        g.intervals.push(iv);
        g.quality = Math.max(g.quality, q);
        g.latest = Math.max(g.latest, iv.lastEvidence);
      } else {
        groups.set(identity, { spec, identity, destination, providerId, intervals: [iv], quality: q, latest: iv.lastEvidence });
      }
    }
  }

  const ranked = [...groups.values()]
    .sort((a, b) => b.quality - a.quality || b.latest - a.latest || (a.identity < b.identity ? -1 : 1));
  const k = new Set(ranked.map((c) => c.destination)).size;
  const confidence = k === 0 ? 0 : Math.round(1e6 / k) / 1e6;
  return ranked.slice(0, MAX_SESSION_CANDIDATES).map((c, i) => toHop(lookup, addr, c, i + 1, confidence, newest, dir));
}

/** Share of the (widened) window the interval covers, plus 0.1 each for a seen START, a seen
 *  STOP and own evidence inside the window. */
function quality(iv: SessionInterval, from: number, to: number): number {
  const overlap = Math.max(0, Math.min(iv.end, to) - Math.max(iv.start, from));
  let q = overlap / Math.max(1, to - from);
  if (iv.startSeen) q += 0.1;
  if (iv.endReason === 'stop') q += 0.1;
  if (iv.records.some((r) => r.ev.eventTime >= from && r.ev.eventTime <= to)) q += 0.1;
  return q;
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
  const leads = c.intervals.map((iv) => c.spec.leadsTo(iv.records[0]!.ev));
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

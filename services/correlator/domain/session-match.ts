// The join's decision for session lookups (pure): from the session records stored in the
// window of lookup.addr, which sessions held that address (and port) during the lookup
// window? Each such session is a hop candidate:
//   NAT_SESSION  outside ip:port(/proto) at t -> inside ip:port         (NAT_LOG)
//   PORT_BLOCK   outside ip + port in [lo, hi] at t -> inside ip         (PORT_BLOCK)
//   ACCESS       framed address / longest IPv6 prefix at t -> subscriber (ACCESS_SESSION, terminal)
//   VPN_SESSION  exit ip(:port) at t -> the client's own address         (VPN_SESSION)
// Several candidates (a missing source port, overlapping records) share the confidence and
// are ranked; none is dropped. Hop ids hang on the session's identity, not its records, so
// a late STOP updates the same hop instead of adding one.
import type { Hop, SessionEvent } from '../../../schemas/types.gen.ts';
import { parsePrefix, prefixContains } from '../../common/address.ts';
import type { IndexedEvent, JoinOptions, Lookup } from '../../common/join-types.ts';
import type { ProviderDirectory } from '../../common/provider-directory.ts';
import { hopId } from './hop-id.ts';
import { clipByNextClaim, overlaps, pairRecords, type Interval } from './session-intervals.ts';

type Method = Hop['method'];
interface Candidate { method: Method; interval: Interval; leadsToAddr: string | null; leadsToPort: number | null; specificity: number }

function group(records: SessionEvent[], key: (r: SessionEvent) => string): Map<string, SessionEvent[]> {
  const m = new Map<string, SessionEvent[]>();
  for (const r of records) { const k = key(r); m.set(k, [...(m.get(k) ?? []), r]); }
  return m;
}

function intervalsOf(records: SessionEvent[], key: (r: SessionEvent) => string, o: JoinOptions, sameResource: (a: Interval, b: Interval) => boolean): Interval[] {
  const all = [...group(records, key)].flatMap(([id, rs]) => pairRecords(id, rs, o.maxSessionAgeMs));
  clipByNextClaim(all, sameResource);
  return all;
}

const protoOk = (l: Lookup, r: SessionEvent) => l.protocol === null || r.protocol === null || r.protocol === l.protocol;
const first = (i: Interval) => i.events[0]!;

function natCandidates(l: Lookup, recs: SessionEvent[], o: JoinOptions): Candidate[] {
  const rs = recs.filter((r) => r.kind === 'NAT_SESSION' && r.outsideAddr === l.addr && (l.port === null || r.outsidePort === l.port) && protoOk(l, r));
  const ivs = intervalsOf(rs, (r) => `${r.outsidePort}/${r.protocol ?? '*'}>${r.insideAddr}:${r.insidePort ?? '*'}`, o,
    (a, b) => first(a).outsidePort === first(b).outsidePort);
  return ivs.map((i) => ({ method: 'NAT_LOG', interval: i, leadsToAddr: first(i).insideAddr, leadsToPort: first(i).insidePort, specificity: 1 }));
}

function blockCandidates(l: Lookup, recs: SessionEvent[], o: JoinOptions): Candidate[] {
  const rs = recs.filter((r) => r.kind === 'PORT_BLOCK' && r.outsideAddr === l.addr && r.portRangeStart !== null && r.portRangeEnd !== null
    && (l.port === null || (l.port >= r.portRangeStart && l.port <= r.portRangeEnd)));
  const ivs = intervalsOf(rs, (r) => `${r.portRangeStart}-${r.portRangeEnd}>${r.insideAddr}`, o,
    (a, b) => first(a).portRangeStart! <= first(b).portRangeEnd! && first(b).portRangeStart! <= first(a).portRangeEnd!);
  return ivs.map((i) => ({ method: 'PORT_BLOCK', interval: i, leadsToAddr: first(i).insideAddr, leadsToPort: null, specificity: 1 }));
}

/** How specifically an access record names the address: 128 for an exact framed address, else the prefix length. */
function accessSpecificity(r: SessionEvent, addr: string): number {
  if (r.framedIpAddress === addr) return 128;
  let best = -1;
  for (const p of [r.framedIpv6Prefix, r.delegatedIpv6Prefix]) {
    if (p !== null && prefixContains(p, addr)) best = Math.max(best, parsePrefix(p).length);
  }
  return best;
}

function accessCandidates(l: Lookup, recs: SessionEvent[], o: JoinOptions): Candidate[] {
  const rs = recs.filter((r) => r.kind === 'ACCESS_SESSION');
  const spec = new Map<string, number>();
  for (const r of rs) {
    const s = accessSpecificity(r, l.addr);
    if (s >= 0) spec.set(r.acctSessionId ?? r.eventId, Math.max(spec.get(r.acctSessionId ?? r.eventId) ?? -1, s));
  }
  const mine = rs.filter((r) => spec.has(r.acctSessionId ?? r.eventId));
  const ivs = intervalsOf(mine, (r) => r.acctSessionId ?? r.eventId, o, () => true); // one holder of an address at a time
  return ivs.map((i) => ({ method: 'ACCESS_SESSION', interval: i, leadsToAddr: null, leadsToPort: null, specificity: spec.get(i.identity) ?? 0 }));
}

function vpnCandidates(l: Lookup, recs: SessionEvent[], o: JoinOptions): Candidate[] {
  const rs = recs.filter((r) => r.kind === 'VPN_SESSION' && r.outsideAddr === l.addr && (l.port === null || r.outsidePort === null || r.outsidePort === l.port));
  const ivs = intervalsOf(rs, (r) => `${r.outsidePort ?? '*'}>${r.insideAddr}:${r.insidePort ?? '*'}|${r.subscriberHandle ?? ''}`, o,
    (a, b) => first(a).outsidePort === null || first(b).outsidePort === null || first(a).outsidePort === first(b).outsidePort);
  return ivs.map((i) => ({ method: 'VPN_SESSION', interval: i, leadsToAddr: first(i).insideAddr, leadsToPort: first(i).insidePort, specificity: 1 }));
}

export function matchSessions(l: Lookup, events: IndexedEvent[], dir: ProviderDirectory, o: JoinOptions): Hop[] {
  const byId = new Map<string, { ev: SessionEvent; producedAt: number }>();
  for (const e of events) if (e.kind === 'session' && !byId.has(`${e.ev.exporterId}/${e.ev.eventId}`)) byId.set(`${e.ev.exporterId}/${e.ev.eventId}`, e);
  const recs = [...byId.values()].map((e) => e.ev);
  const produced = new Map([...byId.values()].map((e) => [e.ev.eventId, e.producedAt]));
  const from = l.windowFrom - o.clockToleranceMs;
  const to = l.windowTo + o.clockToleranceMs;
  let cands = [...natCandidates(l, recs, o), ...blockCandidates(l, recs, o), ...accessCandidates(l, recs, o), ...vpnCandidates(l, recs, o)]
    .filter((c) => overlaps(c.interval, from, to));
  const access = cands.filter((c) => c.method === 'ACCESS_SESSION');
  if (access.length > 1) { // longest match wins among access sessions
    const best = Math.max(...access.map((c) => c.specificity));
    cands = cands.filter((c) => c.method !== 'ACCESS_SESSION' || c.specificity === best);
  }
  // rank: sessions that cover the whole window first, then the latest start
  const covers = (c: Candidate) => (c.interval.start <= from && c.interval.end >= to ? 1 : 0);
  cands.sort((a, b) => covers(b) - covers(a) || b.interval.start - a.interval.start || a.interval.identity.localeCompare(b.interval.identity));
  const newest = recs.reduce((m, r) => Math.max(m, r.eventTime), 0);
  return cands.map((c, i) => {
    const ev = first(c.interval);
    const owner = ev.providerId ? dir.byId(ev.providerId) : dir.byAddress(l.addr)?.provider;
    const sub = c.interval.events.find((r) => r.subscriberHandle !== null)?.subscriberHandle ?? null;
    const evidence = c.interval.events.map((r) => `${r.exporterId}/${r.eventId}`).sort();
    return {
      traceId: l.traceId,
      hopId: hopId(l.traceId, l.parentHopId, c.method, [`${l.lookupId}`, `${c.method}:${c.interval.identity}`]),
      parentHopId: l.parentHopId, depth: l.depth,
      jurisdiction: ev.jurisdiction ?? owner?.jurisdiction ?? 'ZZ', providerId: ev.providerId ?? owner?.providerId ?? 'unknown',
      method: c.method, observedAddr: l.addr, observedPort: l.port,
      leadsToAddr: c.leadsToAddr, leadsToPort: c.leadsToPort, subscriberHandle: sub,
      evidenceEventIds: evidence, confidence: 1 / cands.length, rank: i + 1,
      firstSeen: c.interval.started ? c.interval.start : Math.min(...c.interval.events.map((r) => r.eventTime)),
      lastSeen: c.interval.stopped ? c.interval.end : Math.max(c.interval.lastSeen, Math.min(newest, c.interval.end)),
      active: !c.interval.stopped && newest < c.interval.end,
      windowFrom: l.windowFrom, windowTo: l.windowTo,
      decisiveAt: Math.max(...c.interval.events.map((r) => produced.get(r.eventId) ?? 0)),
    };
  });
}

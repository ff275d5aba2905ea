// Per-flow time series rebuilt from IPFIX-like interim and final records. Pure: no I/O.
//
// Contract: a record carries octet/packet DELTAS for its interval. Both exporter conventions
// are accepted: interval records ([startTime, endTime] of the interval) and records whose
// startTime stays at the flow start (cumulative start); the interval of a record is taken as
// [max(startTime, previous record's endTime), endTime]. A "flow" here is one transport
// connection: an exporter-side end (IDLE_TIMEOUT, FORCED_END, LACK_OF_RESOURCES) followed by
// more records of the same 5-tuple within flowGapMs is the same connection resuming after a
// pause, so its pieces are joined (the pauses stay in the series as silence, which both sides
// of a relay share); END_OF_FLOW (FIN/RST seen) or a longer gap starts a new flow. The result
// never depends on the order of the input or on duplicated records (same eventId).
import type { FlowEvent } from '../../../schemas/types.gen.ts';
import type { IndexedEvent } from '../join-types.ts';

/** One record's share of a flow: octets/packets spread uniformly over [start, end], UTC ms. */
export interface FlowInterval {
  eventId: string;
  start: number;
  end: number;
  octets: number;
  packets: number;
  producedAt: number;
}

/** One connection as seen by one exporter: same 5-tuple, records in time order. */
export interface FlowSeries {
  /** Deterministic identity: direction, exporter, 5-tuple and first-record start. */
  key: string;
  /** 5-tuple only (no exporter, no time): one connection seen by several exporters shares it. */
  tupleKey: string;
  dir: 'in' | 'out';
  exporterId: string;
  srcAddr: string;
  srcPort: number | null;
  dstAddr: string;
  dstPort: number | null;
  protocol: number;
  /** Start of the first and end of the last interval, UTC ms. */
  start: number;
  end: number;
  /** True when the last record is a final one (any endReason but ACTIVE_TIMEOUT). */
  final: boolean;
  /** Sorted by time, non-overlapping. */
  intervals: FlowInterval[];
  /** Median interval length, ms: the exporter's effective active timeout for this flow. */
  typicalIntervalMs: number;
  /** First non-null value among the records (ingest sets them on flows.norm). */
  jurisdiction: string | null;
  providerId: string | null;
  maxProducedAt: number;
}

type FlowIndexed = Extract<IndexedEvent, { kind: 'flow' }>;

const tuple = (ev: FlowEvent): string =>
  `${ev.protocol}|${ev.srcAddr}|${ev.srcPort ?? '-'}|${ev.dstAddr}|${ev.dstPort ?? '-'}`;

/** Total order used to pick one copy of a duplicated eventId independently of input order. */
function contentOrder(a: FlowIndexed, b: FlowIndexed): number {
  const x = a.ev;
  const y = b.ev;
  return (
    a.producedAt - b.producedAt ||
    x.endTime - y.endTime ||
    x.startTime - y.startTime ||
    x.octets - y.octets ||
    x.packets - y.packets ||
    (a.dir < b.dir ? -1 : a.dir > b.dir ? 1 : 0) ||
    (tuple(x) < tuple(y) ? -1 : tuple(x) > tuple(y) ? 1 : 0)
  );
}

/**
 * Groups flow records into per-flow series.
 * @param flowGapMs a record starting more than this after the previous one's end opens a new
 *   flow (port reuse, lost END_OF_FLOW); shorter pauses, even across an IDLE_TIMEOUT, do not, ms.
 * @param accept optional filter; records it rejects are ignored.
 * Duplicates (same eventId, hence same exporter and 5-tuple) count once; should two copies
 * differ, the one first in contentOrder wins, whatever the input order.
 */
export function buildFlowSeries(
  events: readonly IndexedEvent[],
  flowGapMs: number,
  accept: (e: FlowIndexed) => boolean = () => true,
): FlowSeries[] {
  // Grouping by dir + exporter + 5-tuple without building a string key per record (the hot
  // path): by source address, then a numeric key of ports and protocol, then a short scan.
  const groups = new Map<string, Map<number, FlowIndexed[][]>>();
  const lists: FlowIndexed[][] = [];
  for (const e of events) {
    if (e.kind !== 'flow' || !accept(e)) continue;
    const ev = e.ev;
    let byPorts = groups.get(ev.srcAddr);
    if (byPorts === undefined) groups.set(ev.srcAddr, (byPorts = new Map()));
    const num = ((ev.srcPort ?? 65536) * 65537 + (ev.dstPort ?? 65536)) * 256 + ev.protocol;
    let candidates = byPorts.get(num);
    if (candidates === undefined) byPorts.set(num, (candidates = []));
    const same = candidates.find((l) => {
      const f = l[0]!;
      return f.dir === e.dir && f.ev.exporterId === ev.exporterId && f.ev.dstAddr === ev.dstAddr;
    });
    if (same !== undefined) same.push(e);
    else {
      const list = [e];
      candidates.push(list);
      lists.push(list);
    }
  }
  const out: FlowSeries[] = [];
  for (const group of lists) {
    // De-duplicate per group: small maps are much cheaper than one map over all records.
    const byId = new Map<string, FlowIndexed>();
    for (const e of group) {
      const seen = byId.get(e.ev.eventId);
      if (seen === undefined || contentOrder(e, seen) < 0) byId.set(e.ev.eventId, e);
    }
    const list = byId.size === group.length ? group : [...byId.values()];
    list.sort(
      (a, b) =>
        a.ev.endTime - b.ev.endTime ||
        a.ev.startTime - b.ev.startTime ||
        (a.ev.eventId < b.ev.eventId ? -1 : 1),
    );
    let cur: FlowIndexed[] = [];
    let prev: FlowIndexed | undefined;
    for (const e of list) {
      const split =
        prev !== undefined &&
        (prev.ev.endReason === 'END_OF_FLOW' || e.ev.startTime > prev.ev.endTime + flowGapMs);
      if (split) {
        out.push(toSeries(cur));
        cur = [];
      }
      cur.push(e);
      prev = e;
    }
    if (cur.length > 0) out.push(toSeries(cur));
  }
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function toSeries(records: FlowIndexed[]): FlowSeries {
  const first = records[0]!;
  const intervals: FlowInterval[] = [];
  let prevEnd = -Infinity;
  let final = false;
  let jurisdiction: string | null = null;
  let providerId: string | null = null;
  let maxProducedAt = -Infinity;
  const interim: number[] = [];
  for (const r of records) {
    const start = Math.max(r.ev.startTime, prevEnd);
    const end = Math.max(r.ev.endTime, start);
    intervals.push({ eventId: r.ev.eventId, start, end, octets: r.ev.octets, packets: r.ev.packets, producedAt: r.producedAt });
    if (r.ev.endReason === 'ACTIVE_TIMEOUT') interim.push(end - start);
    final = r.ev.endReason !== 'ACTIVE_TIMEOUT';
    jurisdiction ??= r.ev.jurisdiction;
    providerId ??= r.ev.providerId;
    maxProducedAt = Math.max(maxProducedAt, r.producedAt);
    prevEnd = end;
  }
  const start = intervals[0]!.start;
  const end = prevEnd;
  const lengths = interim.length > 0 ? interim : intervals.map((i) => i.end - i.start);
  lengths.sort((a, b) => a - b);
  const ev = first.ev;
  return {
    key: `${first.dir}|${ev.exporterId}|${tuple(ev)}|${start}`,
    tupleKey: tuple(ev),
    dir: first.dir,
    exporterId: ev.exporterId,
    srcAddr: ev.srcAddr,
    srcPort: ev.srcPort,
    dstAddr: ev.dstAddr,
    dstPort: ev.dstPort,
    protocol: ev.protocol,
    start,
    end,
    final,
    intervals,
    typicalIntervalMs: Math.max(1, lengths[lengths.length >> 1] ?? 1),
    jurisdiction,
    providerId,
    maxProducedAt,
  };
}

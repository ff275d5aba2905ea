// Record scenarios (deploy/scenarios/records/*.json): the provider records of one traced
// connection written out as providers log them — RADIUS accounting (RFC 2866: Framed-IP-
// Address, Framed-IPv6-Prefix, Delegated-IPv6-Prefix, Acct-Delay-Time, Interim-Update, lost
// Stops), CGN port-block allocate/release and NAT create/delete (RFC 8158 natEvent), IPFIX /
// NetFlow flow records with real active timeouts — with the ground truth an investigator would
// expect. Unlike the simulator's generated world they can say anything a provider logs,
// including what the code does not handle yet. Pure: times are relative to the observation;
// `materialise` turns a file into raw records for one run.
import type { FlowEndReason, FlowEvent, HopMethod, Provider, SessionEvent, TraceStatus } from '../../schemas/types.gen.ts';
import { createAccountingTable } from '../collector/domain/accounting-table.ts';
import { isScopedAddress, windowKey } from '../common/address.ts';
import { keyPartition } from '../common/kafkajs-patch.ts';
import { PEER_ADDR, RELAY_ADDR, relayScenario } from './relay-fixtures.ts';

export interface RecordScenario {
  name: string;
  /** The failure class it stands for (bench/accuracy reports per class). */
  class: string;
  description: string;
  /** The observation lies this long before the run starts, ms (flows must be exported by then). */
  observedAgoMs: number;
  request: { jurisdiction: string; src: string; srcPort: number | null; dst: string; dstPort: number | null; protocol: number; toleranceMs: number };
  /** Session records; `at` = event time relative to the observation, ms (negative: before).
   *  ACCESS_SESSION records are what a NAS sends: they pass through the collector's accounting
   *  table (services/collector/domain/accounting-table.ts) in event-time order, which adds the
   *  STOPs it synthesizes; `accounting` ON / OFF is an Accounting-On/Off of the exporter (RFC 2866
   *  Acct-Status-Type 7/8, no session fields), which only the table sees. */
  sessions: (Partial<SessionEvent> & { at: number; exporter: string; accounting?: 'ON' | 'OFF' })[];
  /** Flow records; start/end relative to the observation, ms. */
  flows: { exporter: string; src: string; srcPort: number | null; dst: string; dstPort: number | null; protocol?: number; start: number; end: number; octets: number; packets: number; endReason?: FlowEndReason }[];
  /** Busy relay traffic from the seeded relay model (relay-fixtures.ts), remapped onto real
   *  providers: the traced outbound relay -> peer, the true inbound from `source`, `concurrent`
   *  unrelated inbound connections from addresses in 7.0.0.0/8. The request's srcPort is the
   *  outbound connection's port. */
  relayTraffic?: {
    seed: number; concurrent: number; recordsPerFlow: 1 | 2 | 'many'; exporter: string; relay: string; peer: string; peerPort: number; source: string;
    /** A second inbound connection whose records copy the true inbound's (from `decoy.source`,
     *  source port + 1, times shifted by `shiftMs`): timing alone cannot tell them apart. */
    decoy?: { source: string; shiftMs: number };
  };
  /** Exporters whose clock is off (no NTP, or a syslog sender writing local time without a
   *  zone), ms: their records carry event and export times this much later than the truth. */
  exporterClockSkewMs?: Record<string, number>;
  /** Order the records are produced in: as listed (sessions, then flows) or reversed (late
   *  and out of order: STOPs before STARTs, the last record first). Default as-listed. */
  produceOrder?: 'as-listed' | 'reversed';
  truth: {
    /** The best path the chain should follow, in order. */
    path: TruthStep[];
    /** Hops that should be there beside the path (a relay server's owner). */
    beside?: TruthStep[];
    /** Status the chain should settle in. */
    status: TraceStatus;
    /** For AMBIGUOUS: the subscriber handles that must all be shown as candidates. */
    candidates?: string[];
  };
}

export interface TruthStep { method: HopMethod; observed: string; leadsTo: string | null; subscriber?: string | null }

export interface Materialised {
  observedTime: number;
  srcPort: number | null;
  sessions: SessionEvent[];
  flows: FlowEvent[];
  /** Produce order: the records interleaved as the scenario says. */
  ordered: ({ kind: 'session'; ev: SessionEvent } | { kind: 'flow'; ev: FlowEvent })[];
}

const SESSION_DEFAULTS: Omit<SessionEvent, 'eventId' | 'exporterId' | 'exportTime' | 'kind' | 'action' | 'eventTime'> = {
  natEvent: null, protocol: null, outsideAddr: null, outsidePort: null, portRangeStart: null, portRangeEnd: null, insideAddr: null,
  insidePort: null, framedIpAddress: null, framedIpv6Prefix: null, delegatedIpv6Prefix: null, acctSessionId: null, acctDelayTime: null,
  subscriberHandle: null, jurisdiction: null, providerId: null, clockOffsetMs: 0,
};

/** Raw records of a scenario for one run: `now` = produce time (UTC ms), `run` makes ids unique. */
export function materialise(s: RecordScenario, now: number, run: string): Materialised {
  const obs = now - s.observedAgoMs;
  let n = 0;
  const listed = s.sessions.map(({ at, exporter, accounting, ...rest }) => (accounting !== undefined
    ? { accounting: { exporterId: exporter, status: accounting === 'ON' ? 7 as const : 8 as const, eventTime: obs + at, acctDelayTime: null, exportTime: now, eventId: `${run}-s${n++}` } }
    : { ev: {
      ...SESSION_DEFAULTS, kind: 'ACCESS_SESSION' as const, action: 'START' as const, ...rest,
      eventId: `${run}-s${n++}`, exporterId: exporter, exportTime: now, eventTime: obs + at,
      acctSessionId: rest.acctSessionId === undefined || rest.acctSessionId === null ? null : `${run}-${rest.acctSessionId}`,
    } satisfies SessionEvent }));
  // the collector's accounting table sees each NAS's records as the NAS sends them (in time)
  const table = createAccountingTable();
  const synthesized = new Map<number, SessionEvent[]>();
  const timeOfEntry = (e: (typeof listed)[number]) => ('ev' in e ? e.ev!.eventTime : e.accounting!.eventTime);
  for (const i of listed.map((_, k) => k).sort((a, b) => timeOfEntry(listed[a]!) - timeOfEntry(listed[b]!) || a - b)) {
    const e = listed[i]!;
    if ('ev' in e) e.ev = table.complete(e.ev!);
    synthesized.set(i, 'ev' in e ? table.observe(e.ev!) : table.nasEvent(e.accounting!));
  }
  const sessions: SessionEvent[] = listed.flatMap((e, i) => [...synthesized.get(i)!, ...('ev' in e ? [e.ev!] : [])]);
  const flows: FlowEvent[] = s.flows.map((f) => flowOf(`${run}-f${n++}`, f.exporter, now, {
    srcAddr: f.src, srcPort: f.srcPort, dstAddr: f.dst, dstPort: f.dstPort, protocol: f.protocol ?? 6,
    startTime: obs + f.start, endTime: obs + f.end, octets: f.octets, packets: f.packets, endReason: f.endReason ?? 'END_OF_FLOW',
  }));
  let srcPort = s.request.srcPort;
  if (s.relayTraffic) {
    const r = relayFlows(s.relayTraffic, obs, now, run);
    flows.push(...r.flows);
    srcPort = r.outPort;
  }
  for (const [exporter, skew] of Object.entries(s.exporterClockSkewMs ?? {})) {
    for (const ev of sessions) if (ev.exporterId === exporter) { ev.eventTime += skew; ev.exportTime += skew; }
    for (const f of flows) if (f.exporterId === exporter) { f.startTime += skew; f.endTime += skew; f.exportTime += skew; }
  }
  const ordered = [...sessions.map((ev) => ({ kind: 'session' as const, ev })), ...flows.map((ev) => ({ kind: 'flow' as const, ev }))];
  if (s.produceOrder === 'reversed') ordered.reverse();
  return { observedTime: obs, srcPort, sessions, flows, ordered };
}

function flowOf(eventId: string, exporterId: string, now: number, f: Pick<FlowEvent, 'srcAddr' | 'srcPort' | 'dstAddr' | 'dstPort' | 'protocol' | 'startTime' | 'endTime' | 'octets' | 'packets' | 'endReason'>): FlowEvent {
  return { eventId, exporterId, exportTime: now, ...f, postNatSrcAddr: null, postNatSrcPort: null, jurisdiction: null, providerId: null, clockOffsetMs: 0 };
}

/** The flows.norm partitions `exporterHeartbeats` covers by default: the pipeline's default
 *  (CROSSTRACE_*_PARTITIONS, and the tests' topics). */
export const HEARTBEAT_PARTITIONS = 6;

/**
 * A flow exporter exports all the time (every host it serves has traffic): unrelated traffic of
 * every flow exporter of `providers`, exported at `now`, from the top addresses of the provider's
 * first public IPv4 prefix to an address no demo provider holds (the record scenarios and
 * test/support/chain-scenario.ts draw their hosts below them: heartbeats.test.ts checks the
 * scenarios'). Produced after a scenario's records, they move each exporter's flow watermark past
 * the scenario's window, as a live exporter's next records would: without them a relay lookup on
 * a host of a silent exporter never settles (AMBIGUOUS, tracer/domain/relay-settling.ts).
 * An exporter's watermark is the minimum over the flows.norm partitions that have carried its
 * records (join/flow-watermark.ts), and a real exporter's traffic reaches every partition (it
 * covers thousands of addresses). So one record from one address would not do: its key lands in
 * one partition, and a partition an earlier run's records of the exporter reached (another test
 * on the same Redis, the demo's previous scenario) would hold its watermark back for good (CI,
 * 2026-12-02/03: collector-e2e AMBIGUOUS after relay-backlog). Each exporter exports from as many
 * addresses, counted down from the last but one, as it takes for their window keys to reach
 * every one of `partitions` partitions under the producer's partitioner (kafkajs' default:
 * murmur2, as Java's), one record from each address that reaches a partition not yet reached.
 */
export function exporterHeartbeats(providers: readonly Pick<Provider, 'providerId' | 'prefixes' | 'exporters' | 'exporterKinds'>[], now: number, run: string, partitions = HEARTBEAT_PARTITIONS): FlowEvent[] {
  const out: FlowEvent[] = [];
  for (const p of providers) {
    const v4 = p.prefixes.map((c) => /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(c)).find((m) => m !== null && !isScopedAddress(`${m[1]}.${m[2]}.${m[3]}.${m[4]}`));
    if (!v4) continue;
    const base = ((Number(v4[1]) << 24) | (Number(v4[2]) << 16) | (Number(v4[3]) << 8) | Number(v4[4])) >>> 0;
    const size = 2 ** (32 - Number(v4[5]));
    const srcs: string[] = [];
    const seen = new Set<number>();
    // the prefix's addresses from the last but one down, until every partition has one (or the prefix ends)
    for (let i = 2; i < size && seen.size < partitions; i++) {
      const a = (base + size - i) >>> 0;
      const src = [a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255, a & 255].join('.');
      const part = heartbeatPartition(windowKey(src, null), partitions);
      if (seen.has(part) && srcs.length > 0) continue;
      seen.add(part);
      srcs.push(src);
    }
    const kinds = p.exporterKinds ?? {};
    const flowExporters = Object.keys(kinds).length === 0 ? p.exporters : p.exporters.filter((e) => kinds[e] === 'flow');
    for (const e of flowExporters) {
      srcs.forEach((src, i) => out.push(flowOf(`${run}-hb-${e}-${i}`, e, now, { srcAddr: src, srcPort: 40000, dstAddr: '192.31.196.1', dstPort: 53, protocol: 17, startTime: now - 1000, endTime: now - 900, octets: 80, packets: 1, endReason: 'IDLE_TIMEOUT' })));
    }
  }
  return out;
}

/** The partition kafkajs' default partitioner gives a record keyed `key` among `partitions`. */
export const heartbeatPartition = keyPartition;

/** The relay model's flows moved onto the scenario's addresses and its observation time. */
function relayFlows(t: NonNullable<RecordScenario['relayTraffic']>, obs: number, now: number, run: string) {
  const sc = relayScenario({ seed: t.seed, concurrent: t.concurrent, recordsPerFlow: t.recordsPerFlow, skewMs: 0 });
  const shift = obs - (sc.lookup.windowFrom + sc.lookup.windowTo) / 2;
  const [trueAddr] = sc.truth[0]!.split(/:(?=\d+$)/);
  const mapped = new Map<string, string>([[RELAY_ADDR, t.relay], [PEER_ADDR, t.peer], [trueAddr!, t.source]]);
  const addr = (a: string) => {
    let m = mapped.get(a);
    if (m === undefined) { const k = mapped.size; m = `7.${(k >> 16) & 255}.${(k >> 8) & 255}.${k & 255}`; mapped.set(a, m); }
    return m;
  };
  let outPort: number | null = null;
  let i = 0;
  const flows = sc.events.flatMap((e) => {
    if (e.kind !== 'flow') return [];
    const f = e.ev;
    if (f.srcAddr === RELAY_ADDR && f.dstAddr === PEER_ADDR) outPort = f.srcPort;
    const port = (a: string, p: number | null) => (a === PEER_ADDR ? t.peerPort : p);
    return [flowOf(`${run}-r${i++}`, t.exporter, now, {
      srcAddr: addr(f.srcAddr), srcPort: port(f.srcAddr, f.srcPort), dstAddr: addr(f.dstAddr), dstPort: port(f.dstAddr, f.dstPort), protocol: f.protocol,
      startTime: Math.round(f.startTime + shift), endTime: Math.round(f.endTime + shift), octets: f.octets, packets: f.packets, endReason: f.endReason,
    })];
  });
  if (t.decoy) {
    const d = t.decoy;
    flows.push(...flows.filter((f) => f.srcAddr === t.source && f.dstAddr === t.relay).map((f) => ({
      ...f, eventId: `${f.eventId}-decoy`, srcAddr: d.source, srcPort: f.srcPort === null ? null : f.srcPort + 1,
      startTime: f.startTime + d.shiftMs, endTime: f.endTime + d.shiftMs,
    })));
  }
  return { flows, outPort };
}

/** The true inbound source port of the relay model (the relay hop's leadsTo port). */
export function relaySourcePort(t: NonNullable<RecordScenario['relayTraffic']>): number {
  const sc = relayScenario({ seed: t.seed, concurrent: t.concurrent, recordsPerFlow: t.recordsPerFlow, skewMs: 0 });
  return Number(sc.truth[0]!.split(/:(?=\d+$)/)[1]);
}

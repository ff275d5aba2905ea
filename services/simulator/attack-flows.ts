// Flow records of a traced connection: the relay host's inbound flow from the VPN exit and its
// outbound flow to the victim (the outbound replays the inbound bursts after a relay delay,
// with tunnel overhead and re-segmentation; the inbound starts 20-200 ms earlier), the
// victim's replies, unrelated inbound flows to the relay host and its other outbound flows;
// the victim's own view of the connection; the VPN tunnel at the origin and at the VPN.
// Burst model from simulator/relay-traffic.ts (the one relay timing is calibrated on).
import { trafficBursts, type Burst, type Rng, type TrafficKind } from './relay-traffic.ts';
import { elsewhereAddr, ephemeralPort } from './address-pools.ts';
import { exportBursts } from './flow-export.ts';
import type { Endpoint } from './ground-truth.ts';
import type { ExporterModel, FlowEnds, IdSource, RawOut } from './raw-events.ts';
import type { World } from './world.ts';

export interface ConnectionPlan {
  /** Attack connection start / end at the relay (or origin) host, true UTC ms. */
  start: number;
  end: number;
  /** Subscriber host address (inside space behind NAT) and its source port. */
  host: string;
  hostPort: number;
  /** What the victim sees: the host after NAT. */
  pub: Endpoint;
  victim: Endpoint;
  /** Relay: the VPN exit endpoint feeding the host, the port it listens on, the public port the CGN maps to it. */
  relay: null | { exit: Endpoint; listenPort: number; mappedPort: number | null; noise: number };
  /** The VPN tunnel: client endpoint -> gateway, seen by the origin's and the VPN's flow exporters. */
  tunnel: null | { client: Endpoint; gateway: string; originExporter: ExporterModel | null; vpnExporter: ExporterModel | null };
}

export interface ConnectionFlows { records: RawOut[]; inboundIds: string[]; outboundIds: string[]; noiseIds: string[] }

const hello = (t: number): Burst => ({ t, dur: 0, octets: 180, packets: 3 });
const shift = (bs: Burst[], d: () => number, scale = 1): Burst[] => bs.map((b) => ({ ...b, t: b.t + d(), octets: b.octets * scale }));

export function connectionFlows(w: World, r: Rng, stream: string, entryEx: ExporterModel | null, victimEx: ExporterModel, p: ConnectionPlan): ConnectionFlows {
  const ids: IdSource = w.ids;
  const records: RawOut[] = [];
  const kind = (): TrafficKind => (r.chance(0.7) ? 'interactive' : 'bulk');
  let outBursts: Burst[];
  let inBursts: Burst[] = [];
  if (p.relay) {
    const inStart = p.start - r.uniform(20, 200);
    const relayed = trafficBursts(r, kind(), p.start + 20, p.end);
    const f = r.uniform(0.9, 1.15), perPacket = r.uniform(-20, 40), g = r.uniform(0.85, 1.2), base = r.uniform(2, 40);
    outBursts = [hello(p.start), ...relayed.map((b) => {
      const packets = Math.max(1, Math.round(b.packets * g * r.lognormal(1, 0.1)));
      return { t: b.t + base + r.lognormal(5, 1), dur: b.dur * r.uniform(0.9, 1.2), octets: Math.max(40 * packets, b.octets * f + perPacket * packets), packets };
    })];
    inBursts = [hello(inStart), ...relayed];
  } else {
    outBursts = [hello(p.start), ...trafficBursts(r, kind(), p.start + 20, p.end)];
  }
  const replies = outBursts.map((b) => ({ t: b.t + r.uniform(30, 120), dur: b.dur, octets: b.octets * r.lognormal(2, 1), packets: b.packets }));
  const out: FlowEnds = { srcAddr: p.host, srcPort: p.hostPort, dstAddr: p.victim.addr, dstPort: p.victim.port, protocol: 6, postNatSrcAddr: p.pub.addr === p.host ? null : p.pub.addr, postNatSrcPort: p.pub.addr === p.host ? null : p.pub.port };
  const res: ConnectionFlows = { records, inboundIds: [], outboundIds: [], noiseIds: [] };
  if (entryEx) {
    const o = exportBursts(entryEx, r, ids, stream, out, outBursts, 'END_OF_FLOW');
    res.outboundIds = o.eventIds;
    records.push(...o.records);
    records.push(...exportBursts(entryEx, r, ids, stream, { srcAddr: p.victim.addr, srcPort: p.victim.port, dstAddr: p.host, dstPort: p.hostPort, protocol: 6 }, replies, 'END_OF_FLOW').records);
  }
  // The victim's view: the connection from the public (post-NAT) endpoint, both directions.
  const lat = () => r.uniform(5, 30);
  records.push(...exportBursts(victimEx, r, ids, stream, { srcAddr: p.pub.addr, srcPort: p.pub.port, dstAddr: p.victim.addr, dstPort: p.victim.port, protocol: 6 }, shift(outBursts, lat), 'END_OF_FLOW').records);
  records.push(...exportBursts(victimEx, r, ids, stream, { srcAddr: p.victim.addr, srcPort: p.victim.port, dstAddr: p.pub.addr, dstPort: p.pub.port, protocol: 6 }, shift(replies, () => -lat()), 'END_OF_FLOW').records);
  if (p.relay && entryEx) {
    const inb = exportBursts(entryEx, r, ids, stream, { srcAddr: p.relay.exit.addr, srcPort: p.relay.exit.port, dstAddr: p.host, dstPort: p.relay.listenPort, protocol: 6 }, inBursts, 'END_OF_FLOW');
    res.inboundIds = inb.eventIds;
    records.push(...inb.records);
    records.push(...relayNoise(w, r, stream, entryEx, p, res));
  }
  if (p.tunnel) {
    const t = p.tunnel;
    const ends: FlowEnds = { srcAddr: t.client.addr, srcPort: t.client.port, dstAddr: t.gateway, dstPort: 51820, protocol: 17 };
    const tunnelBursts = inBursts.map((b) => ({ ...b, t: b.t - r.uniform(10, 40), octets: b.octets * 1.04 + 60 * b.packets }));
    for (const ex of [t.originExporter, t.vpnExporter]) if (ex) records.push(...exportBursts(ex, r, ids, stream, ends, tunnelBursts, 'END_OF_FLOW').records);
    if (t.vpnExporter && p.relay && p.relay.mappedPort !== null) {
      records.push(...exportBursts(t.vpnExporter, r, ids, stream, { srcAddr: p.relay.exit.addr, srcPort: p.relay.exit.port, dstAddr: p.pub.addr, dstPort: p.relay.mappedPort, protocol: 6 }, shift(inBursts, () => -lat()), 'END_OF_FLOW').records);
    }
  }
  return res;
}

/** Unrelated inbound flows to the relay host overlapping the attack (from the internet, other
 *  providers' subscribers, other ports of the same VPN exit), and the host's other outbound flows. */
function relayNoise(w: World, r: Rng, stream: string, ex: ExporterModel, p: ConnectionPlan, res: ConnectionFlows): RawOut[] {
  const out: RawOut[] = [];
  const sources: (() => string)[] = [() => elsewhereAddr(w.elsewhere, r, 4)];
  for (const a of w.access.values()) if (!a.rule && !a.blocks) sources.push(() => a.subscribers[r.int(0, a.subscribers.length - 1)]!.framed);
  if (p.relay) sources.push(() => p.relay!.exit.addr);
  const kinds: TrafficKind[] = ['interactive', 'interactive', 'interactive', 'bulk', 'bulk', 'web', 'web', 'keepalive'];
  const span = p.end - p.start;
  for (let i = 0; i < (p.relay?.noise ?? 0); i++) {
    const start = r.chance(0.05) ? p.start - r.uniform(0, 500) : r.uniform(p.start - 200_000, p.end - 3_000);
    let end = start + r.lognormal(120_000, 0.9);
    if (end < p.start + 3_000) end = p.start + r.uniform(3_000, span);
    const src = sources[r.int(0, sources.length - 1)]!();
    let srcPort = r.int(1024, 65535);
    if (src === p.relay?.exit.addr && srcPort === p.relay.exit.port) srcPort = srcPort === 65535 ? 1024 : srcPort + 1;
    const bursts = [hello(start), ...trafficBursts(r, kinds[r.int(0, kinds.length - 1)]!, start + 50, end)];
    const ends: FlowEnds = { srcAddr: src, srcPort, dstAddr: p.host, dstPort: r.chance(0.7) ? p.relay!.listenPort : 443, protocol: 6 };
    const e = exportBursts(ex, r, w.ids, `${stream}-noise`, ends, bursts, r.chance(0.8) ? 'END_OF_FLOW' : 'IDLE_TIMEOUT');
    res.noiseIds.push(e.eventIds[0] ?? '');
    out.push(...e.records);
  }
  for (let i = 0; i < 5; i++) {
    const start = r.uniform(p.start - 60_000, p.end);
    const ends: FlowEnds = { srcAddr: p.host, srcPort: ephemeralPort(r), dstAddr: elsewhereAddr(w.elsewhere, r, 4), dstPort: 443, protocol: 6 };
    out.push(...exportBursts(ex, r, w.ids, `${stream}-own`, ends, [hello(start), ...trafficBursts(r, 'web', start + 50, start + 60_000)], 'END_OF_FLOW').records);
  }
  return out;
}

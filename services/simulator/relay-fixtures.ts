// Seeded scenarios around one relay host R, with ground truth, for tests and benchmarks:
// busy inbound traffic to R, and an outbound connection R -> peer that replays one inbound
// connection's bursts after a relay delay, with tunnel overhead and re-segmentation (or
// none: R originates it; or two near-identical inbound copies).
import type { IndexedEvent, Lookup } from '../join/join-types.ts';
import { exportFlow, seededRng, trafficBursts, type Burst, type Endpoints, type Exporter, type ExportContext, type TrafficKind } from './relay-traffic.ts';

export interface ScenarioOptions {
  seed: number;
  /** Unrelated inbound connections overlapping the outbound one, count. Default 120. */
  concurrent?: number;
  /** 'relay': one inbound feeds the outbound; 'none': R originates it; 'twin': two
   *  near-identical inbound flows both carry it. Default 'relay'. */
  kind?: 'relay' | 'none' | 'twin';
  /** Outbound exporter clock error vs the inbound exporter, ms; set = two exporters.
   *  Default random: one exporter half the time, else two with skew in [-2000, 2000]. */
  skewMs?: number;
  /** Flow records per connection, set through the exporters' active timeout: 1 = a 30 min
   *  active timeout (NetFlow's default: a finished short flow is one record), 2 = an active
   *  timeout of about half the traced connection (two records for it), 'many' = at most a
   *  sixth of it (>= 5 records). 1 and 2 describe finished connections (a live one has no
   *  record yet under a long timeout). Default: random 1-5 s timeouts, 30% live. */
  recordsPerFlow?: 1 | 2 | 'many';
}

export interface Scenario {
  lookup: Lookup;
  events: IndexedEvent[];
  /** `addr:port` of the inbound connection(s) that really feed the outbound one. */
  truth: string[];
  /** Distinct inbound connections to R other than the truth and the peer's replies. */
  unrelated: number;
}

export const RELAY_ADDR = '192.0.2.10';
export const PEER_ADDR = '192.0.2.77';
const T0 = 1_760_000_000_000;

/** One relay R with a traced outbound connection to PEER_ADDR and busy inbound traffic. */
export function relayScenario(o: ScenarioOptions): Scenario {
  const r = seededRng(o.seed);
  const kind = o.kind ?? 'relay';
  const twoExporters = o.skewMs !== undefined || r.chance(0.5);
  const exIn: Exporter = { id: 'nl-edge-1', activeTimeoutMs: r.int(1, 5) * 1_000, idleTimeoutMs: 15_000, skewMs: 0 };
  const exOut: Exporter = twoExporters
    ? { id: 'nl-edge-2', activeTimeoutMs: r.int(1, 5) * 1_000, idleTimeoutMs: 15_000, skewMs: o.skewMs ?? r.uniform(-2_000, 2_000) }
    : exIn;
  const oS = T0 + r.int(0, 60_000);
  const oE = oS + Math.min(900_000, Math.max(30_000, r.lognormal(120_000, 0.7)));
  const perFlow = o.recordsPerFlow;
  if (perFlow !== undefined) {
    const timeout = perFlow === 1 ? 1_800_000 : perFlow === 2 ? Math.ceil((oE - oS) / 2) + 1_000 : Math.max(1_000, Math.floor((oE - oS) / 6));
    exIn.activeTimeoutMs = timeout;
    exOut.activeTimeoutMs = timeout;
  }
  const live = perFlow === 1 || perFlow === 2 ? false : r.chance(0.3);
  const ctx: ExportContext = { r, now: live ? oS + r.uniform(0.5, 0.95) * (oE - oS) : oE + 60_000, seq: 0 };
  const used = new Set<string>([RELAY_ADDR, PEER_ADDR]);
  const addr = (): string => {
    for (;;) {
      const a = r.chance(0.8) ? `${r.chance(0.5) ? '198.51.100' : '203.0.113'}.${r.int(1, 254)}` : `2001:db8:${r.int(1, 65535).toString(16)}::${r.int(1, 65535).toString(16)}`;
      if (!used.has(a)) return used.add(a), a;
    }
  };
  const events: IndexedEvent[] = [];
  const truth: string[] = [];
  const outPort = r.int(32768, 60999);
  const toPeer: Endpoints = { dir: 'out', srcAddr: RELAY_ADDR, srcPort: outPort, dstAddr: PEER_ADDR, dstPort: 22, protocol: 6 };
  const hello = (t: number): Burst => ({ t, dur: 0, octets: 180, packets: 3 });

  let outBursts: Burst[];
  if (kind === 'none') {
    outBursts = [hello(oS), ...trafficBursts(r, r.chance(0.7) ? 'interactive' : 'bulk', oS + 20, oE)];
  } else {
    const longLead = r.chance(0.12);
    const inStart = longLead ? oS - r.uniform(10_000, 300_000) : oS - r.uniform(5, 500);
    const relayed = trafficBursts(r, r.chance(0.7) ? 'interactive' : 'bulk', oS + 20, oE);
    const own = longLead ? trafficBursts(r, 'interactive', inStart + 50, oS - 1_000) : [];
    const tail = longLead && r.chance(0.5) ? trafficBursts(r, 'interactive', oE + 500, oE + r.uniform(1_000, 60_000)) : [];
    const f = r.uniform(0.9, 1.15);
    const perPacket = r.uniform(-20, 40);
    const g = r.uniform(0.85, 1.2);
    const base = r.uniform(2, 40);
    outBursts = [hello(oS)];
    for (const b of relayed) {
      const packets = Math.max(1, Math.round(b.packets * g * r.lognormal(1, 0.1)));
      const t = b.t + base + r.lognormal(5, 1);
      outBursts.push({ t, dur: b.dur * r.uniform(0.9, 1.2), octets: Math.max(40 * packets, b.octets * f + perPacket * packets), packets });
    }
    const inBursts = [hello(inStart), ...own, ...relayed, ...tail];
    const copies = kind === 'twin' ? 2 : 1;
    for (let c = 0; c < copies; c++) {
      const src = addr();
      const port = r.int(1024, 65535);
      truth.push(`${src}:${port}`);
      const bursts = c === 0 ? inBursts : inBursts.map((b) => ({ ...b, t: b.t + r.uniform(-5, 5), octets: b.octets * r.uniform(0.98, 1.02) }));
      const ends: Endpoints = { dir: 'in', srcAddr: src, srcPort: port, dstAddr: RELAY_ADDR, dstPort: 1080, protocol: 6 };
      events.push(...exportFlow(ctx, exIn, ends, bursts, 'END_OF_FLOW'));
    }
  }
  events.push(...exportFlow(ctx, exOut, toPeer, outBursts, 'END_OF_FLOW'));
  // The peer's replies (echo of the relayed traffic) arrive at R as an inbound flow too.
  const replies = outBursts.map((b) => ({ t: b.t + r.uniform(30, 120), dur: b.dur, octets: b.octets * r.lognormal(2, 1), packets: b.packets }));
  const fromPeer: Endpoints = { dir: 'in', srcAddr: PEER_ADDR, srcPort: 22, dstAddr: RELAY_ADDR, dstPort: outPort, protocol: 6 };
  events.push(...exportFlow(ctx, exOut, fromPeer, replies, 'END_OF_FLOW'));

  const concurrent = o.concurrent ?? 120;
  const kinds: TrafficKind[] = ['interactive', 'interactive', 'interactive', 'bulk', 'bulk', 'web', 'web', 'keepalive'];
  for (let i = 0; i < concurrent; i++) {
    const start = r.chance(0.05) ? oS - r.uniform(0, 500) : r.uniform(oS - 200_000, oE - 3_000);
    let end = start + r.lognormal(120_000, 0.9);
    if (end < oS + 3_000) end = oS + r.uniform(3_000, oE - oS);
    const ends: Endpoints = { dir: 'in', srcAddr: addr(), srcPort: r.int(1024, 65535), dstAddr: RELAY_ADDR, dstPort: r.chance(0.5) ? 1080 : 443, protocol: 6 };
    // Traffic after the ingest horizon would not be exported yet.
    const bursts = [hello(start), ...trafficBursts(r, kinds[r.int(0, kinds.length - 1)]!, start + 50, Math.min(end, ctx.now))];
    events.push(...exportFlow(ctx, exIn, ends, bursts, r.chance(0.8) ? 'END_OF_FLOW' : 'IDLE_TIMEOUT'));
  }
  // R's own outbound traffic elsewhere: must not be taken for the traced connection.
  for (let i = 0; i < 10; i++) {
    const start = r.uniform(oS - 60_000, oE);
    const ends: Endpoints = { dir: 'out', srcAddr: RELAY_ADDR, srcPort: r.int(32768, 60999), dstAddr: addr(), dstPort: 443, protocol: 6 };
    events.push(...exportFlow(ctx, exOut, ends, [hello(start), ...trafficBursts(r, 'web', start + 50, start + 60_000)], 'END_OF_FLOW'));
  }

  // The victim saw the connection while it carried traffic that has been exported by now.
  const shown = outBursts.filter((b) => b.t + 6_000 <= ctx.now);
  const tObs = (shown.length > 0 ? shown[r.int(0, shown.length - 1)]! : outBursts[0]!).t;
  const lookup: Lookup = {
    lookupId: `lk-${o.seed}`,
    traceId: `tr-${o.seed}`,
    parentHopId: 'hop-parent',
    depth: 2,
    mode: 'relay',
    addr: RELAY_ADDR,
    scopeProviderId: null,
    port: null,
    protocol: 6,
    peerAddr: PEER_ADDR,
    peerPort: 22,
    windowFrom: Math.round(tObs - 5_000),
    windowTo: Math.round(tObs + 5_000),
    since: Math.round(ctx.now),
  };
  return { lookup, events, truth, unrelated: concurrent };
}

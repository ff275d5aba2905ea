// Who talks to whom in the background, per flow exporter: subscribers of an access provider
// to the internet and to the hosting servers (behind NAT: inside source, post-NAT public
// source from the subscriber's own block or RFC 7422 range), the internet to subscribers,
// VPN exits to the internet, and clients of every kind to the hosting servers (the victim's
// exporter sees many CGN addresses, other ports of the same CGN address, VPN exits). Pure.
import type { Rng } from './relay-traffic.ts';
import { elsewhereAddr, ephemeralPort, v6HostIn } from './address-pools.ts';
import type { ExporterModel, FlowEnds } from './raw-events.ts';
import type { AccessWorld, HostingWorld, Subscriber, VpnWorld, World } from './world.ts';

export interface FlowSpec {
  ex: ExporterModel;
  ends: FlowEnds;
  /** The same connection as a hosting provider's exporter sees it, when it ends at one of its servers. */
  mirror: { ex: ExporterModel; ends: FlowEnds } | null;
}

export type FlowSource = { ex: ExporterModel; next(r: Rng): FlowSpec };

const SERVICES: readonly [number, number][] = [[443, 6], [443, 6], [443, 6], [443, 17], [80, 6], [53, 17], [123, 17], [22, 6], [993, 6], [8080, 6]];

/** Public endpoint of a subscriber's IPv4 traffic: framed, or post-NAT address and port. */
export function publicOf(sub: Subscriber, r: Rng): { addr: string; port: number } {
  const b = sub.blocks.length > 0 ? sub.blocks[r.int(0, sub.blocks.length - 1)]! : null;
  if (b) return { addr: b.outsideAddr, port: r.int(b.lo, b.hi) };
  if (sub.det) return { addr: sub.det.outsideAddr, port: r.int(sub.det.portLo, sub.det.portHi) };
  return { addr: sub.framed, port: ephemeralPort(r) };
}

/** A subscriber that is online (a few tries; offline ones are rare). */
export function onlineSubscriber(a: AccessWorld, r: Rng): Subscriber {
  let sub = a.subscribers[r.int(0, a.subscribers.length - 1)]!;
  for (let i = 0; i < 8 && !sub.online; i++) sub = a.subscribers[r.int(0, a.subscribers.length - 1)]!;
  return sub;
}

function accessSource(w: World, a: AccessWorld, ex: ExporterModel): FlowSource {
  const hosts = [...w.hosting.values()];
  const hasV6 = w.elsewhere.some((p) => p.family === 6);
  return {
    ex,
    next(r) {
      const sub = onlineSubscriber(a, r);
      const [port, protocol] = SERVICES[r.int(0, SERVICES.length - 1)]!;
      if (sub.v6 && hasV6 && r.chance(0.4)) {
        const src = v6HostIn(sub.v6.delegated, r);
        return { ex, ends: { srcAddr: src, srcPort: ephemeralPort(r), dstAddr: elsewhereAddr(w.elsewhere, r, 6), dstPort: port, protocol }, mirror: null };
      }
      if (r.chance(0.15)) {
        return { ex, ends: { srcAddr: elsewhereAddr(w.elsewhere, r, 4), srcPort: r.int(1024, 65535), dstAddr: sub.framed, dstPort: r.chance(0.5) ? 6881 : 443, protocol: 6 }, mirror: null };
      }
      const pub = publicOf(sub, r);
      const natted = pub.addr !== sub.framed;
      const srcPort = natted ? ephemeralPort(r) : pub.port;
      const h = hosts.length > 0 && r.chance(0.15) ? hosts[r.int(0, hosts.length - 1)]! : null;
      const dstAddr = h ? h.servers[r.int(0, h.servers.length - 1)]! : elsewhereAddr(w.elsewhere, r, 4);
      const ends: FlowEnds = { srcAddr: sub.framed, srcPort, dstAddr, dstPort: port, protocol, postNatSrcAddr: natted ? pub.addr : null, postNatSrcPort: natted ? pub.port : null };
      return { ex, ends, mirror: h ? { ex: h.flow, ends: { srcAddr: pub.addr, srcPort: pub.port, dstAddr, dstPort: port, protocol } } : null };
    },
  };
}

function vpnSource(w: World, v: VpnWorld, ex: ExporterModel): FlowSource {
  return {
    ex,
    next(r) {
      const [port, protocol] = SERVICES[r.int(0, SERVICES.length - 1)]!;
      const ends = { srcAddr: v.exits[r.int(0, v.exits.length - 1)]!, srcPort: r.int(1024, 65535), dstAddr: elsewhereAddr(w.elsewhere, r, 4), dstPort: port, protocol };
      return { ex, ends, mirror: null };
    },
  };
}

function hostingSource(w: World, h: HostingWorld): FlowSource {
  const access = [...w.access.values()];
  const vpns = [...w.vpn.values()];
  return {
    ex: h.flow,
    next(r) {
      const server = h.servers[r.int(0, h.servers.length - 1)]!;
      let src: { addr: string; port: number };
      const pick = r.next();
      if (pick < 0.55 && access.length > 0) {
        const a = access[r.int(0, access.length - 1)]!;
        src = publicOf(onlineSubscriber(a, r), r);
      } else if (pick < 0.7 && vpns.length > 0) {
        const v = vpns[r.int(0, vpns.length - 1)]!;
        src = { addr: v.exits[r.int(0, v.exits.length - 1)]!, port: r.int(1024, 65535) };
      } else {
        src = { addr: elsewhereAddr(w.elsewhere, r, 4), port: ephemeralPort(r) };
      }
      const dstPort = r.chance(0.9) ? 443 : 22;
      return { ex: h.flow, ends: { srcAddr: src.addr, srcPort: src.port, dstAddr: server, dstPort, protocol: 6 }, mirror: null };
    },
  };
}

/** Every flow exporter of the scenario with its background weight. */
export function flowSources(w: World): { source: FlowSource; weight: number }[] {
  const weights = w.scenario.background.flowWeights;
  const out: { source: FlowSource; weight: number }[] = [];
  const add = (source: FlowSource, def: number) => out.push({ source, weight: weights ? weights[source.ex.id] ?? 0 : def });
  for (const a of w.access.values()) if (a.flow) add(accessSource(w, a, a.flow), a.subscribers.length);
  for (const v of w.vpn.values()) if (v.flow) add(vpnSource(w, v, v.flow), v.clients.length);
  for (const h of w.hosting.values()) add(hostingSource(w, h), h.servers.length * 25);
  return out.filter((x) => x.weight > 0);
}

/** Weighted pick, by a cumulative table. */
export function weightedPicker<T>(items: { source: T; weight: number }[]): (r: Rng) => T | null {
  const total = items.reduce((s, x) => s + x.weight, 0);
  return (r) => {
    if (total <= 0) return null;
    let u = r.next() * total;
    for (const x of items) { u -= x.weight; if (u < 0) return x.source; }
    return items[items.length - 1]!.source;
  };
}

// One traced attack: every raw record of the chain (port block or RFC 7422 mapping, entry
// RADIUS session, relay flows, VPN mapping, origin RADIUS session, the victim's own flow
// records), the decoys around it, the TraceRequest the victim's jurisdiction opens, and the
// TRUE chain as ground truth. Pure: (world, attack index) -> records + truth.
import type { TraceRequest } from '../../schemas/types.gen.ts';
import { parsePrefix } from '../common/address.ts';
import { ephemeralPort, v6HostIn, v6Sub } from './address-pools.ts';
import { connectionFlows, type ConnectionPlan } from './attack-flows.ts';
import { exitNeighbours, previousAddressHolder, previousBlockHolder, previousExitPortHolder } from './chain-decoys.ts';
import type { AttackTruth, Decoy, Endpoint, TruthHop } from './ground-truth.ts';
import type { RawOut } from './raw-events.ts';
import type { ChainStep } from './scenario.ts';
import { accessSession, blockSession, vpnSession } from './session-records.ts';
import { streamRng, type World } from './world.ts';

export interface ChainResult { truth: AttackTruth; events: RawOut[] }

const idsOf = (rs: RawOut[]): string[] => rs.map((x) => x.value.eventId);

export function attackChain(w: World, index: number): ChainResult {
  const s = w.scenario;
  const at = s.attacks[index]!;
  const subj = w.subjects[index]!;
  const r = streamRng(s.seed, `attack:${at.name}`);
  const aS = w.t0 + at.startOffsetMs;
  const aE = aS + at.durationMs;
  const openAt = aS + at.trace.openAfterMs;
  // Everything up to the sessions' ends; what falls after the run is dropped (or, for STOPs,
  // moved to the run's end) by Timeline.shutdown.
  const until = Infinity;
  const sessEnd = aE + at.sessionTailMs;
  const interim = s.background.acctInterimIntervalMs;
  const release = (step: ChainStep): number => Math.max(w.t0, at.withhold[step] === undefined ? -Infinity : openAt + at.withhold[step]);
  const id = (tag: string) => () => w.ids(`${at.name}-${tag}`);
  const ea = w.access.get(at.entry)!;
  const sub = subj.entry;
  const host = w.hosting.get(at.victim.provider)!;
  const events: RawOut[] = [];
  const hops: TruthHop[] = [];
  const decoys: Decoy[] = [];
  const lost = at.decoys === 'lost-stops';
  const plant = (make: () => { decoy: Decoy; records: RawOut[] }) => {
    if (at.decoys === 'none') return;
    const p = make();
    decoys.push(p.decoy);
    events.push(...p.records);
  };
  const hop = (h: Omit<TruthHop, 'depth'>) => hops.push({ depth: hops.length + 1, ...h });
  const where = (p: { jurisdiction: string; providerId: string }) => ({ jurisdiction: p.jurisdiction, providerId: p.providerId });

  // What the victim sees, and the port the CGN maps to the relay's listener (PCP).
  const hostPort = ephemeralPort(r);
  const range = sub.blocks[0] ? { lo: sub.blocks[0].lo, hi: sub.blocks[0].hi, addr: sub.blocks[0].outsideAddr }
    : sub.det ? { lo: sub.det.portLo, hi: sub.det.portHi, addr: sub.det.outsideAddr } : null;
  const pub: Endpoint = range ? { addr: range.addr, port: r.int(range.lo, range.hi) } : { addr: sub.framed, port: hostPort };
  const inside: Endpoint = { addr: sub.framed, port: null };

  if (ea.blocks && ea.nat) {
    const b = sub.blocks[0]!;
    const life = { start: sub.blocksStart, stop: sessEnd - 1_000, until, timing: { notBefore: release('entry-nat') } };
    const main = blockSession(ea.nat, r, id('pb'), b, sub.framed, life);
    events.push(...main, ...sub.blocks.slice(1).flatMap((x) => blockSession(ea.nat!, r, id('pb'), x, sub.framed, life)));
    hop({ method: 'PORT_BLOCK', ...where(ea.provider), observed: pub, leadsTo: inside, subscriberHandle: null, evidenceEventIds: idsOf(main), step: 'entry-nat' });
    plant(() => previousBlockHolder(w, ea, r, id('decoy'), b, sub.blocksStart, lost));
    const neighbours = w.access.get(at.entry)!.subscribers.filter((x) => x !== sub && x.blocks.some((y) => y.outsideAddr === b.outsideAddr));
    decoys.push({ kind: 'block-neighbours', description: `${neighbours.length} other subscribers hold other port blocks on ${b.outsideAddr}`, eventIds: [] });
  } else if (ea.rule) {
    hop({ method: 'DETERMINISTIC_NAT', ...where(ea.provider), observed: pub, leadsTo: inside, subscriberHandle: null, evidenceEventIds: [`rule:${ea.provider.providerId}:${ea.rule.insidePrefix}`], step: null });
    decoys.push({ kind: 'shared-outside-address', description: `${pub.addr} is shared by the inside hosts of one RFC 7422 group; ports ${range!.lo}-${range!.hi} are this host's`, eventIds: [] });
  }
  const acc = accessSession(ea, r, id('acct'), sub, { start: sub.sessionStart, stop: sessEnd, until, timing: { notBefore: release('entry-access') } }, interim);
  events.push(...acc);
  hop({ method: 'ACCESS_SESSION', ...where(ea.provider), observed: range ? inside : pub, leadsTo: null, subscriberHandle: sub.handle, evidenceEventIds: idsOf(acc), step: 'entry-access' });
  plant(() => previousAddressHolder(w, ea, r, id('decoy'), sub.framed, sub.sessionStart, lost));
  let terminal = { ...where(ea.provider), subscriberHandle: sub.handle };

  const plan: ConnectionPlan = { start: aS, end: aE, host: sub.framed, hostPort, pub, victim: { addr: subj.victim, port: at.victim.port }, relay: null, tunnel: null };
  if (at.relay && subj.origin && subj.client) {
    const v = w.vpn.get(at.relay.vpn)!;
    const oa = w.access.get(at.relay.origin)!;
    const origin = subj.origin;
    const exit = v.exits[r.int(0, v.exits.length - 1)]!;
    const inUse = v.portsInUse.get(exit)!;
    let exitPort = r.int(1024, 65535);
    while (inUse.has(exitPort)) exitPort = exitPort === 65535 ? 1024 : exitPort + 1;
    inUse.add(exitPort);
    const client: Endpoint = { addr: subj.client.viaV6 ? v6HostIn(origin.v6!.delegated, r) : origin.framed, port: ephemeralPort(r) };
    const mappedPort = range ? r.int(range.lo, range.hi) : at.relay.relayPort;
    plan.relay = { exit: { addr: exit, port: exitPort }, listenPort: at.relay.relayPort, mappedPort, noise: at.relay.concurrentInbound };
    const gateway = subj.client.viaV6 ? v6Gateway(v.provider.prefixes) : v.gateway;
    plan.tunnel = gateway === null ? null : { client, gateway, originExporter: oa.flow, vpnExporter: v.flow };
    const mapStart = Math.round(aS - 200 - r.uniform(5, 60));
    const vpn = vpnSession(v, r, id('vpn'), { exit, exitPort, client: client.addr, clientPort: client.port!, handle: subj.client.handle },
      { start: mapStart, stop: Math.round(aE + r.uniform(500, 5_000)), until, timing: { notBefore: release('vpn') } });
    const oacc = accessSession(oa, r, id('acct'), origin, { start: origin.sessionStart, stop: sessEnd, until, timing: { notBefore: release('origin-access') } }, interim);
    events.push(...vpn, ...oacc);
    plant(() => previousExitPortHolder(w, v, r, id('decoy'), exit, exitPort, mapStart, lost));
    plant(() => exitNeighbours(w, v, r, id('decoy'), exit, aS, aE));
    plant(() => previousAddressHolder(w, oa, r, id('decoy'), origin.framed, origin.sessionStart, lost));
    const flows = connectionFlows(w, r, `${at.name}-flow`, ea.flow, host.flow, plan);
    const truthFlows = new Set([...flows.inboundIds, ...flows.outboundIds]);
    const flowRelease = release('relay-flows');
    events.push(...flows.records.map((x) => (truthFlows.has(x.value.eventId) && x.emitAt < flowRelease ? { ...x, emitAt: flowRelease } : x)));
    decoys.push({ kind: 'relay-inbound-noise', description: `${at.relay.concurrentInbound} unrelated inbound flows to ${sub.framed} overlap the attack`, eventIds: flows.noiseIds });
    hop({ method: 'RELAY_TIMING', ...where(ea.provider), observed: { addr: sub.framed, port: hostPort }, leadsTo: plan.relay.exit, subscriberHandle: null, evidenceEventIds: [...flows.inboundIds, ...flows.outboundIds], step: 'relay-flows' });
    hop({ method: 'VPN_SESSION', ...where(v.provider), observed: plan.relay.exit, leadsTo: client, subscriberHandle: subj.client.handle, evidenceEventIds: idsOf(vpn), step: 'vpn' });
    hop({ method: 'ACCESS_SESSION', ...where(oa.provider), observed: client, leadsTo: null, subscriberHandle: origin.handle, evidenceEventIds: idsOf(oacc), step: 'origin-access' });
    terminal = { ...where(oa.provider), subscriberHandle: origin.handle };
  } else {
    events.push(...connectionFlows(w, r, `${at.name}-flow`, ea.flow, host.flow, plan).records);
  }

  const observedAt = aS + at.observeAfterMs;
  const cc = host.provider.jurisdiction;
  const request: TraceRequest = {
    traceId: `${s.name}-${at.name}-${w.runId}`, action: 'OPEN', requestingJurisdiction: cc, legalBasis: at.trace.legalBasis,
    caseReference: at.trace.caseReference ?? `${cc}-${at.name}-${w.runId}`, srcAddr: pub.addr, srcPort: pub.port, dstAddr: subj.victim,
    dstPort: at.victim.port, protocol: 6, observedTime: Math.round(observedAt + host.flow.clockSkewMs), toleranceMs: at.trace.toleranceMs,
    requestedAt: openAt, expiresAt: openAt + at.trace.expiresAfterMs,
  };
  return {
    truth: { attack: at.name, traceId: request.traceId, request, connection: { start: aS, end: aE, observedAt, protocol: 6 }, hops, terminal, decoys },
    events: events.sort((a, b) => a.emitAt - b.emitAt),
  };
}

/** The VPN's IPv6 gateway: ::1 of its first IPv6 prefix (null when it has none). */
function v6Gateway(prefixes: string[]): string | null {
  const p = prefixes.find((c) => c.includes(':'));
  return p ? v6Sub(parsePrefix(p), 128, 1).replace('/128', '') : null;
}

// The four-jurisdiction chain of the e2e test, as raw provider events with ground truth:
// a victim in GB sees 198.51.100.7:40001 (an FR CGN address) -> FR port block -> FR inside
// 100.64.3.4 -> FR RADIUS subscriber, whose host relays (FR flow records: inbound from a DE
// VPN exit amid unrelated traffic, outbound to the victim) -> DE VPN session -> US RADIUS
// subscriber. The relay traffic comes from the seeded relay fixture, remapped and shifted
// to wall-clock time.
import { createHash } from 'node:crypto';
import type { FlowEvent, SessionEvent, TraceRequest } from '../../schemas/types.gen.ts';
import { PEER_ADDR, RELAY_ADDR, relayScenario } from '../../services/simulator/relay-fixtures.ts';

export const VICTIM = '192.0.2.10';

export interface ChainAddresses { cgn: string; cgnPort: number; inside: string; deExit: string; usClient: string; usClientPort: number }
export interface ChainScenario { request: TraceRequest; flows: FlowEvent[]; sessions: { late: SessionEvent[]; early: SessionEvent[] }; truth: { exitPort: number }; addrs: ChainAddresses }

/** Addresses of one run: windows keep earlier runs' data (correctly), so each run gets its own. */
function addressesFor(run: string): ChainAddresses {
  const h = createHash('sha256').update(run).digest();
  return {
    cgn: `198.51.100.${1 + (h[0]! % 240)}`, cgnPort: 40001, inside: `100.64.${h[1]}.${1 + (h[2]! % 250)}`,
    deExit: `203.0.113.${1 + (h[3]! % 100)}`, usClient: `198.18.${h[4]! % 255}.${1 + (h[5]! % 250)}`, usClientPort: 61000,
  };
}

export function chainScenario(run: string, now: number): ChainScenario {
  const A = addressesFor(run);
  const [CGN, INSIDE, DE_EXIT, US_CLIENT] = [{ addr: A.cgn, port: A.cgnPort }, A.inside, A.deExit, { addr: A.usClient, port: A.usClientPort }];
  const s = relayScenario({ seed: 3, concurrent: 40, kind: 'relay', skewMs: 0 });
  const [truthAddr, truthPort] = [s.truth[0]!.slice(0, s.truth[0]!.lastIndexOf(':')), Number(s.truth[0]!.slice(s.truth[0]!.lastIndexOf(':') + 1))];
  const delta = now - 30_000 - s.lookup.since; // the fixture's "now" lies 30 s ago
  const mapAddr = (a: string) => (a === RELAY_ADDR ? INSIDE : a === PEER_ADDR ? VICTIM : a === truthAddr ? DE_EXIT : a === DE_EXIT ? truthAddr : a);
  const flows: FlowEvent[] = s.events.flatMap((e) => (e.kind !== 'flow' ? [] : [{
    ...e.ev, eventId: `${run}-${e.ev.eventId}`, exporterId: 'fr-flow-1',
    srcAddr: mapAddr(e.ev.srcAddr), dstAddr: mapAddr(e.ev.dstAddr), dstPort: e.ev.dstAddr === PEER_ADDR && e.ev.dstPort === 22 ? 443 : e.ev.dstPort,
    srcPort: e.ev.srcAddr === PEER_ADDR && e.ev.srcPort === 22 ? 443 : e.ev.srcPort,
    startTime: Math.round(e.ev.startTime + delta), endTime: Math.round(e.ev.endTime + delta), exportTime: now, // exported as they are produced: no apparent clock offset
    jurisdiction: null, providerId: null, clockOffsetMs: 0,
  }]));
  const tObs = Math.round((s.lookup.windowFrom + s.lookup.windowTo) / 2 + delta);
  const outbound = flows.find((f) => f.srcAddr === INSIDE && f.dstAddr === VICTIM)!;
  const base = { exportTime: now, natEvent: null, protocol: null, outsideAddr: null, outsidePort: null, portRangeStart: null, portRangeEnd: null,
    insideAddr: null, insidePort: null, framedIpAddress: null, framedIpv6Prefix: null, delegatedIpv6Prefix: null, acctSessionId: null,
    acctDelayTime: null, subscriberHandle: null, jurisdiction: null, providerId: null, clockOffsetMs: 0 } as const;
  const portBlock: SessionEvent = { ...base, eventId: `${run}-pb`, exporterId: 'fr-cgn-1', kind: 'PORT_BLOCK', action: 'START', natEvent: 16,
    eventTime: tObs - 600_000, outsideAddr: CGN.addr, portRangeStart: 39936, portRangeEnd: 40447, insideAddr: INSIDE };
  const frRadius: SessionEvent = { ...base, eventId: `${run}-fr-acct`, exporterId: 'fr-bng-1', kind: 'ACCESS_SESSION', action: 'START',
    eventTime: tObs - 1_200_000, framedIpAddress: INSIDE, acctSessionId: `${run}-fr-A`, subscriberHandle: 'fr-sub-0007', acctDelayTime: 2 };
  const vpn: SessionEvent = { ...base, eventId: `${run}-vpn`, exporterId: 'de-vpn-gw-1', kind: 'VPN_SESSION', action: 'START',
    eventTime: tObs - 300_000, outsideAddr: DE_EXIT, outsidePort: truthPort, insideAddr: US_CLIENT.addr, insidePort: US_CLIENT.port, subscriberHandle: 'de-acct-9' };
  // 20 min before the observation: us-access sends Interim-Updates every 15 min, so a session
  // with no record for more than 3 of them is shown, never decided (its STOP may be lost)
  const usRadius: SessionEvent = { ...base, eventId: `${run}-us-acct`, exporterId: 'us-bng-1', kind: 'ACCESS_SESSION', action: 'START',
    eventTime: tObs - 1_200_000, framedIpAddress: US_CLIENT.addr,
    acctSessionId: `${run}-us-A`, subscriberHandle: 'us-sub-0001' };
  // and one Interim-Update since, as the live session's NAS sends them
  const usInterim: SessionEvent = { ...usRadius, eventId: `${run}-us-acct-i`, action: 'INTERIM', eventTime: tObs - 600_000 };
  const request: TraceRequest = {
    traceId: `trace-${run}`, action: 'OPEN', requestingJurisdiction: 'GB', legalBasis: 'ART33_REALTIME_TRAFFIC', caseReference: `GB-NCA-${run}`,
    srcAddr: CGN.addr, srcPort: CGN.port, dstAddr: VICTIM, dstPort: 443, protocol: 6, observedTime: tObs, toleranceMs: 5000,
    requestedAt: now, expiresAt: now + 3_600_000,
  };
  void outbound;
  return { request, flows, sessions: { early: [usRadius, usInterim, vpn], late: [frRadius, portBlock] }, truth: { exitPort: truthPort }, addrs: A };
}

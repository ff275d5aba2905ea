import { describe, expect, it } from 'vitest';
import type { FlowEvent, SessionEvent } from '../../schemas/types.gen.ts';
import { prefixContains } from '../common/address.ts';
import { deterministicNatReverse } from '../join/matchers/deterministic-nat.ts';
import { attackChain } from './attack-chain.ts';
import { buildWorld } from './world.ts';
import { T0, directory, scenario, type Edits } from './test-fixtures.ts';

function chain(file = 'default.json', edits: Edits = {}) {
  const w = buildWorld(scenario(file, edits), directory, T0, 'c');
  const res = attackChain(w, 0);
  const byId = new Map(res.events.map((x) => [x.value.eventId, x]));
  const sessions = (ids: string[]) => ids.map((id) => byId.get(id)!.value as SessionEvent);
  const flows = (ids: string[]) => ids.map((id) => byId.get(id)!.value as FlowEvent);
  return { w, ...res, byId, sessions, flows };
}

describe('attack chain (default: GB <- FR CGN <- FR relay <- DE VPN <- US)', () => {
  const c = chain();
  const [pb, frAcc, relay, vpn, usAcc] = c.truth.hops;

  it('has the true hops in order, each leading to the next', () => {
    expect(c.truth.hops.map((h) => `${h.depth}:${h.method}:${h.jurisdiction}`)).toEqual(
      ['1:PORT_BLOCK:FR', '2:ACCESS_SESSION:FR', '3:RELAY_TIMING:FR', '4:VPN_SESSION:DE', '5:ACCESS_SESSION:US']);
    expect(pb!.observed).toEqual({ addr: c.truth.request.srcAddr, port: c.truth.request.srcPort });
    expect(frAcc!.observed).toEqual(pb!.leadsTo);
    expect(relay!.observed.addr).toBe(frAcc!.observed.addr);
    expect(vpn!.observed).toEqual(relay!.leadsTo);
    expect(usAcc!.observed).toEqual(vpn!.leadsTo);
    expect(c.truth.terminal).toEqual({ jurisdiction: 'US', providerId: 'us-access', subscriberHandle: usAcc!.subscriberHandle });
    for (const h of c.truth.hops) if (h.method !== 'DETERMINISTIC_NAT') for (const id of h.evidenceEventIds) expect(c.byId.has(id)).toBe(true);
  });

  it('opens the trace the victim would open', () => {
    const r = c.truth.request;
    expect(r.requestingJurisdiction).toBe('GB');
    expect(prefixContains('198.19.0.0/16', r.srcAddr) && r.dstAddr === '192.0.2.10' && r.dstPort === 443).toBe(true);
    expect(r.requestedAt).toBe(T0 + 15_000 + 20_000);
    expect(Math.abs(r.observedTime - (T0 + 25_000))).toBeLessThanOrEqual(2_000);
  });

  it('logs a port block covering the observed port, allocated to the inside address, before the observation', () => {
    const [start, stop] = c.sessions(pb!.evidenceEventIds);
    expect(start).toMatchObject({ kind: 'PORT_BLOCK', action: 'START', natEvent: 16, outsideAddr: pb!.observed.addr, insideAddr: pb!.leadsTo!.addr });
    expect(start!.portRangeStart! <= pb!.observed.port! && pb!.observed.port! <= start!.portRangeEnd!).toBe(true);
    expect(start!.eventTime).toBeLessThan(c.truth.connection.observedAt - 60_000);
    expect(stop).toMatchObject({ action: 'STOP', natEvent: 17 });
  });

  it('logs RADIUS sessions with framed addresses, handles, interims and sometimes Acct-Delay-Time', () => {
    const fr = c.sessions(frAcc!.evidenceEventIds);
    expect(fr[0]).toMatchObject({ kind: 'ACCESS_SESSION', action: 'START', framedIpAddress: frAcc!.observed.addr, subscriberHandle: frAcc!.subscriberHandle });
    expect(new Set(fr.map((e) => e.acctSessionId)).size).toBe(1);
    expect(fr.some((e) => e.action === 'INTERIM')).toBe(true);
    const us = c.sessions(usAcc!.evidenceEventIds);
    expect(us[0]!.framedIpAddress).toBe(usAcc!.observed.addr);
    const all = c.events.map((x) => x.value).filter((v): v is SessionEvent => 'kind' in v && v.kind === 'ACCESS_SESSION');
    expect(all.some((e) => (e.acctDelayTime ?? 0) > 0)).toBe(true);
  });

  it('maps the VPN exit port to the US client', () => {
    const [start] = c.sessions(vpn!.evidenceEventIds);
    expect(start).toMatchObject({ kind: 'VPN_SESSION', outsideAddr: vpn!.observed.addr, outsidePort: vpn!.observed.port, insideAddr: vpn!.leadsTo!.addr, insidePort: vpn!.leadsTo!.port });
  });

  it('relays: inbound from the exit starts 20-200 ms before the outbound to the victim, with interim records, amid other inbound flows', () => {
    const fl = c.flows(relay!.evidenceEventIds);
    const inbound = fl.filter((f) => f.srcAddr === relay!.leadsTo!.addr && f.srcPort === relay!.leadsTo!.port);
    const outbound = fl.filter((f) => f.srcAddr === relay!.observed.addr && f.srcPort === relay!.observed.port);
    expect(inbound.length + outbound.length).toBe(fl.length);
    const lead = outbound[0]!.startTime - inbound[0]!.startTime; // one exporter: skew cancels
    expect(lead).toBeGreaterThanOrEqual(19);
    expect(lead).toBeLessThanOrEqual(201);
    expect(inbound.filter((f) => f.endReason === 'ACTIVE_TIMEOUT').length).toBeGreaterThan(10);
    expect(outbound.every((f) => f.dstAddr === '192.0.2.10' && f.postNatSrcAddr === pb!.observed.addr && f.postNatSrcPort === pb!.observed.port)).toBe(true);
    const others = new Set(c.events.map((x) => x.value as FlowEvent)
      .filter((f) => f.dstAddr === relay!.observed.addr && f.exporterId === 'fr-flow-1' && f.srcAddr !== '192.0.2.10' && `${f.srcAddr}:${f.srcPort}` !== `${relay!.leadsTo!.addr}:${relay!.leadsTo!.port}`)
      .map((f) => `${f.srcAddr}:${f.srcPort}`));
    expect(others.size).toBeGreaterThanOrEqual(40);
  });

  it('shows the victim the connection from the CGN address', () => {
    const gb = c.events.map((x) => x.value as FlowEvent).filter((f) => f.exporterId === 'gb-flow-1' && f.srcAddr === pb!.observed.addr && f.srcPort === pb!.observed.port);
    expect(gb.length).toBeGreaterThan(5);
  });

  it('plants decoys: the previous holder of the block, of the inside address, of the exit port', () => {
    expect(c.truth.decoys.map((d) => d.kind)).toEqual(expect.arrayContaining(['previous-block-holder', 'previous-address-holder', 'previous-exit-port-holder', 'exit-neighbours', 'block-neighbours', 'relay-inbound-noise']));
    const prev = c.sessions(c.truth.decoys.find((d) => d.kind === 'previous-block-holder')!.eventIds).filter((e) => e.kind === 'PORT_BLOCK');
    const [truthStart] = c.sessions(pb!.evidenceEventIds);
    expect(prev[0]).toMatchObject({ outsideAddr: truthStart!.outsideAddr, portRangeStart: truthStart!.portRangeStart });
    expect(prev[0]!.insideAddr).not.toBe(truthStart!.insideAddr);
    expect(prev.map((e) => e.action)).toEqual(['START']); // decoys: lost-stops
  });
});

describe('attack chain variants', () => {
  it('withholds evidence until after the trace opens (late-evidence)', () => {
    const c = chain('late-evidence.json');
    const openAt = c.truth.request.requestedAt;
    const [pb, , , vpn] = c.truth.hops;
    expect(pb!.evidenceEventIds.map((id) => c.byId.get(id)!.emitAt).every((t) => t >= openAt + 15_000)).toBe(true);
    expect(vpn!.evidenceEventIds.map((id) => c.byId.get(id)!.emitAt).every((t) => t >= openAt + 30_000)).toBe(true);
  });

  it('decoys: resolvable logs the previous holders\' stops, none plants nothing', () => {
    const c = chain('default.json', { 'attacks.0.decoys': 'resolvable' });
    const prev = c.sessions(c.truth.decoys.find((d) => d.kind === 'previous-block-holder')!.eventIds).filter((e) => e.kind === 'PORT_BLOCK');
    expect(prev.map((e) => e.action)).toEqual(['START', 'STOP']);
    const none = chain('default.json', { 'attacks.0.decoys': 'none' });
    expect(none.truth.decoys.filter((d) => d.eventIds.length > 0 && d.kind !== 'relay-inbound-noise')).toEqual([]);
  });

  it('resolves a JP address by the published RFC 7422 rule and ends at the JP subscriber', () => {
    const c = chain('jp-detnat.json');
    const [nat, acc] = c.truth.hops;
    expect(c.truth.hops.map((h) => h.method)).toEqual(['DETERMINISTIC_NAT', 'ACCESS_SESSION']);
    const rule = directory.byId('jp-mobile')!.deterministicNat[0]!;
    expect(deterministicNatReverse(rule, c.truth.request.srcAddr, c.truth.request.srcPort)).toEqual([nat!.leadsTo!.addr]);
    expect(nat!.evidenceEventIds).toEqual(['rule:jp-mobile:10.64.0.0/16']);
    expect(c.truth.terminal.subscriberHandle).toBe(acc!.subscriberHandle);
  });

  it('lets the US client reach the VPN over IPv6 from its delegated /56', () => {
    const c = chain('default.json', { 'attacks.0.relay.originIpv6': true });
    const usAcc = c.truth.hops[4]!;
    const origin = c.w.subjects[0]!.origin!;
    expect(prefixContains(origin.v6!.delegated, usAcc.observed.addr)).toBe(true);
  });
});

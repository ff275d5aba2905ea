// The session matcher, method by method: NAT logs, port blocks, RADIUS access sessions, VPN
// sessions and RFC 7422 deterministic NAT (session-join.test.ts has the tricky cases).
import { describe, expect, it } from 'vitest';
import { deterministicNatForward, deterministicNatReverse, resolveDeterministicNat } from './deterministic-nat.ts';
import { matchSessions } from './session-match.ts';
import { T, acct, block, dir, leads, lookup, opts, rec } from './session-record.fixture.ts';

describe('NAT session logs', () => {
  it('maps public ip:port at t to the inside endpoint, with a stable hop id as the STOP arrives', () => {
    const start = rec({});
    const [h] = matchSessions(lookup(), [start], dir, opts);
    expect(h).toMatchObject({ method: 'NAT_LOG', leadsToAddr: '100.64.0.1', leadsToPort: 5555, confidence: 1, rank: 1, active: true, jurisdiction: 'FR' });
    const [h2] = matchSessions(lookup(), [start, rec({ action: 'STOP', natEvent: 2, eventTime: T + 300_000 })], dir, opts);
    expect(h2!.hopId).toBe(h!.hopId);
    expect(h2).toMatchObject({ active: false, lastSeen: T + 300_000 });
  });
  it('does not confuse port reuse over time: the port later mapped to another host', () => {
    const evs = [
      rec({ insideAddr: '100.64.0.1', eventTime: T }), rec({ insideAddr: '100.64.0.1', action: 'STOP', eventTime: T + 30_000 }),
      rec({ insideAddr: '100.64.0.2', eventTime: T + 40_000 }), rec({ insideAddr: '100.64.0.2', action: 'STOP', eventTime: T + 90_000 }),
      rec({ insideAddr: '100.64.0.3', eventTime: T + 100_000 }),
    ];
    expect(leads(matchSessions(lookup(), evs, dir, opts))).toEqual(['100.64.0.2']);
  });
  it('pairs a STOP that arrived before its START, in any order and with duplicates', () => {
    const a = rec({ eventTime: T + 10_000 });
    const b = rec({ action: 'STOP', eventTime: T + 100_000 });
    const out1 = matchSessions(lookup(), [b, a], dir, opts);
    const out2 = matchSessions(lookup(), [a, b, b, a], dir, opts);
    expect(out1).toEqual(out2);
    expect(out1).toHaveLength(1);
    expect(out1[0]).toMatchObject({ firstSeen: T + 10_000, active: false });
  });
  it('closes a session whose STOP was lost at the next claim of the port, and bounds it by max age', () => {
    const lost = rec({ insideAddr: '100.64.0.1', eventTime: T });
    const next = rec({ insideAddr: '100.64.0.9', eventTime: T + 50_000 });
    expect(leads(matchSessions(lookup(), [lost, next], dir, opts))).toEqual(['100.64.0.9']);
    const late = lookup({ windowFrom: T + 2 * 3_600_000, windowTo: T + 2 * 3_600_000 + 1000 });
    expect(matchSessions(late, [lost], dir, opts)).toEqual([]);
  });
  it('a late delete closes the interval: the lookup after it finds nothing', () => {
    const evs = [rec({ eventTime: T }), rec({ action: 'STOP', eventTime: T + 20_000 })];
    expect(matchSessions(lookup(), evs, dir, opts)).toEqual([]);
  });
  it('accepts skew within the clock tolerance and not beyond it', () => {
    const ends = (stop: number) => [rec({ eventTime: T }), rec({ action: 'STOP', eventTime: stop })];
    expect(matchSessions(lookup(), ends(T + 58_500), dir, opts)).toHaveLength(1); // 1.5 s before the window, tolerance 2 s
    expect(matchSessions(lookup(), ends(T + 55_000), dir, opts)).toHaveLength(0);
  });
  it('with a missing source port, reports every mapping on the address, ranked, confidence shared with the holder of the ports none of them holds', () => {
    const evs = [rec({ outsidePort: 40001, insideAddr: '100.64.0.1' }), rec({ outsidePort: 40002, insideAddr: '100.64.0.2', eventTime: T + 1000 }), rec({ outsidePort: 40003, insideAddr: '100.64.0.3', eventTime: T + 2000 })];
    const hops = matchSessions(lookup({ port: null }), evs, dir, opts);
    expect(hops.map((h) => [h.leadsToAddr, h.rank, h.confidence.toFixed(3)])).toEqual([['100.64.0.3', 1, '0.250'], ['100.64.0.2', 2, '0.250'], ['100.64.0.1', 3, '0.250']]);
  });
});

describe('port blocks', () => {
  it('finds the block holding the port at t and ignores neighbours', () => {
    const evs = [block(39936, 40447, '100.64.1.1'), block(40448, 40959, '100.64.1.2')];
    expect(matchSessions(lookup(), evs, dir, opts).map((h) => [h.method, h.leadsToAddr, h.leadsToPort])).toEqual([['PORT_BLOCK', '100.64.1.1', null]]);
  });
  it('handles overlapping re-allocations over time: the block released then given to another host', () => {
    const evs = [block(39936, 40447, '100.64.1.1'), block(39936, 40447, '100.64.1.1', { action: 'STOP', natEvent: 15, eventTime: T + 30_000 }),
      block(39936, 40959, '100.64.1.7', { eventTime: T + 45_000 })];
    expect(leads(matchSessions(lookup(), evs, dir, opts))).toEqual(['100.64.1.7']);
  });
});

describe('access sessions (RADIUS)', () => {
  it('terminates at the subscriber holding the framed address, INTERIM keeps it active', () => {
    const evs = [acct({ framedIpAddress: '198.18.4.5', acctSessionId: 'A', subscriberHandle: 'us-sub-1' }), acct({ framedIpAddress: '198.18.4.5', acctSessionId: 'A', action: 'INTERIM', eventTime: T + 50_000, subscriberHandle: 'us-sub-1' })];
    const [h] = matchSessions(lookup({ addr: '198.18.4.5', port: 51000 }), evs, dir, opts);
    expect(h).toMatchObject({ method: 'ACCESS_SESSION', subscriberHandle: 'us-sub-1', leadsToAddr: null, active: true, jurisdiction: 'US' });
  });
  it('picks the longest IPv6 prefix: framed /64 beats another session\'s /48 holding the address (wider than one delegation)', () => {
    const evs = [
      acct({ framedIpv6Prefix: '2001:db8:1a0:4::/64', acctSessionId: 'A', subscriberHandle: 'us-sub-A' }),
      acct({ framedIpv6Prefix: '2001:db8:1a0::/48', acctSessionId: 'B', subscriberHandle: 'us-sub-B', eventTime: T - 1000 }),
    ];
    const hops = matchSessions(lookup({ addr: '2001:db8:1a0:4::99', port: null }), evs, dir, opts);
    expect(hops.map((h) => h.subscriberHandle)).toEqual(['us-sub-A']);
    // inside another subscriber's delegated /56 (us-access delegates /56s) it does not: both are shown
    const inDelegation = [evs[0]!, acct({ delegatedIpv6Prefix: '2001:db8:1a0::/56', acctSessionId: 'B', subscriberHandle: 'us-sub-B', eventTime: T - 1000 })];
    expect(matchSessions(lookup({ addr: '2001:db8:1a0:4::99', port: null }), inDelegation, dir, opts).map((h) => h.subscriberHandle).sort()).toEqual(['us-sub-A', 'us-sub-B']);
  });
  it('treats a /56 delegated and a /64 framed of one session as one candidate', () => {
    const evs = [acct({ framedIpv6Prefix: '2001:db8:1a0:4::/64', delegatedIpv6Prefix: '2001:db8:1a0:400::/56', acctSessionId: 'A', subscriberHandle: 'h' })];
    expect(matchSessions(lookup({ addr: '2001:db8:1a0:4::1', port: null }), evs, dir, opts)).toHaveLength(1);
    expect(matchSessions(lookup({ addr: '2001:db8:1a0:4ff::1', port: null }), evs, dir, opts)).toHaveLength(1);
  });
  it('ends an open session with a lost stop when the address is handed to another session', () => {
    const evs = [acct({ framedIpAddress: '198.18.4.5', acctSessionId: 'OLD', subscriberHandle: 'old' }),
      acct({ framedIpAddress: '198.18.4.5', acctSessionId: 'NEW', subscriberHandle: 'new', eventTime: T + 30_000 })];
    expect(matchSessions(lookup({ addr: '198.18.4.5' }), evs, dir, opts).map((h) => h.subscriberHandle)).toEqual(['new']);
  });
});

describe('VPN sessions and deterministic NAT', () => {
  it('maps a VPN exit address:port to the client address, keeping the account handle', () => {
    const evs = [rec({ exporterId: 'de-vpn-gw-1', kind: 'VPN_SESSION', natEvent: null, outsideAddr: '203.0.113.7', outsidePort: 40001, insideAddr: '198.18.4.5', insidePort: 61000, subscriberHandle: 'de-acct-9', jurisdiction: 'DE', providerId: 'de-vpn' })];
    const [h] = matchSessions(lookup({ addr: '203.0.113.7' }), evs, dir, opts);
    expect(h).toMatchObject({ method: 'VPN_SESSION', leadsToAddr: '198.18.4.5', leadsToPort: 61000, subscriberHandle: 'de-acct-9', jurisdiction: 'DE' });
  });
  it('RFC 7422: forward and reverse agree, and a lookup resolves without logs', () => {
    const rule = dir.byId('jp-mobile')!.deterministicNat[0]!;
    const f = deterministicNatForward(rule, '10.64.3.200');
    expect(f.portHi - f.portLo).toBe(62);
    expect(deterministicNatReverse(rule, f.outsideAddr, f.portLo + 10)).toEqual(['10.64.3.200']);
    const hops = resolveDeterministicNat(lookup({ addr: f.outsideAddr, port: f.portHi }), dir);
    expect(hops.map((h) => [h.method, h.leadsToAddr, h.confidence, h.jurisdiction])).toEqual([['DETERMINISTIC_NAT', '10.64.3.200', 1, 'JP']]);
    const ambiguous = resolveDeterministicNat(lookup({ addr: f.outsideAddr, port: null }), dir);
    expect(ambiguous).toHaveLength(64);
    expect(ambiguous[0]!.confidence).toBeCloseTo(1 / 1024);
  });
});

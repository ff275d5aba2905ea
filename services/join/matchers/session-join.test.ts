// The session matcher on tricky input: redelivery and order, time, address scope, access
// sessions, blocks and VPN exits, and which arrivals wake a waiting lookup (join.ts wakes).
import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../../schemas/types.gen.ts';
import type { IndexedEvent } from '../join-types.ts';
import { wakes } from '../join.ts';
import { matchSessions } from './session-match.ts';
import { T, acct, block, dir, leads, lookup, opts, rec, vpnRec } from './session-record.fixture.ts';

let seed = 99;
const rnd = (k: number) => Math.floor(((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * k);
const shuffle = <T>(xs: T[]): T[] => { const a = [...xs]; for (let i = a.length - 1; i > 0; i--) { const j = rnd(i + 1); [a[i], a[j]] = [a[j]!, a[i]!]; } return a; };

describe('session join: redelivery and order', () => {
  it('gives identical hops for shuffled and duplicated input (NAT reuse, blocks, open sessions)', () => {
    const evs = [
      rec({ insideAddr: '100.64.0.1', eventTime: T }), rec({ insideAddr: '100.64.0.1', action: 'STOP', eventTime: T + 30_000 }),
      rec({ insideAddr: '100.64.0.2', eventTime: T + 40_000 }), rec({ insideAddr: '100.64.0.4', outsidePort: 40002, eventTime: T + 50_000 }),
      rec({ insideAddr: '100.64.0.2', insidePort: 7777, outsidePort: 40003, eventTime: T + 10_000 }),
      block(41000, 41999, '100.64.1.1'), block(41000, 41999, '100.64.1.1', { action: 'STOP', natEvent: 15, eventTime: T + 61_000 }),
    ];
    const want = matchSessions(lookup({ port: null }), evs, dir, opts);
    expect(want.map((h) => [h.method, h.leadsToAddr, h.leadsToPort, h.rank, h.confidence])).toEqual([
      // shares of 1 + 1 + 0.5 + 1: the holder of the ports no record covers counts as one more
      ['NAT_LOG', '100.64.0.4', 5555, 1, 0.285714], // covers the window; freshest START
      ['NAT_LOG', '100.64.0.2', null, 2, 0.285714], // two mappings (ports 5555, 7777) of one host: one candidate
      ['PORT_BLOCK', '100.64.1.1', null, 3, 0.142857], // released mid-window: covers half of it, so half the weight
    ]);
    for (let i = 0; i < 25; i++) {
      const input = shuffle([...evs, ...evs.filter(() => rnd(2) === 0)]);
      expect(matchSessions(lookup({ port: null }), input, dir, opts)).toEqual(want);
    }
  });
  it('keeps the hop id when the late delete arrives; the hop then says inactive, with the delete as evidence', () => {
    const start = rec({ eventTime: T });
    const l = lookup();
    const [open] = matchSessions(l, [start], dir, opts);
    const stop = rec({ action: 'STOP', natEvent: 2, eventTime: T + 61_000 });
    const [closed] = matchSessions(l, [stop, start], dir, opts);
    expect(open!.active).toBe(true);
    // the delete lies at the observation itself: the session holds half the window's mass
    // (time-kernel.ts); the other half is an unknown holder's
    expect(open!.confidence).toBe(1);
    expect(closed).toEqual({
      ...open, active: false, lastSeen: T + 61_000, decisiveAt: stop.producedAt, confidence: 0.5,
      evidenceEventIds: [`fr-cgn-1/${start.ev.eventId}`, `fr-cgn-1/${stop.ev.eventId}`].sort(),
    });
    expect(closed).toMatchObject({ traceId: 'tr1', parentHopId: null, depth: 1, observedAddr: '198.51.100.7', observedPort: 40001,
      providerId: 'fr-telecom', windowFrom: T + 60_000, windowTo: T + 62_000, firstSeen: T });
  });
});

describe('session join: time', () => {
  it('accepts a START after the window within the clock tolerance, not beyond it', () => {
    expect(matchSessions(lookup(), [rec({ eventTime: T + 62_000 + 1_500 })], dir, opts)).toHaveLength(1);
    expect(matchSessions(lookup(), [rec({ eventTime: T + 62_000 + 2_500 })], dir, opts)).toHaveLength(0);
  });
  it('an open session with a lost stop stays a candidate up to max age, and is active only while the window\'s newest event is within it', () => {
    const start = rec({ eventTime: T });
    const unrelated = (t: number) => rec({ outsidePort: 9, insideAddr: '100.64.9.9', eventTime: t });
    expect(matchSessions(lookup(), [start, unrelated(T + 600_000)], dir, opts)[0]!.active).toBe(true);
    const later = matchSessions(lookup(), [start, unrelated(T + 2 * 3_600_000)], dir, opts);
    expect(later.map((h) => [h.leadsToAddr, h.active, h.lastSeen])).toEqual([['100.64.0.1', false, T]]);
    const edge = (t: number) => lookup({ windowFrom: t, windowTo: t });
    expect(matchSessions(edge(T + 3_600_000 + 1_999), [start], dir, opts)).toHaveLength(1); // bound + tolerance
    expect(matchSessions(edge(T + 3_600_000 + 2_001), [start], dir, opts)).toHaveLength(0);
  });
  it('a STOP with its START lost covers back to the previous holder of the port, not before', () => {
    const evs = [rec({ insideAddr: '100.64.0.1', eventTime: T }), rec({ insideAddr: '100.64.0.1', action: 'STOP', eventTime: T + 20_000 }),
      rec({ insideAddr: '100.64.0.2', action: 'STOP', eventTime: T + 120_000 })];
    const at = (t: number) => leads(matchSessions(lookup({ windowFrom: t, windowTo: t }), evs, dir, opts));
    expect(at(T + 60_000)).toEqual(['100.64.0.2']);
    expect(at(T + 10_000)).toEqual(['100.64.0.1']);
  });
});

describe('session join: addresses and scope', () => {
  it('resolves an IPv4-mapped IPv6 lookup address like the IPv4 one', () => {
    const evs = [rec({})];
    const [h] = matchSessions(lookup({ addr: '::ffff:198.51.100.7' }), evs, dir, opts);
    expect([h!.observedAddr, h!.leadsToAddr]).toEqual(['198.51.100.7', '100.64.0.1']);
    expect(matchSessions(lookup({ addr: 'garbage' }), evs, dir, opts)).toEqual([]);
  });
  it('keeps scoped inside addresses of two providers apart (same 100.64.3.4 at FR and another CGN)', () => {
    const fr = rec({ exporterId: 'fr-bng-1', kind: 'ACCESS_SESSION', natEvent: null, outsideAddr: null, outsidePort: null, insideAddr: null, insidePort: null,
      protocol: null, framedIpAddress: '100.64.3.4', acctSessionId: 'F1', subscriberHandle: 'fr-sub-1' });
    // providerId left null: the directory's exporter table attributes it
    const jp: IndexedEvent = { kind: 'session', producedAt: fr.producedAt,
      ev: { ...(fr.ev as SessionEvent), eventId: 'jp-1', exporterId: 'jp-bng-1', providerId: null, jurisdiction: null, acctSessionId: 'J1', subscriberHandle: 'jp-sub-7' } };
    const scoped = (p: string) => matchSessions(lookup({ addr: '100.64.3.4', scopeProviderId: p, port: null }), [fr, jp], dir, opts)
      .map((h) => [h.providerId, h.jurisdiction, h.subscriberHandle, h.confidence]);
    expect(scoped('fr-telecom')).toEqual([['fr-telecom', 'FR', 'fr-sub-1', 1]]);
    expect(scoped('jp-mobile')).toEqual([['jp-mobile', 'JP', 'jp-sub-7', 1]]);
    expect(scoped('de-vpn')).toEqual([]);
  });
  it('filters other addresses of the same /48 window and picks the longest prefix per address', () => {
    const evs = [
      acct({ framedIpv6Prefix: '2001:db8:1a0:400::/54', acctSessionId: 'A', subscriberHandle: 'sub-A' }),
      acct({ framedIpv6Prefix: '2001:db8:1a0:4ff::/64', acctSessionId: 'B', subscriberHandle: 'sub-B', eventTime: T + 1000 }),
      acct({ framedIpv6Prefix: '2001:db8:1a0:9::/64', acctSessionId: 'C', subscriberHandle: 'sub-C' }),
    ];
    const who = (a: string) => matchSessions(lookup({ addr: a, port: null }), evs, dir, opts).map((h) => h.subscriberHandle);
    expect(who('2001:db8:1a0:4ff::1')).toEqual(['sub-B']);
    expect(who('2001:db8:1a0:401::1')).toEqual(['sub-A']);
    expect(who('2001:db8:1a0:9::abcd')).toEqual(['sub-C']);
    expect(who('2001:db8:1a0:8::1')).toEqual([]);
  });
  it('matches NAT protocol only when both sides know it', () => {
    expect(matchSessions(lookup(), [rec({ protocol: 17 })], dir, opts)).toEqual([]);
    expect(matchSessions(lookup(), [rec({ protocol: null })], dir, opts)).toHaveLength(1);
    expect(matchSessions(lookup({ protocol: null }), [rec({ protocol: 17 })], dir, opts)).toHaveLength(1);
  });
  it('answers only session lookups', () => {
    expect(matchSessions(lookup({ mode: 'relay' }), [rec({})], dir, opts)).toEqual([]);
  });
});

describe('session join: access, blocks, VPN', () => {
  it('pairs an access STOP that lacks the framed address by Acct-Session-Id', () => {
    const evs = [acct({ framedIpAddress: '198.18.4.5', acctSessionId: 'A', subscriberHandle: 'h' }), acct({ action: 'STOP', acctSessionId: 'A', eventTime: T + 61_000 })];
    const [h] = matchSessions(lookup({ addr: '198.18.4.5' }), evs, dir, opts);
    expect([h!.active, h!.lastSeen, h!.evidenceEventIds.length, h!.leadsToAddr, h!.observedPort]).toEqual([false, T + 61_000, 2, null, 40001]);
  });
  it('treats a reconnect of the same subscriber inside the window as one candidate', () => {
    const evs = [acct({ framedIpAddress: '198.18.4.5', acctSessionId: 'S1', subscriberHandle: 'h' }),
      acct({ framedIpAddress: '198.18.4.5', acctSessionId: 'S1', action: 'STOP', eventTime: T + 60_500 }),
      acct({ framedIpAddress: '198.18.4.5', acctSessionId: 'S2', subscriberHandle: 'h', eventTime: T + 61_000 })];
    const hops = matchSessions(lookup({ addr: '198.18.4.5' }), evs, dir, opts);
    // one candidate; the 500 ms between STOP and START (near the observation) is nobody's on
    // record: an unknown holder's share, so the hop is not decisive alone
    expect(hops.map((h) => [h.subscriberHandle, h.confidence, h.evidenceEventIds.length, h.active])).toEqual([['h', 0.875, 3, true]]);
  });
  it('an overlapping newer block ends an older block whose release was lost', () => {
    const evs = [block(1024, 2047, '100.64.1.1', { eventTime: T - 10_000 }), block(1536, 2559, '100.64.1.2', { eventTime: T + 30_000 })];
    const at = (port: number, t: number) => leads(matchSessions(lookup({ port, windowFrom: t, windowTo: t }), evs, dir, opts));
    expect(at(1600, T + 60_000)).toEqual(['100.64.1.2']);
    expect(at(1100, T + 60_000)).toEqual([]); // the older block was released when the overlap was allocated
    expect(at(1100, T)).toEqual(['100.64.1.1']);
    expect(at(1600, T + 20_000)).toEqual(['100.64.1.1']);
  });
  it('without a port, concurrent blocks of one address are all candidates, beside the holder of the ports they leave', () => {
    const evs = [block(1024, 1535, '100.64.1.1'), block(1536, 2047, '100.64.1.2', { eventTime: T + 5000 })];
    const hops = matchSessions(lookup({ port: null }), evs, dir, opts);
    expect(hops.map((h) => [h.leadsToAddr, h.confidence, h.rank])).toEqual([['100.64.1.2', 0.333333, 1], ['100.64.1.1', 0.333333, 2]]);
    // blocks on record that cover every shared port (1024-65535) leave no one else
    const all = [block(1024, 1535, '100.64.1.1'), block(1536, 65535, '100.64.1.2', { eventTime: T + 5000 })];
    expect(matchSessions(lookup({ port: null }), all, dir, opts).map((h) => [h.leadsToAddr, h.confidence])).toEqual([['100.64.1.2', 0.5], ['100.64.1.1', 0.5]]);
    // one subscriber's block over every shared port is the address's only holder: decided
    expect(matchSessions(lookup({ port: null }), [block(1024, 65535, '100.64.1.3')], dir, opts).map((h) => [h.leadsToAddr, h.confidence])).toEqual([['100.64.1.3', 1]]);
    // with a gap between them (2048 not held) the holder of the gap counts again
    const gap = [block(1024, 2047, '100.64.1.1'), block(2049, 65535, '100.64.1.2', { eventTime: T + 5000 })];
    expect(matchSessions(lookup({ port: null }), gap, dir, opts).map((h) => h.confidence)).toEqual([0.333333, 0.333333]);
  });
  it('a shared VPN exit without logged ports leaves every connected client as a candidate', () => {
    const evs = [vpnRec({ outsidePort: null, insideAddr: '198.18.4.5', insidePort: 61000, subscriberHandle: 'de-a' }),
      vpnRec({ outsidePort: null, insideAddr: '192.0.2.200', insidePort: 50000, subscriberHandle: 'de-b', eventTime: T + 1000 }),
      vpnRec({ outsidePort: null, insideAddr: '192.0.2.200', insidePort: 50000, subscriberHandle: 'de-b', action: 'STOP', eventTime: T + 5000 })];
    const hops = matchSessions(lookup({ addr: '203.0.113.7' }), evs, dir, opts);
    // the one client on record is shown, not decided: its record holds no port of the exit alone,
    // so another client whose record is lost may have sent it (one more holder)
    expect(hops.map((h) => [h.method, h.leadsToAddr, h.leadsToPort, h.subscriberHandle, h.confidence])).toEqual([
      ['VPN_SESSION', '198.18.4.5', 61000, 'de-a', 0.5]]);
    const both = matchSessions(lookup({ addr: '203.0.113.7', windowFrom: T + 2000, windowTo: T + 3000 }), evs, dir, opts);
    // de-a covers all of the widened window [T, T+5000], de-b (T+1000..T+5000) all but its
    // first fifth, where the trapezoid (time-kernel.ts) holds 1/8 of the mass: 1 : 7/8 : 1 (the
    // holder of the exit's ports no record holds)
    expect(both.map((h) => [h.subscriberHandle, h.confidence])).toEqual([['de-a', 0.347826], ['de-b', 0.304348]]);
    // beside another client whose session on the port ended just before the window, the client
    // logged without ports is still one of several possible holders: not decided
    const ended = [vpnRec({ outsidePort: 40001, insideAddr: '192.0.2.201', insidePort: 50001, subscriberHandle: 'de-c', eventTime: T + 60_000 - 3600_000 }),
      vpnRec({ outsidePort: 40001, insideAddr: '192.0.2.201', insidePort: 50001, subscriberHandle: 'de-c', action: 'STOP', eventTime: T + 61_000 - 3500 })];
    const lone = vpnRec({ outsidePort: null, insideAddr: '198.18.4.6', insidePort: 61000, subscriberHandle: 'de-d', eventTime: T + 60_000 - 3600_000 });
    expect(matchSessions(lookup({ addr: '203.0.113.7' }), [lone, ...ended], dir, opts).filter((h) => h.confidence >= 0.9)).toEqual([]);
    // a client whose exit port is logged holds it: decided, as before
    const ported = matchSessions(lookup({ addr: '203.0.113.7' }), [vpnRec({ outsidePort: 40001, insideAddr: '198.18.4.5', insidePort: 61000, subscriberHandle: 'de-a' })], dir, opts);
    expect(ported.map((h) => [h.subscriberHandle, h.confidence])).toEqual([['de-a', 1]]);
  });
  it('caps a port-less lookup on a busy CGN address at 64 hops, confidence saying how many there were', () => {
    const evs = Array.from({ length: 100 }, (_, i) => rec({ outsidePort: 20000 + i, insideAddr: `100.64.2.${i}`, eventTime: T + i }));
    const hops = matchSessions(lookup({ port: null }), evs, dir, opts);
    // 100 mappings and the holder of the ports none of them holds: 1/101 each
    expect([hops.length, hops[0]!.confidence, hops[0]!.leadsToAddr, hops[63]!.rank, new Set(hops.map((h) => h.hopId)).size]).toEqual([64, 0.009901, '100.64.2.99', 64, 64]);
  });
});

describe('which arrivals wake a waiting session lookup (join.ts wakes)', () => {
  const vpn = (o: Partial<SessionEvent>) => rec({ kind: 'VPN_SESSION', exporterId: 'de-vpn-gw-1', providerId: 'de-vpn', jurisdiction: 'DE', natEvent: null, outsideAddr: '198.51.100.7', ...o });
  const flow = { kind: 'flow', dir: 'in', producedAt: T, ev: { endTime: T + 61_500 } } as unknown as IndexedEvent;
  const strip = (hs: ReturnType<typeof matchSessions>) => hs.map(({ active: _a, decisiveAt: _d, ...h }) => h);

  it('skips flows and other ports\' mappings, and nothing it skips changes the hops', () => {
    const l = lookup();
    const base = [vpn({ insideAddr: '100.64.0.9', eventTime: T + 50_000 }), vpn({ outsidePort: 40002, eventTime: T + 10_000 })];
    const skipped = [
      flow,
      vpn({ outsidePort: 40003, insideAddr: '100.64.0.4', eventTime: T + 61_000 }),
      vpn({ outsidePort: 40002, action: 'STOP', eventTime: T + 61_000 }),
      rec({ outsidePort: 1234, insideAddr: '100.64.0.5', eventTime: T + 60_500 }),
    ];
    for (const e of skipped) {
      expect(wakes(l, e)).toBe(false);
      expect(strip(matchSessions(l, [...base, e], dir, opts))).toEqual(strip(matchSessions(l, base, dir, opts)));
    }
    // what can change the answer wakes: the port's own mapping (a later START ends the lost-stop one)
    const later = vpn({ insideAddr: '100.64.0.10', eventTime: T + 59_000 });
    expect(wakes(l, later)).toBe(true);
    expect(leads(matchSessions(l, [...base, later], dir, opts))[0]).toBe('100.64.0.10');
    // a record without a port, a port block, an access session, and every session for a port-less lookup
    expect(wakes(l, vpn({ outsidePort: null }))).toBe(true);
    expect(wakes(l, rec({ kind: 'PORT_BLOCK', outsidePort: null, portRangeStart: 1024, portRangeEnd: 2047 }))).toBe(true);
    expect(wakes(l, rec({ kind: 'ACCESS_SESSION', outsidePort: null }))).toBe(true);
    expect(wakes(lookup({ port: null }), vpn({ outsidePort: 40003 }))).toBe(true);
    // a relay lookup wakes for flows only
    expect(wakes(lookup({ mode: 'relay' }), flow)).toBe(true);
    expect(wakes(lookup({ mode: 'relay' }), later)).toBe(false);
  });
});

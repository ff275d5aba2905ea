// A record claims only what it names (issue 10): overlapping prefixes of different lengths
// coexist and the longest wins at match time; same-millisecond STARTs are decided by evidence,
// never by eventId order; sessions live for their provider's maximum age (days), and any order
// of the same records gives the same answer (property test).
import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../../schemas/types.gen.ts';
import { DEFAULT_JOIN_OPTIONS, type IndexedEvent, type Lookup } from '../join-types.ts';
import { createProviderDirectory, loadProvidersFile } from '../../common/provider-directory.ts';
import { DEFAULT_SESSION_AGE_CEILING_MS } from '../methods/session-ages.ts';
import { BY_KIND } from '../methods/index.ts';
import { buildIntervals } from './session-intervals.ts';
import { matchSessions } from './session-match.ts';

const dir = createProviderDirectory(loadProvidersFile(new URL('../../../deploy/providers.json', import.meta.url).pathname));
const T = 1_800_000_000_000;
const H = 3_600_000;
/** Lookups this long after a START-only record: within 3 of us-access's 15-min interim
 *  intervals, so the session is still vouched for (later it is stale: shown, never decided). */
const Q = H / 2;
const opts = { ...DEFAULT_JOIN_OPTIONS, maxSessionAgeMs: DEFAULT_SESSION_AGE_CEILING_MS };
const acct = (id: string, o: Partial<SessionEvent>): IndexedEvent => ({
  kind: 'session', producedAt: T, ev: {
    eventId: id, exporterId: 'us-bng-1', exportTime: T, kind: 'ACCESS_SESSION', action: 'START', natEvent: null, eventTime: T, protocol: null,
    outsideAddr: null, outsidePort: null, portRangeStart: null, portRangeEnd: null, insideAddr: null, insidePort: null,
    framedIpAddress: null, framedIpv6Prefix: null, delegatedIpv6Prefix: null, acctSessionId: id, acctDelayTime: null, subscriberHandle: null,
    jurisdiction: 'US', providerId: 'us-access', clockOffsetMs: 0, ...o,
  },
});
const block = (id: string, o: Partial<SessionEvent>): IndexedEvent => ({
  kind: 'session', producedAt: T, ev: {
    eventId: id, exporterId: 'fr-cgn-1', exportTime: T, kind: 'PORT_BLOCK', action: 'START', natEvent: 14, eventTime: T, protocol: null,
    outsideAddr: '198.19.7.7', outsidePort: null, portRangeStart: 1024, portRangeEnd: 1535, insideAddr: '100.64.9.9', insidePort: null,
    framedIpAddress: null, framedIpv6Prefix: null, delegatedIpv6Prefix: null, acctSessionId: null, acctDelayTime: null, subscriberHandle: null,
    jurisdiction: 'FR', providerId: 'fr-telecom', clockOffsetMs: 0, ...o,
  },
});
const lookup = (addr: string, t: number, port: number | null = null): Lookup => ({
  lookupId: 'L', traceId: 'tr', parentHopId: null, depth: 1, mode: 'session', addr, scopeProviderId: null, port, protocol: 6,
  peerAddr: '192.0.2.10', peerPort: 443, windowFrom: t - 1000, windowTo: t + 1000, since: t,
});
const answer = (hops: ReturnType<typeof matchSessions>) => hops.map((h) => [h.subscriberHandle ?? h.leadsToAddr, h.rank, h.confidence]);

describe('overlapping IPv6 prefixes (Framed-IPv6-Prefix /48 vs Delegated-IPv6-Prefix /56)', () => {
  const x = (id: string, t: number) => acct(id, { eventTime: t, framedIpv6Prefix: '2001:db8:100::/48', subscriberHandle: 'sub-X' });
  const y = (id: string, t: number) => acct(id, { eventTime: t, delegatedIpv6Prefix: '2001:db8:100:ab00::/56', subscriberHandle: 'sub-Y' });
  const inY = lookup('2001:db8:100:ab12::5', T + Q);
  const inXOnly = lookup('2001:db8:100:1::5', T + Q);

  // Y's Interim after X's Start (and within 3 interim intervals of the lookup): the /56 was
  // alive when the /48 was handed out
  const ys = (id: string, t: number) => acct(id, { eventTime: t, acctSessionId: 'y', delegatedIpv6Prefix: '2001:db8:100:ab00::/56', subscriberHandle: 'sub-Y' });
  const yi = (id: string, t: number) => acct(id, { eventTime: t, action: 'INTERIM', acctSessionId: 'y', delegatedIpv6Prefix: '2001:db8:100:ab00::/56', subscriberHandle: 'sub-Y' });
  it.each([
    ['X first, ids ascending', [x('a', T), y('b', T + 1000)]],
    ['Y first, ids ascending', [ys('a', T), x('b', T + 1000), yi('c', T + Q - 60_000)]],
    ['X first, ids descending', [x('z', T), y('b', T + 1000)]],
    ['Y first, ids descending', [ys('z', T), x('b', T + 1000), yi('a', T + Q - 60_000)]],
  ])('names Y (longest prefix) for an address in the /56 at confidence 1, X outside it: %s', (_, evs) => {
    expect(answer(matchSessions(inY, evs, dir, opts))).toEqual([['sub-Y', 1, 1]]);
    expect(answer(matchSessions(inXOnly, evs, dir, opts))).toEqual([['sub-X', 1, 1]]);
  });

  it('a longer prefix with no evidence since the shorter claim began does not win outright: split', () => {
    // the /56's STOP may be lost: the /48 handed out after it is evidence against it
    const evs = [y('a', T), x('b', T + 1000)];
    expect(answer(matchSessions(inY, evs, dir, opts)).map(([h, , c]) => [h, c]).sort()).toEqual([['sub-X', 0.5], ['sub-Y', 0.5]]);
  });

  it('after the /56 is released the /48 holder covers the address again', () => {
    const evs = [x('a', T), y('b', T + 1000), acct('b-stop', { acctSessionId: 'b', action: 'STOP', eventTime: T + Q / 2, subscriberHandle: 'sub-Y' })];
    expect(answer(matchSessions(inY, evs, dir, opts))).toEqual([['sub-X', 1, 1]]);
  });

  it('the same prefix claimed again ends the earlier holder whose STOP was lost', () => {
    const evs = [y('a', T), acct('c', { eventTime: T + 1000, delegatedIpv6Prefix: '2001:db8:100:ab00::/56', subscriberHandle: 'sub-Z' })];
    expect(answer(matchSessions(inY, evs, dir, opts))).toEqual([['sub-Z', 1, 1]]);
  });

  it('one framed IPv4 address: a new holder ends the old one; a different address does not', () => {
    const evs = [acct('a', { framedIpAddress: '198.18.1.1', subscriberHandle: 'sub-A' }),
      acct('b', { eventTime: T + 5000, framedIpAddress: '198.18.1.2', subscriberHandle: 'sub-B' })];
    expect(answer(matchSessions(lookup('198.18.1.1', T + Q), evs, dir, opts))).toEqual([['sub-A', 1, 1]]);
    const again = [...evs, acct('c', { eventTime: T + 9000, framedIpAddress: '198.18.1.1', subscriberHandle: 'sub-C' })];
    expect(answer(matchSessions(lookup('198.18.1.1', T + Q), again, dir, opts))).toEqual([['sub-C', 1, 1]]);
  });
});

describe('STARTs on the same millisecond', () => {
  const a = (id: string) => acct(id, { framedIpAddress: '198.18.2.2', subscriberHandle: 'sub-A' });
  const b = (id: string) => acct(id, { framedIpAddress: '198.18.2.2', subscriberHandle: 'sub-B' });
  it('leave both holders as candidates at 0.5 whatever their ids', () => {
    for (const evs of [[a('1'), b('2')], [a('2'), b('1')], [b('1'), a('2')]]) {
      const hops = matchSessions(lookup('198.18.2.2', T + 60_000), evs, dir, opts);
      expect(hops.map((h) => h.confidence)).toEqual([0.5, 0.5]);
      expect(new Set(hops.map((h) => h.subscriberHandle))).toEqual(new Set(['sub-A', 'sub-B']));
    }
  });
  it('are decided by evidence: the one that STOPs leaves the other', () => {
    const evs = [a('1'), b('2'), acct('1-stop', { acctSessionId: '1', action: 'STOP', eventTime: T + 2000, subscriberHandle: 'sub-A' })];
    expect(answer(matchSessions(lookup('198.18.2.2', T + 60_000), evs, dir, opts))).toEqual([['sub-B', 1, 1]]);
  });
  it('overlapping port blocks allocated on the same millisecond are both candidates', () => {
    const evs = [block('p', {}), block('q', { portRangeStart: 1280, portRangeEnd: 1791, insideAddr: '100.64.9.10' })];
    const hops = matchSessions(lookup('198.19.7.7', T + 60_000, 1300), evs, dir, opts);
    expect(hops.map((h) => h.confidence)).toEqual([0.5, 0.5]);
  });
});

describe('sessions that last for days', () => {
  it('a port block allocated 25 h ago and still live names its holder; a 15-day-old one does not', () => {
    expect(answer(matchSessions(lookup('198.19.7.7', T + 25 * H, 1100), [block('p', {})], dir, opts))).toEqual([['100.64.9.9', 1, 1]]);
    expect(matchSessions(lookup('198.19.7.7', T + 15 * 24 * H, 1100), [block('p', {})], dir, opts)).toEqual([]);
  });
  it('a NAT session lives hours, not days (fr-telecom: 2 h)', () => {
    const nat = block('n', { kind: 'NAT_SESSION', natEvent: 1, outsidePort: 40000, portRangeStart: null, portRangeEnd: null, insidePort: 5000, protocol: 6 });
    expect(matchSessions(lookup('198.19.7.7', T + H, 40000), [nat], dir, opts)).toHaveLength(1);
    expect(matchSessions(lookup('198.19.7.7', T + 3 * H, 40000), [nat], dir, opts)).toEqual([]);
  });
});

describe('any order of the same records gives the same answer (property)', () => {
  let seed = 7;
  const rnd = (k: number) => { seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31; return seed % k; };
  const prefixes = ['2001:db8:100::/48', '2001:db8:100:ab00::/56', '2001:db8:100:ab12::/64', '2001:db8:100:ab00::/56'];
  const shuffle = <X>(xs: X[]) => { for (let i = xs.length - 1; i > 0; i--) { const j = rnd(i + 1); [xs[i], xs[j]] = [xs[j]!, xs[i]!]; } return xs; };

  it('200 random worlds of overlapping prefixes, same-ms STARTs, lost and late STOPs', () => {
    for (let world = 0; world < 200; world++) {
      const evs: IndexedEvent[] = [];
      for (let s = 0; s < 2 + rnd(5); s++) {
        const sid = `w${world}s${s}`;
        const start = T + rnd(4) * 1000; // few distinct times: many same-ms ties
        const prefix = prefixes[rnd(prefixes.length)]!;
        const field = prefix.endsWith('/56') ? 'delegatedIpv6Prefix' : 'framedIpv6Prefix';
        evs.push(acct(`${sid}a`, { acctSessionId: sid, eventTime: start, [field]: prefix, subscriberHandle: `h${s}` }));
        if (rnd(3) === 0) evs.push(acct(`${sid}i`, { acctSessionId: sid, action: 'INTERIM', eventTime: start + 600_000, [field]: prefix, subscriberHandle: `h${s}` }));
        if (rnd(3) === 0) evs.push(acct(`${sid}z`, { acctSessionId: sid, action: 'STOP', eventTime: start + rnd(3) * 1_800_000, subscriberHandle: `h${s}` }));
      }
      const l = lookup('2001:db8:100:ab12::99', T + rnd(3) * 1_800_000);
      const want = matchSessions(l, evs, dir, opts);
      const conf = want.map((h) => h.confidence);
      // shares of the window's mass: never more than 1 in all (the uncovered part is an unknown holder's)
      if (want.length > 0) expect(conf.reduce((x, y) => x + y, 0)).toBeLessThanOrEqual(1 + 1e-5);
      for (const c of conf) expect(c).toBeGreaterThan(0);
      for (let k = 0; k < 6; k++) {
        const ids = rnd(2) === 0 ? evs : evs.map((e) => (e.kind === 'session' ? { ...e, ev: { ...e.ev, eventId: `r${rnd(1e6)}-${e.ev.eventId}` } } : e));
        const got = matchSessions(l, shuffle([...ids]), dir, opts);
        // the same holders at the same confidences, whatever the order and the eventIds
        const key = (hs: typeof want) => hs.map((h) => `${h.subscriberHandle}@${h.confidence}`).sort();
        expect(key(got)).toEqual(key(want));
      }
    }
  });
});

describe('what vouches for a session with no STOP (a lost STOP must not extend it)', () => {
  it('a START-only RADIUS session at a provider that sends interims every 15 min: decided for 45 min, then shown, never decided', () => {
    const x = [acct('x', { framedIpAddress: '198.18.3.3', subscriberHandle: 'sub-X' })];
    expect(answer(matchSessions(lookup('198.18.3.3', T + Q), x, dir, opts))).toEqual([['sub-X', 1, 1]]);
    expect(answer(matchSessions(lookup('198.18.3.3', T + 2 * H), x, dir, opts))).toEqual([['sub-X', 1, 0.5]]);
    // an Interim-Update 10 min before the observation vouches for it again
    const xi = [...x, acct('x-i', { acctSessionId: 'x', action: 'INTERIM', eventTime: T + 2 * H - 600_000, framedIpAddress: '198.18.3.3', subscriberHandle: 'sub-X' })];
    expect(answer(matchSessions(lookup('198.18.3.3', T + 2 * H), xi, dir, opts))).toEqual([['sub-X', 1, 1]]);
  });

  it('no interims declared: a later START of the same address ends it somewhere unknown, so between the two it is not decided', () => {
    const aaa = (id: string, o: Partial<SessionEvent>) => acct(id, { exporterId: 'nl-aaa-1', providerId: 'nl-hosting', jurisdiction: 'NL', framedIpAddress: '192.88.99.40', ...o });
    const x = aaa('x', { subscriberHandle: 'nl-cust-X' });
    // alone, it lives for the provider's maximum age (30 d, capped to 14 d)
    expect(answer(matchSessions(lookup('192.88.99.40', T + 3 * H), [x], dir, opts))).toEqual([['nl-cust-X', 1, 1]]);
    // Y's START at +5 h: X's STOP was lost somewhere in between; at +3 h X is shown, not decided
    const evs = [x, aaa('y', { eventTime: T + 5 * H, subscriberHandle: 'nl-cust-Y' })];
    expect(answer(matchSessions(lookup('192.88.99.40', T + 3 * H), evs, dir, opts))).toEqual([['nl-cust-X', 1, 0.5]]);
    expect(answer(matchSessions(lookup('192.88.99.40', T + 6 * H), evs, dir, opts))).toEqual([['nl-cust-Y', 1, 1]]);
  });

  it('a NAT mapping with no delete is vouched for by its protocol\'s idle timeout (fr-telecom: UDP 5 min, TCP 2 h 4 min)', () => {
    const nat = (protocol: number) => block(`n${protocol}`, { kind: 'NAT_SESSION', natEvent: 1, outsidePort: 40000, portRangeStart: null, portRangeEnd: null, insidePort: 5000, protocol });
    const at = (protocol: number, t: number) => answer(matchSessions({ ...lookup('198.19.7.7', t, 40000), protocol }, [nat(protocol)], dir, opts));
    expect(at(17, T + 120_000)).toEqual([['100.64.9.9', 1, 1]]);
    expect(at(17, T + 600_000)).toEqual([['100.64.9.9', 1, 0.5]]); // a stale UDP mapping: its port may be someone else's now
    expect(at(6, T + H)).toEqual([['100.64.9.9', 1, 1]]);
    expect(at(6, T + 2.5 * H)).toEqual([]); // past fr-telecom's 2 h NAT session age
    // the delete seen: the mapping lasted, whatever the protocol
    const stop = block('n17-stop', { kind: 'NAT_SESSION', action: 'STOP', natEvent: 2, eventTime: T + 900_000, outsidePort: 40000, portRangeStart: null, portRangeEnd: null, insidePort: 5000, protocol: 17 });
    expect(answer(matchSessions({ ...lookup('198.19.7.7', T + 600_000, 40000), protocol: 17 }, [nat(17), stop], dir, opts))).toEqual([['100.64.9.9', 1, 1]]);
  });
});

describe('IPv6: two subscribers in one delegation', () => {
  it('another subscriber\'s /64 inside a delegated /56 (us-access delegates /56s) is a contradiction: both shown, neither decided', () => {
    const evs = [acct('b', { delegatedIpv6Prefix: '2001:db8:1a1:400::/56', subscriberHandle: 'sub-B' }),
      acct('a', { eventTime: T + 1000, framedIpv6Prefix: '2001:db8:1a1:4ff::/64', subscriberHandle: 'sub-A' })];
    const hops = matchSessions(lookup('2001:db8:1a1:4ff::9', T + Q), evs, dir, opts);
    expect(new Set(hops.map((h) => h.subscriberHandle))).toEqual(new Set(['sub-A', 'sub-B']));
    expect(Math.max(...hops.map((h) => h.confidence))).toBeLessThan(0.9);
  });

  it('one subscriber\'s own /64 inside its own /56 is no contradiction', () => {
    const evs = [acct('b', { delegatedIpv6Prefix: '2001:db8:1a1:400::/56', subscriberHandle: 'sub-B' }),
      acct('a', { eventTime: T + 1000, framedIpv6Prefix: '2001:db8:1a1:4ff::/64', subscriberHandle: 'sub-B' })];
    expect(answer(matchSessions(lookup('2001:db8:1a1:4ff::9', T + Q), evs, dir, opts))).toEqual([['sub-B', 1, 1]]);
  });

  it('NAT and VPN records on other outside addresses of the same /48 window never end each other', () => {
    const vpn = (id: string, outsideAddr: string, insideAddr: string, t: number) => acct(id, {
      exporterId: 'de-vpn-gw-1', providerId: 'de-vpn', jurisdiction: 'DE', kind: 'VPN_SESSION', acctSessionId: null, eventTime: t,
      outsideAddr, outsidePort: 40100, protocol: 6, insideAddr, insidePort: 61000, subscriberHandle: `acct-${id}`,
    });
    const evs = [vpn('a', '2001:db8:30::a', '198.18.4.5', T), vpn('b', '2001:db8:30::b', '198.18.4.6', T + 1000)];
    const rules = BY_KIND.VPN_SESSION.session.rules;
    const ivs = buildIntervals(evs.map((e) => ({ ev: (e as { ev: SessionEvent }).ev, producedAt: T })), rules, 86_400_000);
    expect(ivs.map((iv) => iv.endReason)).toEqual(['open', 'open']);
    const nat = BY_KIND.NAT_SESSION.session.rules;
    const a = (evs[0] as { ev: SessionEvent }).ev;
    expect(nat.conflicts({ ...a, kind: 'NAT_SESSION' }, { ...a, kind: 'NAT_SESSION', outsideAddr: '2001:db8:30::b' })).toBe(false);
    expect(BY_KIND.PORT_BLOCK.session.rules.conflicts({ ...a, portRangeStart: 1, portRangeEnd: 9 }, { ...a, outsideAddr: '2001:db8:30::b', portRangeStart: 1, portRangeEnd: 9 })).toBe(false);
  });
});

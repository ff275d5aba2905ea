// A VPN session's CLIENT address (insideAddr, where the hop leads) can change while the
// session (Acct-Session-Id / IKE SA / tunnel) and the exit mapping stay the same. A careful
// analyst follows the address the client had at the observed time, never the one it had when
// the tunnel came up.
//
// Real-world basis:
// - IKEv2 MOBIKE (RFC 4555): the IKE SA and its child SAs move to the client's new address
//   (Wi-Fi -> LTE) without a new session; strongSwan / libreswan log the address update, and
//   RADIUS accounting of such gateways carries the client address (Calling-Station-Id) in
//   Interim-Updates. WireGuard roams the peer endpoint silently on every authenticated packet;
//   OpenVPN `--float` accepts a new client address:port for a live session.
// - VPN daemons count their session ids from 1 again after a restart (strongSwan's IKE_SA
//   unique ids, like the NAS of RFC 2866 5.5): a record under the same id from another client.
import { describe, expect, it } from 'vitest';
import { DEFAULT_JOIN_OPTIONS } from '../join-types.ts';
import { matchSessions } from './session-match.ts';
import { T, acct, dir, lookup, vpnRec } from './session-record.fixture.ts';

const M = 60_000;
const H = 3_600_000;
const opts = { ...DEFAULT_JOIN_OPTIONS };
const OLD = '198.18.4.5'; // where the client connected from (e.g. a cafe's line)
const NEW = '198.18.7.7'; // where the client is at the observed time (its phone's mobile line)
// the victim saw the exit 203.0.113.7:40001 at T (+-2 s)
const at = lookup({ addr: '203.0.113.7', port: 40001, windowFrom: T - 2000, windowTo: T + 2000 });
const decidedTo = (hops: ReturnType<typeof matchSessions>, addr: string) => hops.filter((h) => h.leadsToAddr === addr && h.confidence >= 0.9);

describe('a VPN session whose client address changes', () => {
  it('MOBIKE / roaming: after an Interim-Update names the client\'s new address, the exit is not decided to the old one', () => {
    const start = vpnRec({ eventTime: T - H, acctSessionId: 'ike-7', outsidePort: 40001, insideAddr: OLD, insidePort: 4500, subscriberHandle: 'de-acct-A' });
    const moved = vpnRec({ eventTime: T - 10 * M, action: 'INTERIM', acctSessionId: 'ike-7', outsidePort: 40001, insideAddr: NEW, insidePort: 4500, subscriberHandle: 'de-acct-A' });
    for (const evs of [[start, moved], [moved, start]]) {
      const hops = matchSessions(at, evs, dir, opts);
      // the client was at NEW from (at the latest) T - 10 min: the old address cannot be decided
      expect(decidedTo(hops, OLD)).toEqual([]);
      expect(hops.map((h) => h.leadsToAddr)).toContain(NEW);
    }
  });

  it('a gateway restart reuses session id 1 for another client (no account in the log): the earlier client is not decided', () => {
    // A connected at T-5h as session 1; the gateway restarted at T-2h (A's disconnect never
    // logged); B is the first client after the restart, session 1 again, on the same exit port
    const a = vpnRec({ eventTime: T - 5 * H, acctSessionId: '1', outsidePort: 40001, insideAddr: OLD, insidePort: 4500, subscriberHandle: null });
    const b = vpnRec({ eventTime: T - H, acctSessionId: '1', outsidePort: 40001, insideAddr: NEW, insidePort: 4500, subscriberHandle: null });
    const hops = matchSessions(at, [a, b], dir, opts);
    expect(decidedTo(hops, OLD)).toEqual([]);
    expect(hops.map((h) => h.leadsToAddr)).toContain(NEW);
  });

  it('an Interim-Update that names no account: the move is followed, and the account is not assumed (the id may be another client\'s after a restart)', () => {
    const start = vpnRec({ eventTime: T - H, acctSessionId: 'ike-8', outsidePort: 40001, insideAddr: OLD, insidePort: 4500, subscriberHandle: 'de-acct-A' });
    const moved = vpnRec({ eventTime: T - 10 * M, action: 'INTERIM', acctSessionId: 'ike-8', outsidePort: 40001, insideAddr: NEW, insidePort: 4500, subscriberHandle: null });
    expect(matchSessions(at, [start, moved], dir, opts).map((h) => [h.leadsToAddr, h.subscriberHandle, h.confidence])).toEqual([[NEW, null, 1]]);
    // seen between the two records: the old address, as far as the records tell (it may have moved any time before the Interim)
    const before = lookup({ addr: '203.0.113.7', port: 40001, windowFrom: T - 30 * M - 2000, windowTo: T - 30 * M + 2000 });
    expect(matchSessions(before, [start, moved], dir, opts).map((h) => h.leadsToAddr).sort()).toEqual([OLD, NEW].sort());
  });

  it('a session whose first record names no client address leads where the next one names, until a record names another', () => {
    const bare = vpnRec({ eventTime: T - 2 * H, acctSessionId: 'ike-6', outsidePort: 40001, insideAddr: null, insidePort: null, subscriberHandle: 'de-acct-A' });
    const first = vpnRec({ eventTime: T - H, action: 'INTERIM', acctSessionId: 'ike-6', outsidePort: 40001, insideAddr: OLD, insidePort: 4500, subscriberHandle: 'de-acct-A' });
    const moved = vpnRec({ eventTime: T - 10 * M, action: 'INTERIM', acctSessionId: 'ike-6', outsidePort: 40001, insideAddr: NEW, insidePort: 4500, subscriberHandle: 'de-acct-A' });
    // between the first record that names OLD and the one that names NEW only OLD is known; after it, either
    const at90 = lookup({ addr: '203.0.113.7', port: 40001, windowFrom: T - 90 * M - 2000, windowTo: T - 90 * M + 2000 });
    expect(matchSessions(at90, [bare, first, moved], dir, opts).map((h) => [h.leadsToAddr, h.confidence])).toEqual([[OLD, 1]]);
    const at50 = lookup({ addr: '203.0.113.7', port: 40001, windowFrom: T - 50 * M - 2000, windowTo: T - 50 * M + 2000 });
    expect(matchSessions(at50, [bare, first, moved], dir, opts).map((h) => [h.leadsToAddr, h.confidence]).sort()).toEqual([[OLD, 0.5], [NEW, 0.5]]);
    expect(matchSessions(at, [bare, first, moved], dir, opts).map((h) => [h.leadsToAddr, h.confidence])).toEqual([[NEW, 1]]);
  });

  it('one session id on two exits of one gateway (both in one IPv6 /48 window) is two sessions', () => {
    const a = vpnRec({ eventTime: T - H, acctSessionId: '1', outsideAddr: '2001:db8:77::7', outsidePort: null, insideAddr: OLD, insidePort: 4500, subscriberHandle: null });
    const b = vpnRec({ eventTime: T - 30 * M, acctSessionId: '1', outsideAddr: '2001:db8:77::8', outsidePort: null, insideAddr: NEW, insidePort: 4500, subscriberHandle: null });
    const on7 = lookup({ addr: '2001:db8:77::7', port: 40001, windowFrom: T - 2000, windowTo: T + 2000 });
    // A's tunnel is the only one on ::7 (shown; an exit logged without ports may carry others whose records are lost)
    expect(matchSessions(on7, [a, b], dir, opts).map((h) => h.leadsToAddr)).toEqual([OLD]);
    expect(matchSessions(on7, [b, a], dir, opts).map((h) => h.leadsToAddr)).toEqual([OLD]);
  });

  it('an access session whose Interim-Update adds a prefix without naming the subscriber: the session is found, its subscriber not assumed', () => {
    const start = acct({ eventTime: T - H, acctSessionId: 's1', framedIpAddress: '198.18.1.1', delegatedIpv6Prefix: '2001:db8:1a0::/56', subscriberHandle: 'us-sub-A' });
    const interim = acct({ eventTime: T - 30 * M, action: 'INTERIM', acctSessionId: 's1', framedIpAddress: '198.18.1.1', framedIpv6Prefix: '2001:db8:1a0:4::/64', subscriberHandle: null });
    const l = lookup({ addr: '2001:db8:1a0:4::99', port: null, windowFrom: T - 2000, windowTo: T + 2000 });
    // the Interim may be another subscriber's session under the same id after a NAS reboot: the
    // hop names the session (the provider's own records say whose), not the subscriber before it
    expect(matchSessions(l, [start, interim], dir, opts).map((h) => [h.method, h.subscriberHandle, h.confidence, h.evidenceEventIds.length])).toEqual([['ACCESS_SESSION', null, 1, 1]]);
  });

  it('the client port is followed only where known from the session part\'s first record on; a port named later, or two, leave it unknown (NAT rebinding)', () => {
    const rec = (t: number, insidePort: number | null, o: Record<string, unknown> = {}) => vpnRec({ eventTime: t, action: t === T - H ? 'START' : 'INTERIM', acctSessionId: 'ike-5', outsidePort: 40001, insideAddr: OLD, insidePort, subscriberHandle: 'de-acct-A', ...o });
    const ports = (evs: ReturnType<typeof vpnRec>[]) => matchSessions(at, evs, dir, opts).map((h) => [h.leadsToAddr, h.leadsToPort, h.confidence]);
    // the START names none: 5555 and 6666 later may each have been rebound anywhere before their record
    expect(ports([rec(T - H, null), rec(T - 30 * M, 5555), rec(T - 10 * M, 6666)])).toEqual([[OLD, null, 1]]);
    // a port first named after the observation is not pushed back to before it
    expect(ports([rec(T - H, null), rec(T + 10 * M, 5555)])).toEqual([[OLD, null, 1]]);
    // two ports on one second: unknown, whatever the records' ids
    const two = (a: string, b: string) => ports([rec(T - H, null), rec(T - 30 * M, 5555, { eventId: a }), rec(T - 30 * M, 6666, { eventId: b })]);
    expect(two('zz-1', 'zz-9')).toEqual([[OLD, null, 1]]);
    expect(two('zz-9', 'zz-1')).toEqual([[OLD, null, 1]]);
    // a port named from the START on is followed, through Interim-Updates that do not repeat it
    expect(ports([rec(T - H, 5555), rec(T - 30 * M, null)])).toEqual([[OLD, 5555, 1]]);
    // and another port named later is a move: the new one from there on
    expect(ports([rec(T - H, 5555), rec(T - 10 * M, 6666)])).toEqual([[OLD, 6666, 1]]);
    // an HA peer's copy of the START on the same second without the client port does not unknow it
    expect(ports([rec(T - H, 5555), rec(T - H, null, { exporterId: 'de-vpn-gw-2' })])).toEqual([[OLD, 5555, 1]]);
    // the hop keeps its id as later records arrive
    const id = (evs: ReturnType<typeof vpnRec>[]) => matchSessions(at, evs, dir, opts).map((h) => h.hopId);
    expect(id([rec(T - H, null), rec(T - 30 * M, 5555)])).toEqual(id([rec(T - H, null)]));
  });

  it('two records of one session on one second (syslog\'s resolution), one naming the account, the other a new client address: both shown', () => {
    const a = vpnRec({ eventTime: T - H, acctSessionId: 'ike-4', outsidePort: 40001, insideAddr: OLD, insidePort: 4500, subscriberHandle: 'de-acct-A' });
    const b = vpnRec({ eventTime: T - H, action: 'INTERIM', acctSessionId: 'ike-4', outsidePort: 40001, insideAddr: NEW, insidePort: 4500, subscriberHandle: null });
    for (const evs of [[a, b], [b, a]]) expect(matchSessions(at, evs, dir, opts).map((h) => [h.leadsToAddr, h.confidence]).sort()).toEqual([[OLD, 0.5], [NEW, 0.5]]);
  });
});

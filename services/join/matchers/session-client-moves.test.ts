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
import { T, dir, lookup, vpnRec } from './session-record.fixture.ts';

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
});

// One inside host's TCP and UDP mappings of one outside port (a CGN that keeps an inside host's
// port, RFC 4787/5382 port spaces per protocol) are two sessions: the TCP delete ends the TCP
// mapping only, and another host may then take the TCP port while the UDP mapping lives on. A
// session-20 change that left the protocol out of the NAT session key merged them: the TCP delete
// ended the UDP mapping too and the other host was decided for a lookup of unknown protocol.
import { describe, expect, it } from 'vitest';
import { matchSessions } from './session-match.ts';
import { T, dir, lookup, opts, rec } from './session-record.fixture.ts';

const evs = () => [
  rec({ protocol: 6, insideAddr: '100.64.0.1', insidePort: 5060, eventTime: T }),                       // H TCP create
  rec({ protocol: 17, insideAddr: '100.64.0.1', insidePort: 5060, eventTime: T + 1_000 }),              // H UDP create (same port, EIM)
  rec({ protocol: 6, insideAddr: '100.64.0.1', insidePort: 5060, action: 'STOP', natEvent: 2, eventTime: T + 30_000 }), // H TCP delete
  rec({ protocol: 6, insideAddr: '100.64.0.2', insidePort: 7000, eventTime: T + 40_000 }),              // K TCP create on the freed TCP port
];

describe('one host\'s TCP and UDP mappings of one outside port', () => {
  it('protocol unknown (beyond a VPN hop): H (UDP still mapped) and K (TCP) both candidates, none decided', () => {
    const hs = matchSessions(lookup({ protocol: null }), evs(), dir, opts);
    expect(hs.map((h) => h.leadsToAddr).sort()).toEqual(['100.64.0.1', '100.64.0.2']);
    expect(Math.max(...hs.map((h) => h.confidence))).toBeLessThan(0.9);
  });
  it('UDP lookup: the UDP mapping H still holds decides', () => {
    const hs = matchSessions(lookup({ protocol: 17 }), evs(), dir, opts);
    expect(hs[0]?.leadsToAddr).toBe('100.64.0.1');
    expect(hs[0]!.confidence).toBeGreaterThanOrEqual(0.9);
  });
});

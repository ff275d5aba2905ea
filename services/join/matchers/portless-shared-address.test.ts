// A victim's log without the source port (the common case RFC 6302 asks servers to
// fix) on a CGN's public address. The address is shared by many subscribers at once (RFC 6888,
// RFC 6269); a port block covers only its part of the port space. One block on record does not
// make its holder the sender: the rest of the port space is held by subscribers whose
// allocations are not in the window (lost: CGN logs travel over UDP syslog / IPFIX-over-UDP,
// RFC 7011 10.3; or allocated long ago and held since by an always-on CPE).
//
// DETERMINISTIC_NAT already gets this right (a port-less lookup is 1/S per inside host); the
// session matcher's "unknown holder" mass (session-match.ts) covers the uncovered TIME of the
// window only, not the uncovered PORTS of a port-less lookup.
import { describe, expect, it } from 'vitest';
import { DEFAULT_JOIN_OPTIONS } from '../join-types.ts';
import { matchSessions } from './session-match.ts';
import { T, block, dir, lookup } from './session-record.fixture.ts';

const D = 86_400_000;
const opts = { ...DEFAULT_JOIN_OPTIONS };
// fr-telecom (kind CGN) public address 198.51.100.7 at T, no source port in the victim's log
const portless = lookup({ port: null, windowFrom: T - 2000, windowTo: T + 2000 });

describe('a port-less lookup on a CGN public address', () => {
  it('the only block on record (512 of 64512 ports) is not decided: the sender may hold any other block', () => {
    // Y's block 1536-2047 allocated 3 days ago; X's block 1024-1535 (X sent the traffic, from
    // port 1100) was allocated 2 days ago but that allocation record was lost
    const y = block(1536, 2047, '100.64.0.2', { eventTime: T - 3 * D });
    const hops = matchSessions(portless, [y], dir, opts);
    expect(hops.filter((h) => h.confidence >= 0.9)).toEqual([]);
    expect(hops.map((h) => [h.leadsToAddr, h.confidence])).toEqual([['100.64.0.2', 0.5]]); // shown, beside the unknown holder
    // with X's allocation on record both are shown, neither decided, and the ports of neither
    // still count as one more holder
    const x = block(1024, 1535, '100.64.0.1', { eventTime: T - 2 * D });
    expect(matchSessions(portless, [y, x], dir, opts).map((h) => h.confidence)).toEqual([0.333333, 0.333333]);
  });

  it('ports given up just before the window are not held across it: their next holder may be one whose record is lost', () => {
    const y = block(1024, 1535, '100.64.0.2', { eventTime: T - 3 * D });
    for (const releasedAgo of [4500, 3900, 2500, 1000]) {
      const x = [block(1536, 65535, '100.64.0.1', { eventTime: T - 3 * D }), block(1536, 65535, '100.64.0.1', { action: 'STOP', natEvent: 17, eventTime: T - releasedAgo })];
      const hops = matchSessions(portless, [y, ...x], dir, opts);
      expect(hops.filter((h) => h.confidence >= 0.9)).toEqual([]);
    }
  });
});

// How far back a NAT delete that stays without its protocol reaches (nat-log.ts bounds), the cases
// a sixth review wrote: only the record without its protocol is bounded (a TCP delete is not
// bounded by the host's protocol-less create); and no bound where another host's record lies in
// between (the family's records then do not say whose that stretch was), so K, whose TCP mapping's
// delete was lost, is not decided alone.
import { describe, expect, it } from 'vitest';
import { matchSessions } from './session-match.ts';
import { T, decidedAddrs as decided, dir, HOST_H as H, HOST_K as K, natLookup as L, natOpts as o, rec } from './session-record.fixture.ts';

const M = 60_000;

describe('a TCP delete (create not in the records) bounded by the host\'s protocol-less (syslog) create of its UDP mapping', () => {
  const evs = () => [
    rec({ protocol: 6, ...K, eventTime: T - 90 * M }), // K TCP, delete lost
    rec({ protocol: null, exporterId: 'fr-cgn-syslog-1', ...H, eventTime: T - 5 * M }), // H create (UDP), syslog only
    rec({ protocol: 6, ...H, action: 'STOP', natEvent: 2, eventTime: T }), // H TCP delete, create lost: H held TCP since some time in (T-90, T)
  ];
  it('TCP lookup at T-30 min: K must not be decided', () => {
    const hs = matchSessions(L(T - 30 * M), evs(), dir, o);
    expect(decided(hs)).not.toContain(K.insideAddr);
  });
});

describe('same, the host\'s earlier protocol-less session already ended (done)', () => {
  const evs = () => [
    rec({ protocol: 6, ...K, eventTime: T - 90 * M }),
    rec({ protocol: null, exporterId: 'fr-cgn-syslog-1', ...H, eventTime: T - 10 * M }),
    rec({ protocol: null, exporterId: 'fr-cgn-syslog-1', ...H, action: 'STOP', natEvent: 2, eventTime: T - 5 * M }),
    rec({ protocol: 6, ...H, action: 'STOP', natEvent: 2, eventTime: T }),
  ];
  it('TCP lookup at T-30 min: K must not be decided', () => {
    const hs = matchSessions(L(T - 30 * M), evs(), dir, o);
    expect(decided(hs)).not.toContain(K.insideAddr);
  });
});

describe('a protocol-less delete (TCP, its IPFIX create and delete lost) bounded by the host\'s ended UDP mapping', () => {
  const evs = () => [
    rec({ protocol: 6, ...K, eventTime: T - 90 * M }), // K TCP, delete lost
    rec({ protocol: 17, ...H, eventTime: T - 20 * M }), // H UDP
    rec({ protocol: 17, ...H, action: 'STOP', natEvent: 2, eventTime: T - 5 * M }),
    rec({ protocol: null, exporterId: 'fr-cgn-syslog-1', ...H, action: 'STOP', natEvent: 2, eventTime: T }), // H's TCP delete
  ];
  it('TCP lookup at T-30 min: K must not be decided', () => {
    const hs = matchSessions(L(T - 30 * M), evs(), dir, o);
    expect(decided(hs)).not.toContain(K.insideAddr);
  });
});


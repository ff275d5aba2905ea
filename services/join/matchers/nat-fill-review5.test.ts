// NAT deletes and creates logged without their protocol beside IPFIX, the cases a fifth review
// wrote: a protocol-less create is not filled from the other protocol's live mapping (it may be
// this protocol's create); one exporter's two protocol-less deletes are not both copies of one
// logged delete; a delete that stays without its protocol reaches back no further than its
// endpoints' own mappings.
import { describe, expect, it } from 'vitest';
import { matchSessions } from './session-match.ts';
import { T, decidedAddrs as decided, dir, HOST_H as H, HOST_K as K, natLookup as L, natOpts as o, rec } from './session-record.fixture.ts';

const M = 60_000;

describe('a protocol-less create filled from the other protocol\'s one live mapping', () => {
  const evs = () => [
    rec({ protocol: 6, ...K, eventTime: T - 30 * M }), // K TCP, delete lost
    rec({ protocol: 17, ...H, eventTime: T - 10_000 }), // H UDP (IPFIX)
    rec({ protocol: null, exporterId: 'fr-cgn-syslog-1', ...H, eventTime: T }), // H create, syslog only: TCP or the UDP one's copy
  ];
  it('TCP lookup at T+1 min: K not decided', () => {
    expect(decided(matchSessions(L(T + M), evs(), dir, o))).not.toContain(K.insideAddr);
  });
});

describe('two syslog deletes 1 s apart both taken as copies of the one UDP delete (IPFIX TCP delete lost)', () => {
  const evs = () => [
    rec({ protocol: 6, ...H, eventTime: T - 30 * M }),
    rec({ protocol: 17, ...H, eventTime: T - 20 * M }),
    rec({ protocol: 17, ...H, action: 'STOP', natEvent: 2, eventTime: T }),
    rec({ protocol: null, exporterId: 'fr-cgn-syslog-1', ...H, action: 'STOP', natEvent: 2, eventTime: T }),
    rec({ protocol: null, exporterId: 'fr-cgn-syslog-1', ...H, action: 'STOP', natEvent: 2, eventTime: T + 1000 }),
  ];
  it('TCP lookup at T+5 min: H not decided', () => {
    expect(decided(matchSessions(L(T + 5 * M), evs(), dir, o))).toEqual([]);
  });
});

describe('an unfilled protocol-less delete (both live) reaches back before its host\'s creates', () => {
  const evs = () => [
    rec({ protocol: 6, ...H, eventTime: T - 30 * M }),
    rec({ protocol: 17, ...H, eventTime: T - 20 * M }),
    rec({ protocol: null, exporterId: 'fr-cgn-syslog-1', ...H, action: 'STOP', natEvent: 2, eventTime: T }),
  ];
  it('TCP lookup at T-100 min: H not decided', () => {
    expect(decided(matchSessions(L(T - 100 * M), evs(), dir, o))).toEqual([]);
  });
});

// A NAT delete logged without its protocol (syslog beside IPFIX with protocolIdentifier), the
// cases a third review wrote against nat-log.ts fillIn: a copy of a delete (before or after it,
// syslog truncated to the second) is that delete's; a delete whose protocol is one live mapping's
// takes it; with both protocols live it ends neither; none reaches back past its endpoints' own
// records; the answer does not depend on arrival order; the fill sees every protocol's records.
import { describe, expect, it } from 'vitest';
import { matchSessions } from './session-match.ts';
import { T, dir, lookup, opts, rec } from './session-record.fixture.ts';

const M = 60_000;
const sum = (hs: { leadsToAddr: string | null; confidence: number }[]) => hs.map((h) => `${h.leadsToAddr}@${h.confidence}`);
const H = { insideAddr: '100.64.0.1', insidePort: 5060 };
const K = { insideAddr: '100.64.0.2', insidePort: 7000 };

describe('a TCP delete logged twice (IPFIX with protocol, syslog without), H has TCP and UDP on the port', () => {
  // the commit's own nat-protocol-key scenario plus the syslog copy of the TCP delete 500 ms later
  const evs = () => [
    rec({ protocol: 6, ...H, eventTime: T }),
    rec({ protocol: 17, ...H, eventTime: T + 1_000 }),
    rec({ protocol: 6, ...H, action: 'STOP', natEvent: 2, eventTime: T + 30_000 }),
    rec({ protocol: null, exporterId: 'fr-cgn-syslog-1', ...H, action: 'STOP', natEvent: 2, eventTime: T + 30_500 }),
    rec({ protocol: 6, ...K, eventTime: T + 40_000 }),
  ];
  it('protocol unknown: H (UDP still mapped) and K, none decided', () => {
    const hs = matchSessions(lookup({ protocol: null }), evs(), dir, opts);
    expect(hs.map((h) => h.leadsToAddr).sort()).toEqual(['100.64.0.1', '100.64.0.2']);
    expect(Math.max(...hs.map((h) => h.confidence))).toBeLessThan(0.9);
  });
  it('UDP lookup: H decided', () => {
    const hs = matchSessions(lookup({ protocol: 17 }), evs(), dir, opts);
    expect(hs[0]?.leadsToAddr).toBe('100.64.0.1');
    expect(hs[0]!.confidence).toBeGreaterThanOrEqual(0.9);
  });
});

describe('one TCP mapping, its delete logged twice, the protocol-less copy after: no phantom reaching back', () => {
  // lookup at T+60 s; H's mapping is created only at T+30 min and deleted at T+40 min
  const evs = () => [
    rec({ protocol: 6, ...H, eventTime: T + 30 * M }),
    rec({ protocol: 6, ...H, action: 'STOP', natEvent: 2, eventTime: T + 40 * M }),
    rec({ protocol: null, exporterId: 'fr-cgn-syslog-1', ...H, action: 'STOP', natEvent: 2, eventTime: T + 40 * M + 1_000 }),
  ];
  it('TCP lookup 29 min before H\'s create: H not decided', () => {
    const hs = matchSessions(lookup({ protocol: 6 }), evs(), dir, opts);
    expect(hs.filter((h) => h.confidence >= 0.9)).toEqual([]);
  });
});

describe('two protocols live, the protocol-less copy of the TCP delete FIRST (syslog truncated to the second)', () => {
  const evs = () => [
    rec({ protocol: 6, ...H, eventTime: T + 30 * M }),
    rec({ protocol: 17, ...H, eventTime: T + 30 * M + 1_000 }),
    rec({ protocol: null, exporterId: 'fr-cgn-syslog-1', ...H, action: 'STOP', natEvent: 2, eventTime: T + 40 * M }),
    rec({ protocol: 6, ...H, action: 'STOP', natEvent: 2, eventTime: T + 40 * M + 377 }),
  ];
  it('TCP lookup 29 min before H\'s creates: H not decided', () => {
    const hs = matchSessions(lookup({ protocol: 6 }), evs(), dir, opts);
    expect(hs.filter((h) => h.confidence >= 0.9)).toEqual([]);
  });
  it('K held the TCP port then (create and delete on record): K decided', () => {
    const hs = matchSessions(lookup({ protocol: 6 }), [
      rec({ protocol: 6, ...K, eventTime: T }), rec({ protocol: 6, ...K, action: 'STOP', natEvent: 2, eventTime: T + 10 * M }), ...evs()], dir, opts);
    expect(hs[0]?.leadsToAddr).toBe('100.64.0.2');
    expect(hs[0]!.confidence).toBeGreaterThanOrEqual(0.9);
  });
});

describe('same-ms records: the answer must not depend on arrival order', () => {
  // H TCP at T; at T+30 s (syslog whole second) H's UDP create and a protocol-less delete
  const evs = () => [
    rec({ protocol: 6, ...H, eventTime: T }),
    rec({ protocol: 17, ...H, eventTime: T + 30_000 }),
    rec({ protocol: null, exporterId: 'fr-cgn-syslog-1', ...H, action: 'STOP', natEvent: 2, eventTime: T + 30_000 }),
    rec({ protocol: 6, ...K, eventTime: T + 40_000 }),
  ];
  it('forward and reverse give the same hops', () => {
    const e = evs();
    const a = sum(matchSessions(lookup({ protocol: null }), e, dir, opts));
    const b = sum(matchSessions(lookup({ protocol: null }), [...e].reverse(), dir, opts));
    expect(b.sort()).toEqual(a.sort());
  });
});

describe('as N2b (both live, protocol-less copy first), the lookup beyond a VPN hop (protocol unknown)', () => {
  const evs = () => [
    rec({ protocol: 6, ...H, eventTime: T + 30 * M }),
    rec({ protocol: 17, ...H, eventTime: T + 30 * M + 1_000 }),
    rec({ protocol: null, exporterId: 'fr-cgn-syslog-1', ...H, action: 'STOP', natEvent: 2, eventTime: T + 40 * M }),
    rec({ protocol: 6, ...H, action: 'STOP', natEvent: 2, eventTime: T + 40 * M + 377 }),
  ];
  it('lookup 29 min before H\'s creates, protocol null: H not decided', () => {
    const hs = matchSessions(lookup({ protocol: null }), evs(), dir, opts);
    expect(hs.filter((h) => h.confidence >= 0.9)).toEqual([]);
  });
});

describe('the fill is computed on the lookup\'s subset of records (mine), not on the family', () => {
  // H TCP and UDP live; one protocol-less delete (which one is not known). A TCP lookup does not
  // see the UDP create, so fills the delete as TCP; a UDP lookup fills it as UDP. Each lookup ends
  // the looked-up protocol's mapping: H, who holds one of them, is a candidate for neither.
  const evs = () => [
    rec({ protocol: 6, ...H, eventTime: T }),
    rec({ protocol: 17, ...H, eventTime: T + 1_000 }),
    rec({ protocol: null, exporterId: 'fr-cgn-syslog-1', ...H, action: 'STOP', natEvent: 2, eventTime: T + 30_000 }),
  ];
  it('H is a candidate for a TCP or a UDP lookup after the delete', () => {
    const tcp = matchSessions(lookup({ protocol: 6 }), evs(), dir, opts);
    const udp = matchSessions(lookup({ protocol: 17 }), evs(), dir, opts);
    expect([...tcp, ...udp].map((h) => h.leadsToAddr)).toContain('100.64.0.1');
  });
});

// One host's TCP and UDP mappings of one port deleted within a second, every delete logged by
// IPFIX (with its protocol) and by syslog (without): each syslog delete is the copy of the IPFIX
// delete nearest it, and no session is inferred before the host's creates.
import { describe, expect, it } from 'vitest';
import { matchSessions } from './session-match.ts';
import { T, dir, lookup, opts, rec } from './session-record.fixture.ts';

const M = 60_000;
const sum = (hs: { leadsToAddr: string | null; confidence: number }[]) => hs.map((h) => `${h.leadsToAddr}@${h.confidence}`);
const H = { insideAddr: '100.64.0.1', insidePort: 5060 };
const o = { ...opts, maxSessionAgeMs: 6 * 3_600_000 };
const L = (at: number, protocol: number | null = 6) => lookup({ protocol, windowFrom: at - 1000, windowTo: at + 1000, since: at });
const decided = (l: ReturnType<typeof L>, evs: ReturnType<typeof rec>[]) => sum(matchSessions(l, evs, dir, o)).filter((s) => Number(s.split('@')[1]) >= 0.9);

describe('H TCP+UDP, both deleted within 1 s, every delete logged by IPFIX (with protocol) and syslog (without)', () => {
  const evs = () => [
    rec({ protocol: 6, ...H, eventTime: T - 30 * M }),
    rec({ protocol: 17, ...H, eventTime: T - 20 * M }),
    rec({ protocol: 17, ...H, action: 'STOP', natEvent: 2, eventTime: T }),
    rec({ protocol: null, exporterId: 'fr-cgn-syslog-1', ...H, action: 'STOP', natEvent: 2, eventTime: T }),
    rec({ protocol: 6, ...H, action: 'STOP', natEvent: 2, eventTime: T + 1000 }),
    rec({ protocol: null, exporterId: 'fr-cgn-syslog-1', ...H, action: 'STOP', natEvent: 2, eventTime: T + 1000 }),
  ];
  it('TCP lookup 60 min before H\'s creates: H must not be decided', () => {
    expect(decided(L(T - 60 * M), evs())).toEqual([]);
  });
  it('UDP lookup 60 min before: H must not be decided', () => {
    expect(decided(L(T - 60 * M, 17), evs())).toEqual([]);
  });
  it('a TCP or UDP lookup 5 min after: nothing decided (both mappings ended)', () => {
    expect(decided(L(T + 5 * M), evs())).toEqual([]);
    expect(decided(L(T + 5 * M, 17), evs())).toEqual([]);
  });
  it('a TCP lookup 10 min before the deletes: H decided', () => {
    expect(decided(L(T - 10 * M), evs())).toEqual(['100.64.0.1@1']);
  });
});

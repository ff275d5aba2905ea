// NAT records without their protocol beside ones with it, the cases a fourth review wrote: a
// protocol-less record of one host's endpoints must not end that host's mapping of the other
// protocol so that another host is decided (A, B, B2); a protocol-less create of a host whose
// mappings are live leaves it the holder (C); a delete without protocol 20 s after the other
// protocol's delete is not its copy while this protocol's mapping is live (E); a mapping older than
// its maximum age is not live when a delete without protocol is filled (F).
import { describe, expect, it } from 'vitest';
import { matchSessions } from './session-match.ts';
import { T, dir, lookup, opts, rec } from './session-record.fixture.ts';

const M = 60_000;
const sum = (hs: { leadsToAddr: string | null; confidence: number }[]) => hs.map((h) => `${h.leadsToAddr}@${h.confidence}`);
const H = { insideAddr: '100.64.0.1', insidePort: 5060 };
const K = { insideAddr: '100.64.0.2', insidePort: 7000 };
const o = { ...opts, maxSessionAgeMs: 6 * 3_600_000 };
const L = (at: number, protocol: number | null = 6) => lookup({ protocol, windowFrom: at - 1000, windowTo: at + 1000, since: at });

describe('H TCP create seen only via syslog (null), H UDP create via IPFIX; K older TCP mapping, STOP lost', () => {
  const evs = () => [
    rec({ protocol: 6, ...K, eventTime: T - 30 * M }),
    rec({ protocol: null, exporterId: 'fr-cgn-syslog-1', ...H, eventTime: T }),
    rec({ protocol: 17, ...H, eventTime: T + 10_000 }),
  ];
  it('TCP lookup at T+1 min: K must not be decided (H may hold TCP)', () => {
    const hs = matchSessions(L(T + M), evs(), dir, o);
    expect(hs.filter((h) => h.confidence >= 0.9 && h.leadsToAddr === K.insideAddr)).toEqual([]);
  });
});

describe('H TCP live, H UDP create (IPFIX) + its syslog copy (null) while both live; K null-only create later', () => {
  const evs = () => [
    rec({ protocol: 6, ...H, eventTime: T - 30 * M }),
    rec({ protocol: 17, ...H, eventTime: T }),
    rec({ protocol: null, exporterId: 'fr-cgn-syslog-1', ...H, eventTime: T + 500 }),
    rec({ protocol: 17, ...H, action: 'STOP', natEvent: 2, eventTime: T + 3 * M }),
    rec({ protocol: null, exporterId: 'fr-cgn-syslog-1', ...H, action: 'STOP', natEvent: 2, eventTime: T + 3 * M + 500 }),
    // K's UDP mapping logged by syslog only (IPFIX record lost)
    rec({ protocol: null, exporterId: 'fr-cgn-syslog-1', ...K, eventTime: T + 5 * M }),
  ];
  it('TCP lookup at T+30 min (H\'s TCP mapping still live, its STOP not yet logged): K must not be decided', () => {
    const hs = matchSessions(L(T + 30 * M), evs(), dir, o);
    expect(hs.filter((h) => h.confidence >= 0.9 && h.leadsToAddr === K.insideAddr)).toEqual([]);
  });
});

describe('protocol-less CREATE of H while H TCP and UDP live (the brief\'s case), no other host', () => {
  const evs = () => [
    rec({ protocol: 6, ...H, eventTime: T - 30 * M }),
    rec({ protocol: 17, ...H, eventTime: T }),
    rec({ protocol: null, exporterId: 'fr-cgn-syslog-1', ...H, eventTime: T + 500 }),
  ];
  it('TCP lookup at T+30 min: H', () => {
    const hs = matchSessions(L(T + 30 * M), evs(), dir, o);
    expect(sum(hs)).toEqual(['100.64.0.1@1']);
  });
});

describe('copy rule preempts the one live mapping: H UDP delete (IPFIX), then H TCP delete syslog-only 20 s later', () => {
  const evs = () => [
    rec({ protocol: 6, ...H, eventTime: T - 30 * M }),
    rec({ protocol: 17, ...H, eventTime: T }),
    rec({ protocol: 17, ...H, action: 'STOP', natEvent: 2, eventTime: T + M }),
    rec({ protocol: null, exporterId: 'fr-cgn-syslog-1', ...H, action: 'STOP', natEvent: 2, eventTime: T + M + 20_000 }),
  ];
  it('TCP lookup at T+30 min: H not decided', () => {
    const hs = matchSessions(L(T + 30 * M), evs(), dir, o);
    expect(hs.filter((h) => h.confidence >= 0.9)).toEqual([]);
  });
});

describe('filledIn "live" ignores expiry: H UDP create 10 h ago (expired), H TCP create, TCP delete syslog-only', () => {
  const evs = () => [
    rec({ protocol: 17, ...H, eventTime: T - 600 * M }),
    rec({ protocol: 6, ...H, eventTime: T }),
    rec({ protocol: null, exporterId: 'fr-cgn-syslog-1', ...H, action: 'STOP', natEvent: 2, eventTime: T + M }),
  ];
  it('TCP lookup at T+30 min: H not decided (its only live mapping was deleted)', () => {
    const hs = matchSessions(L(T + 30 * M), evs(), dir, o);
    expect(hs.filter((h) => h.confidence >= 0.9)).toEqual([]);
  });
});

describe('as B without H\'s UDP delete: H TCP live, H UDP create + its syslog copy (null, both live), K null-only create', () => {
  const evs = () => [
    rec({ protocol: 6, ...H, eventTime: T - 30 * M }),
    rec({ protocol: 17, ...H, eventTime: T }),
    rec({ protocol: null, exporterId: 'fr-cgn-syslog-1', ...H, eventTime: T + 500 }),
    rec({ protocol: null, exporterId: 'fr-cgn-syslog-1', ...K, eventTime: T + 5 * M }),
  ];
  it('TCP lookup at T+30 min: K must not be decided (H\'s TCP mapping is live)', () => {
    const hs = matchSessions(L(T + 30 * M), evs(), dir, o);
    expect(hs.filter((h) => h.confidence >= 0.9 && h.leadsToAddr === K.insideAddr)).toEqual([]);
  });
});

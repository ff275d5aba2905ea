// A VPN disconnect logged without its exit port, the cases a third review wrote against
// vpn-session.ts fillIn: a move shown by an Interim with the port (RFC 4555), a Stop naming
// account and session id only, an HA pair's two copies (200 ms apart, or on one ms), a START and
// its STOP on one ms in either arrival order.
import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../../schemas/types.gen.ts';
import { matchSessions } from './session-match.ts';
import { T, dir, lookup, opts, vpnRec } from './session-record.fixture.ts';

const M = 60_000;
const o = { ...opts, maxSessionAgeMs: 7 * 86_400_000 };
const sum = (hs: { leadsToAddr: string | null; confidence: number }[]) => hs.map((h) => `${h.leadsToAddr}@${h.confidence}`);
const L = (at: number, port = 50000) => lookup({ addr: '203.0.113.7', port, protocol: null, windowFrom: at - 1000, windowTo: at + 1000 });

describe('MOBIKE, the move shown by an Interim (with port), then a port-less STOP from the new address', () => {
  const evs = () => [
    vpnRec({ action: 'START', acctSessionId: '5', outsidePort: 50000, protocol: null, insideAddr: '198.18.27.11', insidePort: 4500, eventTime: T - 60 * M }),
    vpnRec({ action: 'INTERIM', acctSessionId: '5', outsidePort: 50000, protocol: null, insideAddr: '198.18.27.12', insidePort: 4500, eventTime: T - 30 * M }),
    vpnRec({ action: 'STOP', acctSessionId: '5', outsidePort: null, protocol: null, insideAddr: '198.18.27.12', insidePort: 4500, eventTime: T - 10 * M }),
  ];
  it('after the disconnect: nobody decided', () => {
    const hs = matchSessions(L(T), evs(), dir, o);
    expect(hs.filter((h) => h.confidence >= 0.9)).toEqual([]);
  });
});

describe('an HA pair logs one port-less disconnect twice (gw-1 and gw-2, 200 ms apart)', () => {
  const evs = () => [
    vpnRec({ action: 'START', acctSessionId: '5', outsidePort: 50000, protocol: null, insideAddr: '198.18.27.41', insidePort: 4500, eventTime: T - 60 * M }),
    vpnRec({ action: 'STOP', acctSessionId: '5', outsidePort: null, protocol: null, insideAddr: '198.18.27.41', insidePort: 4500, eventTime: T - 10 * M }),
    vpnRec({ exporterId: 'de-vpn-gw-2', action: 'STOP', acctSessionId: '5', outsidePort: null, protocol: null, insideAddr: '198.18.27.41', insidePort: 4500, eventTime: T - 10 * M + 200 }),
    // B on exit port 50001, connected since T-2 h
    vpnRec({ action: 'START', acctSessionId: '9', outsidePort: 50001, protocol: null, insideAddr: '198.18.27.42', insidePort: 4500, eventTime: T - 120 * M }),
  ];
  it('lookup on exit port 50001 at T-20 min: B decided', () => {
    const hs = matchSessions(L(T - 20 * M, 50001), evs(), dir, o);
    expect(hs[0]?.leadsToAddr).toBe('198.18.27.42');
    expect(hs[0]!.confidence).toBeGreaterThanOrEqual(0.9);
  });
  it('same with the copies at the same ms (arrival order must not matter)', () => {
    const e = evs();
    (e[2]!.ev as SessionEvent).eventTime = T - 10 * M;
    const a = sum(matchSessions(L(T - 20 * M, 50001), e, dir, o));
    const b = sum(matchSessions(L(T - 20 * M, 50001), [...e].reverse(), dir, o));
    expect(b.sort()).toEqual(a.sort());
    expect(a).toEqual(['198.18.27.42@1']);
  });
});

describe('a START and its port-less STOP in the same ms (a failed connect), arrival order', () => {
  const evs = () => [
    vpnRec({ action: 'START', acctSessionId: '3', outsidePort: 50002, protocol: null, insideAddr: '198.18.27.51', insidePort: 4500, eventTime: T - 30 * M }),
    vpnRec({ action: 'STOP', acctSessionId: '3', outsidePort: null, protocol: null, insideAddr: '198.18.27.51', insidePort: 4500, eventTime: T - 30 * M }),
  ];
  it('forward and reverse give the same hops', () => {
    const a = sum(matchSessions(L(T, 50002), evs(), dir, o));
    const b = sum(matchSessions(L(T, 50002), [...evs()].reverse(), dir, o));
    expect(b.sort()).toEqual(a.sort());
  });
});

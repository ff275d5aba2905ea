// VPN disconnects without their exit port, the cases a fourth review wrote: one account on two
// instances' sessions with one id (G); a port-less STOP 20 s after another client's STOP under the
// same id is not that STOP's copy and begins no session on its port (H, H2).
import { describe, expect, it } from 'vitest';
import { matchSessions } from './session-match.ts';
import { T, dir, lookup, opts, vpnRec } from './session-record.fixture.ts';

const M = 60_000;
const o = { ...opts, maxSessionAgeMs: 7 * 86_400_000 };
const L = (at: number, port: number) => lookup({ addr: '203.0.113.7', port, protocol: null, windowFrom: at - 1000, windowTo: at + 1000 });

describe('two instances on one exit (ids from 0), sid 5 on each, one account on both (a user\'s two devices / a shared account)', () => {
  const evs = () => [
    vpnRec({ action: 'START', acctSessionId: '5', outsidePort: 50000, protocol: null, insideAddr: '198.18.27.7', insidePort: 4500, subscriberHandle: 'acct-M', eventTime: T - 60 * M }),
    vpnRec({ action: 'START', acctSessionId: '5', outsidePort: 50001, protocol: null, insideAddr: '198.18.27.9', insidePort: 4500, subscriberHandle: 'acct-M', eventTime: T - 50 * M }),
    // the second device disconnects; its record names client and account, not the port
    vpnRec({ action: 'STOP', acctSessionId: '5', outsidePort: null, protocol: null, insideAddr: '198.18.27.9', insidePort: 4500, subscriberHandle: 'acct-M', eventTime: T - 10 * M }),
  ];
  it('lookup on 50001 at T (after .9 disconnected): .9 not decided', () => {
    const hs = matchSessions(L(T, 50001), evs(), dir, o);
    expect(hs.filter((h) => h.confidence >= 0.9)).toEqual([]);
  });
  it('lookup on 50000 at T: .7 still decided', () => {
    const hs = matchSessions(L(T, 50000), evs(), dir, o);
    expect(hs[0]?.leadsToAddr).toBe('198.18.27.7');
    expect(hs[0]!.confidence).toBeGreaterThanOrEqual(0.9);
  });
});

describe('copy rule takes no account of agrees: instance 1 sid 5 (port 50000) STOPs with port; 20 s later instance 2\'s sid 5 (port 50001, another client) STOPs without', () => {
  const evs = () => [
    vpnRec({ action: 'START', acctSessionId: '5', outsidePort: 50000, protocol: null, insideAddr: '198.18.27.21', insidePort: 4500, eventTime: T - 60 * M }),
    vpnRec({ action: 'START', acctSessionId: '5', outsidePort: 50001, protocol: null, insideAddr: '198.18.27.22', insidePort: 4500, eventTime: T - 50 * M }),
    vpnRec({ action: 'STOP', acctSessionId: '5', outsidePort: 50000, protocol: null, insideAddr: '198.18.27.21', insidePort: 4500, eventTime: T - 10 * M }),
    vpnRec({ action: 'STOP', acctSessionId: '5', outsidePort: null, protocol: null, insideAddr: '198.18.27.22', insidePort: 4500, eventTime: T - 10 * M + 20_000 }),
  ];
  it('lookup on 50001 at T (after .22 disconnected): .22 not decided', () => {
    const hs = matchSessions(L(T, 50001), evs(), dir, o);
    expect(hs.filter((h) => h.confidence >= 0.9)).toEqual([]);
  });
});

describe('as H, the mis-copied STOP on 50000 (another client, so walk does not take it as a copy) begins a session of its own there', () => {
  const evs = () => [
    vpnRec({ action: 'START', acctSessionId: '5', outsidePort: 50000, protocol: null, insideAddr: '198.18.27.21', insidePort: 4500, eventTime: T - 60 * M }),
    vpnRec({ action: 'START', acctSessionId: '5', outsidePort: 50001, protocol: null, insideAddr: '198.18.27.22', insidePort: 4500, eventTime: T - 50 * M }),
    vpnRec({ action: 'STOP', acctSessionId: '5', outsidePort: 50000, protocol: null, insideAddr: '198.18.27.21', insidePort: 4500, eventTime: T - 10 * M }),
    vpnRec({ action: 'STOP', acctSessionId: '5', outsidePort: null, protocol: null, insideAddr: '198.18.27.22', insidePort: 4500, eventTime: T - 10 * M + 50_000 }),
  ];
  it('lookup on 50000 at T-10 min+25 s: .22 (never on 50000) not a candidate', () => {
    const hs = matchSessions(L(T - 10 * M + 25_000, 50000), evs(), dir, o);
    expect(hs.filter((h) => h.leadsToAddr === '198.18.27.22')).toEqual([]);
  });
});

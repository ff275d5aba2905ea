// A VPN record logged without its exit port takes the port of its session id's one live session
// on that exit (vpn-session.ts fillIn) only where that session's client and account agree with
// it: ids collide (two instances on one exit counting from 0; a gateway restart), and a
// disconnect filled with another client's port ended that client's live session. A filled STOP
// retires its port, so a reused id on another port is filled again after a restart.
import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../../schemas/types.gen.ts';
import { matchSessions } from './session-match.ts';
import { buildIntervals } from './session-intervals.ts';
import { VPN_SESSION } from '../methods/vpn-session.ts';
import { T, dir, lookup, opts, vpnRec } from './session-record.fixture.ts';

const M = 60_000;
const o = { ...opts, maxSessionAgeMs: 7 * 86_400_000 };
// B (instance 2): connect sid 5 on exit port 50000 at T-30 min, still connected
const bStart = () => vpnRec({ action: 'START', acctSessionId: '5', outsidePort: 50000, protocol: null, insideAddr: '198.18.26.2', insidePort: 51820, eventTime: T - 30 * M });
// A (instance 1, its connect lost): disconnect sid 5, no exit port, at T-10 min
const aStop = () => vpnRec({ action: 'STOP', acctSessionId: '5', outsidePort: null, protocol: null, insideAddr: '198.18.26.1', insidePort: 40000, eventTime: T - 10 * M });

describe('VPN fillIn', () => {
  it('B still holds 50000 at T: decided (a disconnect of another client under the same id does not end it)', () => {
    const hs = matchSessions(lookup({ addr: '203.0.113.7', port: 50000, protocol: null, windowFrom: T - 2000, windowTo: T + 2000 }), [bStart(), aStop()], dir, o);
    expect(hs[0]?.leadsToAddr).toBe('198.18.26.2');
    expect(hs[0]!.confidence).toBeGreaterThanOrEqual(0.9);
  });

  it('a filled STOP retires its port: after the id is reused on another port, that session\'s STOP is filled and pairs too', () => {
    const recs = [
      vpnRec({ action: 'START', acctSessionId: '1', outsidePort: 40000, insideAddr: '198.18.26.1', eventTime: T - 60 * M }),
      vpnRec({ action: 'STOP', acctSessionId: '1', outsidePort: null, insideAddr: '198.18.26.1', eventTime: T - 50 * M }),
      // gateway restart, ids count from 1 again: the same client reconnects and gets another port
      vpnRec({ action: 'START', acctSessionId: '1', outsidePort: 40001, insideAddr: '198.18.26.1', eventTime: T - 40 * M }),
      vpnRec({ action: 'STOP', acctSessionId: '1', outsidePort: null, insideAddr: '198.18.26.1', eventTime: T - 30 * M }),
    ].map((e) => ({ ev: e.ev as SessionEvent, producedAt: e.producedAt }));
    const ivs = buildIntervals(recs, VPN_SESSION.session!.rules, 7 * 86_400_000);
    expect(ivs.every((iv) => iv.endReason === 'stop' && iv.records.length === 2)).toBe(true);
  });
});

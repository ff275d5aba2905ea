// A STOP that arrives after the observation ends the session after the fact: it must not
// weaken the hop the START already decided (same hop, same rank, same confidence, decided).
import { describe, expect, it } from 'vitest';
import type { IndexedEvent, Lookup } from '../join-types.ts';
import { matchSessions } from './session-match.ts';
import { T, acct, block, dir, lookup, opts, vpnRec } from './session-record.fixture.ts';

const MIN = 60_000;
const cases: { kind: string; start: IndexedEvent; interims?: IndexedEvent[]; stop: IndexedEvent; l: Lookup }[] = [
  {
    kind: 'VPN_SESSION',
    start: vpnRec({ action: 'START', eventTime: T, outsidePort: 40001, insideAddr: '198.18.4.5', insidePort: 61000, subscriberHandle: 'de-acct-9' }),
    stop: vpnRec({ action: 'STOP', eventTime: T + 5 * MIN, outsidePort: 40001, insideAddr: '198.18.4.5', insidePort: 61000, subscriberHandle: 'de-acct-9' }),
    l: lookup({ addr: '203.0.113.7' }),
  },
  {
    kind: 'ACCESS_SESSION',
    start: acct({ action: 'START', eventTime: T, framedIpAddress: '198.18.9.9', acctSessionId: 's-1', subscriberHandle: 'us-sub-1' }),
    stop: acct({ action: 'STOP', eventTime: T + 5 * MIN, framedIpAddress: '198.18.9.9', acctSessionId: 's-1', subscriberHandle: 'us-sub-1' }),
    l: lookup({ addr: '198.18.9.9', port: null }),
  },
  {
    kind: 'ACCESS_SESSION with interims',
    start: acct({ action: 'START', eventTime: T - 50 * MIN, framedIpAddress: '198.18.9.8', acctSessionId: 's-2', subscriberHandle: 'us-sub-2' }),
    interims: [35, 20, 5].map((m) => acct({ action: 'INTERIM', eventTime: T - m * MIN, framedIpAddress: '198.18.9.8', acctSessionId: 's-2', subscriberHandle: 'us-sub-2' })),
    stop: acct({ action: 'STOP', eventTime: T + 6 * MIN, framedIpAddress: '198.18.9.8', acctSessionId: 's-2', subscriberHandle: 'us-sub-2' }),
    l: lookup({ addr: '198.18.9.8', port: null }),
  },
  {
    kind: 'PORT_BLOCK',
    start: block(40000, 40999, '100.64.1.1', { action: 'START', eventTime: T }),
    stop: block(40000, 40999, '100.64.1.1', { action: 'STOP', natEvent: 17, eventTime: T + 5 * MIN }),
    l: lookup(),
  },
];

// the simulator's decoy: a previous holder of the same exit port whose STOP was lost
const decoy = () => vpnRec({ action: 'START', eventTime: T - 30 * MIN, outsidePort: 40001, insideAddr: '198.18.7.7', insidePort: 50000, subscriberHandle: 'de-acct-1' });

describe('a STOP minutes after the observation', () => {
  it('leaves the VPN_SESSION hop decided when a previous holder of the exit port lost its STOP', () => {
    const l = lookup({ addr: '203.0.113.7' });
    const start = vpnRec({ action: 'START', eventTime: T - 2 * MIN, outsidePort: 40001, insideAddr: '198.18.4.5', insidePort: 61000, subscriberHandle: 'de-acct-9' });
    const stop = vpnRec({ action: 'STOP', eventTime: T + 5 * MIN, outsidePort: 40001, insideAddr: '198.18.4.5', insidePort: 61000, subscriberHandle: 'de-acct-9' });
    const old = decoy();
    const show = (hs: ReturnType<typeof matchSessions>) => hs.map((h) => [h.hopId, h.rank, h.confidence, h.subscriberHandle]);
    const before = matchSessions(l, [old, start], dir, opts);
    expect(before[0]).toMatchObject({ subscriberHandle: 'de-acct-9', rank: 1 });
    expect(before[0]!.confidence).toBeGreaterThanOrEqual(0.9);
    expect(show(matchSessions(l, [old, start, stop], dir, opts))).toEqual(show(before));
  });


  for (const c of cases) {
    it(`leaves the ${c.kind} hop decided at the same confidence`, () => {
      const before = matchSessions(c.l, [c.start, ...c.interims ?? []], dir, opts);
      expect(before).toHaveLength(1);
      expect(before[0]!.confidence).toBeGreaterThanOrEqual(0.9);
      const after = matchSessions(c.l, [c.start, ...c.interims ?? [], c.stop], dir, opts);
      expect(after.map((h) => [h.hopId, h.rank, h.confidence, h.subscriberHandle, h.leadsToAddr]))
        .toEqual(before.map((h) => [h.hopId, h.rank, h.confidence, h.subscriberHandle, h.leadsToAddr]));
      expect(after[0]!.active).toBe(false);
    });
  }
});

// accounting-table complete(): an address-less Stop gets its session's address only where no
// other session of the NAS took it since (as a synthesized STOP's claims), and only from an entry
// younger than the access session's maximum age (a Stop lost weeks ago, its Acct-Session-Id
// reused after a reboot without Accounting-On, must not lend the old account).
// A Stop arriving after the address's next holder's Start (Acct-Delay-Time, or UDP reordering)
// keeps its session's address: only a claim made between the session's record and the Stop's own
// time is another's.
import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../../schemas/types.gen.ts';
import { createAccountingTable } from './accounting-table.ts';

const T = Date.UTC(2026, 5, 1);
const M = 60_000;
const ev = (o: Partial<SessionEvent>): SessionEvent => ({
  eventId: `e${Math.random()}`, exporterId: 'us-bng-1', exportTime: T, kind: 'ACCESS_SESSION', action: 'START', natEvent: null, eventTime: T, protocol: null,
  outsideAddr: null, outsidePort: null, portRangeStart: null, portRangeEnd: null, insideAddr: null, insidePort: null,
  framedIpAddress: null, framedIpv6Prefix: null, delegatedIpv6Prefix: null, acctSessionId: null, acctDelayTime: null, subscriberHandle: null,
  jurisdiction: 'US', providerId: 'us-access', clockOffsetMs: 0, ...o,
} as SessionEvent);

describe('complete()', () => {
  it('does not give a Stop an address another session of the NAS took since', () => {
    const t = createAccountingTable();
    t.observe(ev({ acctSessionId: 'A', framedIpAddress: '100.73.0.1', subscriberHandle: 'hA', eventTime: T }));
    t.observe(ev({ acctSessionId: 'C', framedIpAddress: '100.73.0.1', subscriberHandle: 'hC', eventTime: T + 3_600_000 }));
    const stop = t.complete(ev({ acctSessionId: 'A', action: 'STOP', subscriberHandle: 'hA', eventTime: T + 7_200_000 }));
    expect(stop.framedIpAddress).toBeNull();
  });
  it('does not complete from an entry 30 days old whose handle the Stop does not name', () => {
    const t = createAccountingTable();
    t.observe(ev({ acctSessionId: '0001', framedIpAddress: '100.73.0.2', subscriberHandle: 'hA', eventTime: T }));
    const stop = t.complete(ev({ acctSessionId: '0001', action: 'STOP', subscriberHandle: null, eventTime: T + 30 * 86_400_000 }));
    expect(stop.framedIpAddress).toBeNull();
  });
});

describe('complete(): a Stop that arrives late (Acct-Delay-Time) after the address\'s next holder\'s Start', () => {
  it('A stopped at T+30 min (sent at T+65 min, delay 35 min), C took the address at T+60 min: the Stop keeps A\'s address', () => {
    const t = createAccountingTable();
    t.observe(ev({ acctSessionId: 'A', framedIpAddress: '100.74.0.1', subscriberHandle: 'hA', eventTime: T }));
    t.observe(ev({ acctSessionId: 'C', framedIpAddress: '100.74.0.1', subscriberHandle: 'hC', eventTime: T + 60 * M }));
    const stop = t.complete(ev({ acctSessionId: 'A', action: 'STOP', subscriberHandle: 'hA', eventTime: T + 65 * M, acctDelayTime: 35 * 60 }));
    expect(stop.framedIpAddress).toBe('100.74.0.1');
  });
  it('the same with UDP reordering only (C\'s Start and A\'s Stop 1 s apart, C\'s first): the Stop keeps A\'s address', () => {
    const t = createAccountingTable();
    t.observe(ev({ acctSessionId: 'A', framedIpAddress: '100.74.0.2', subscriberHandle: 'hA', eventTime: T }));
    t.observe(ev({ acctSessionId: 'C', framedIpAddress: '100.74.0.2', subscriberHandle: 'hC', eventTime: T + 60 * M + 1000 }));
    const stop = t.complete(ev({ acctSessionId: 'A', action: 'STOP', subscriberHandle: 'hA', eventTime: T + 60 * M }));
    expect(stop.framedIpAddress).toBe('100.74.0.2');
  });
});

import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../../schemas/types.gen.ts';
import { dayOf, sessionRows, type RecordMeta } from './archive-rows.ts';

const T = Date.UTC(2026, 10, 20, 12);
const meta: RecordMeta = { windowKey: '198.51.100.7', uid: 'x/1', at: T, producedAt: T + 5, value: Buffer.from([0]) };
const base: SessionEvent = {
  eventId: '1', exporterId: 'fr-cgn-1', exportTime: T, kind: 'PORT_BLOCK', action: 'START', natEvent: 14, eventTime: T, protocol: null,
  outsideAddr: '198.51.100.7', outsidePort: null, portRangeStart: 39936, portRangeEnd: 40447, insideAddr: '100.64.3.4', insidePort: null,
  framedIpAddress: null, framedIpv6Prefix: null, delegatedIpv6Prefix: null, acctSessionId: null, acctDelayTime: null,
  subscriberHandle: null, jurisdiction: 'FR', providerId: 'fr-telecom', clockOffsetMs: 0,
};

describe('archive rows', () => {
  it('a port block START claims its outside address and block, open-ended', () => {
    const { record, intervals } = sessionRows(meta, base);
    expect(record.sessionKey).toMatch(/^PORT_BLOCK\|fr-telecom\|198\.51\.100\.7\|39936-40447\|100\.64\.3\.4$/);
    expect(intervals).toEqual([expect.objectContaining({ scope: '', addr: '198.51.100.7/32', portLo: 39936, portHi: 40447, leadsTo: '100.64.3.4', startAt: T, evidenceAt: T, stopAt: null })]);
  });
  it('its STOP has the same session key and only closes the interval', () => {
    const start = sessionRows(meta, base);
    const stop = sessionRows(meta, { ...base, eventId: '2', action: 'STOP', eventTime: T + 60_000 });
    expect(stop.record.sessionKey).toBe(start.record.sessionKey);
    expect(stop.intervals[0]).toMatchObject({ startAt: null, evidenceAt: null, stopAt: T + 60_000 });
  });
  it('an access session claims each of its addresses and prefixes for every port; inside addresses are scoped', () => {
    const ev: SessionEvent = { ...base, kind: 'ACCESS_SESSION', outsideAddr: null, portRangeStart: null, portRangeEnd: null, insideAddr: null,
      framedIpAddress: '100.64.3.4', framedIpv6Prefix: '2001:db8:1:2::/64', acctSessionId: 'A1', subscriberHandle: 'fr-sub-7' };
    const { intervals } = sessionRows(meta, ev);
    expect(intervals.map((i) => [i.scope, i.addr, i.portLo, i.portHi, i.leadsTo])).toEqual([
      ['fr-telecom', '100.64.3.4/32', 0, 65535, null], ['', '2001:db8:1:2::/64', 0, 65535, null],
    ]);
  });
  it('a NAT mapping claims one outside port and leads to the inside endpoint', () => {
    const ev: SessionEvent = { ...base, kind: 'NAT_SESSION', portRangeStart: null, portRangeEnd: null, outsidePort: 40001, insidePort: 51000, protocol: 6 };
    expect(sessionRows(meta, ev).intervals[0]).toMatchObject({ portLo: 40001, portHi: 40001, leadsTo: '100.64.3.4:51000' });
  });
  it('flows are partitioned by UTC day', () => {
    expect(dayOf(Date.UTC(2026, 10, 20, 23, 59, 59, 999))).toBe('2026-11-20');
    expect(dayOf(Date.UTC(2026, 10, 21))).toBe('2026-11-21');
  });
});

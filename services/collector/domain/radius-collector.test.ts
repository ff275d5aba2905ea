import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createRadiusCollector } from './radius-collector.ts';
import { accountingRequest, parseRadius, type RadiusAttribute } from './radius-packet.ts';

const SECRET = Buffer.from('nas-secret');
const T0 = Date.UTC(2026, 11, 1, 12, 0, 0);
const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b; };
const str = (s: string) => Buffer.from(s);
const attrs = (status: number, extra: RadiusAttribute[] = []): RadiusAttribute[] => [
  { type: 1, value: str('alice@example') }, { type: 40, value: u32(status) }, { type: 44, value: str('sess-1') }, { type: 41, value: u32(5) },
  { type: 8, value: Buffer.from([100, 64, 3, 4]) }, { type: 123, value: Buffer.from([0, 56, 0x20, 0x01, 0x0d, 0xb8, 0x01, 0x00, 0xab]) }, ...extra,
];
const collector = () => createRadiusCollector({
  secretFor: (a) => (a === '127.0.0.31' ? SECRET : undefined),
  resolve: (a) => (a === '127.0.0.31' ? { exporterId: '127.0.0.31', providerId: 'us-access' } : undefined),
  pseudonym: (p, acct) => `sub-${createHmac('sha256', 'k').update(`${p}|${acct}`).digest('hex').slice(0, 12)}`,
});
const dgram = (bytes: Buffer, receivedAt = T0, from = '127.0.0.31') => ({ from, port: 40000, bytes, receivedAt });

describe('RADIUS accounting', () => {
  it('maps a verified Start to ACCESS_SESSION with a pseudonym, never the account name', () => {
    const out = collector().handle(dgram(accountingRequest(7, attrs(1), SECRET)));
    expect(out.kind).toBe('record');
    if (out.kind !== 'record') return;
    expect(out.event).toMatchObject({
      kind: 'ACCESS_SESSION', action: 'START', exporterId: '127.0.0.31', eventTime: T0, exportTime: T0, acctDelayTime: 5,
      framedIpAddress: '100.64.3.4', delegatedIpv6Prefix: '2001:db8:100:ab00::/56', acctSessionId: 'sess-1', framedIpv6Prefix: null,
    });
    expect(out.event.subscriberHandle).toMatch(/^sub-[0-9a-f]{12}$/);
    expect(JSON.stringify(out.event)).not.toContain('alice');
    expect(out.key).toBe('us-access');
    // the Accounting-Response: code 5, same identifier, MD5(5 + id + len + request auth + secret)
    const reply = parseRadius(out.reply);
    expect([reply.code, reply.identifier, out.reply.length]).toEqual([5, 7, 20]);
  });

  it('uses Event-Timestamp plus the delay when the NAS sends one (ingest subtracts the delay)', () => {
    const out = collector().handle(dgram(accountingRequest(1, attrs(2, [{ type: 55, value: u32(T0 / 1000 - 100) }]), SECRET)));
    expect(out.kind === 'record' && [out.event.action, out.event.eventTime]).toEqual(['STOP', T0 - 95_000]);
  });

  it('refuses a request signed with another secret and counts nothing else of it', () => {
    const out = collector().handle(dgram(accountingRequest(7, attrs(1), Buffer.from('wrong'))));
    expect(out).toMatchObject({ kind: 'refused', code: 'CT_BAD_AUTHENTICATOR' });
  });

  it('dead-letters an unknown NAS and a malformed packet, without answering', () => {
    const c = collector();
    expect(c.handle(dgram(accountingRequest(7, attrs(1), SECRET), T0, '127.0.0.99'))).toMatchObject({ kind: 'dead', code: 'CT_UNKNOWN_EXPORTER', reply: null });
    const lying = accountingRequest(7, attrs(1), SECRET);
    lying[21] = 200; // first attribute's length runs past the packet
    expect(c.handle(dgram(lying))).toMatchObject({ kind: 'dead', code: 'CT_MALFORMED_PACKET', reply: null });
  });

  it('recognises a retransmission (same identifier and authenticator) and answers it again', () => {
    const c = collector();
    const req = accountingRequest(9, attrs(3), SECRET);
    const first = c.handle(dgram(req));
    expect(first.kind).toBe('record');
    expect(c.handle(dgram(req, T0 + 100))).toEqual({ kind: 'duplicate', exporter: '127.0.0.31', reply: null });
    if (first.kind === 'record') c.acknowledged(first.dupKey, first.reply);
    const again = c.handle(dgram(req, T0 + 200));
    expect(again.kind === 'duplicate' && again.reply?.equals(first.kind === 'record' ? first.reply : Buffer.alloc(0))).toBe(true);
    // a retransmission with a bumped Acct-Delay-Time is a new request but the same event id
    const bumped = accountingRequest(10, attrs(3).map((a) => (a.type === 41 ? { type: 41, value: u32(9) } : a)), SECRET);
    const b = c.handle(dgram(bumped, T0 + 4000));
    expect(b.kind === 'record' && first.kind === 'record' && b.event.eventId === first.event.eventId).toBe(true);
  });

  it('acknowledges Accounting-On without recording, and dead-letters (then answers) a request it cannot map', () => {
    const c = collector();
    expect(c.handle(dgram(accountingRequest(1, [{ type: 40, value: u32(7) }], SECRET))).kind).toBe('ignored');
    const noSid = c.handle(dgram(accountingRequest(2, [{ type: 40, value: u32(1) }], SECRET)));
    expect(noSid).toMatchObject({ kind: 'dead', code: 'CT_UNMAPPED_RECORD', reason: 'no Acct-Session-Id' });
    expect(noSid.kind === 'dead' && noSid.reply?.length).toBe(20);
  });

  // RFC 2866 5.1: Accounting-On/Off means the NAS (re)booted or goes down; every session it had
  // open is over and its Stop never comes (FreeRADIUS accounting_onoff_query closes them all)
  it('ends every open session of a NAS at its Accounting-On, with each session\'s own address and holder', () => {
    const c = collector();
    const start = c.handle(dgram(accountingRequest(1, attrs(1), SECRET)));
    const other = c.handle(dgram(accountingRequest(2, [{ type: 1, value: str('bob@example') }, { type: 40, value: u32(1) }, { type: 44, value: str('sess-2') },
      { type: 8, value: Buffer.from([100, 64, 3, 5]) }], SECRET), T0 + 1000));
    const stopped = c.handle(dgram(accountingRequest(3, [{ type: 1, value: str('bob@example') }, { type: 40, value: u32(2) }, { type: 44, value: str('sess-2') },
      { type: 8, value: Buffer.from([100, 64, 3, 5]) }], SECRET), T0 + 2000));
    expect([start.kind, other.kind, stopped.kind]).toEqual(['record', 'record', 'record']);
    const on = c.handle(dgram(accountingRequest(4, [{ type: 40, value: u32(7) }, { type: 4, value: Buffer.from([127, 0, 0, 31]) }], SECRET), T0 + 3_600_000));
    expect(on.kind).toBe('closed');
    if (on.kind !== 'closed' || start.kind !== 'record') return;
    expect(on.events).toHaveLength(1); // bob's session had its own Stop
    expect(on.events[0]).toMatchObject({
      ...start.event, eventId: expect.any(String), action: 'STOP', eventTime: T0 + 3_600_000, acctDelayTime: null, exportTime: T0 + 3_600_000,
      framedIpAddress: '100.64.3.4', delegatedIpv6Prefix: '2001:db8:100:ab00::/56', acctSessionId: 'sess-1', subscriberHandle: start.event.subscriberHandle,
    });
    expect(on.events[0]!.eventId).not.toBe(start.event.eventId);
    // the sessions are forgotten: an Accounting-Off right after has nothing left to end
    expect(c.handle(dgram(accountingRequest(5, [{ type: 40, value: u32(8) }], SECRET), T0 + 3_700_000)).kind).toBe('ignored');
  });

  it('does not end a session that began after the Accounting-On (a Start sent before it, arriving late)', () => {
    const c = collector();
    c.handle(dgram(accountingRequest(1, attrs(1, [{ type: 55, value: u32(T0 / 1000 + 60) }]), SECRET), T0 + 61_000));
    expect(c.handle(dgram(accountingRequest(2, [{ type: 40, value: u32(7) }, { type: 55, value: u32(T0 / 1000) }], SECRET), T0 + 62_000)).kind).toBe('ignored');
  });

  // A BNG that re-addresses a session sends the new Framed-IP-Address in an Interim-Update:
  // the old address is given up, but that record is indexed under the new address only
  it('records a STOP of the old address before an Interim-Update that re-addresses the session', () => {
    const c = collector();
    const start = c.handle(dgram(accountingRequest(1, attrs(1), SECRET)));
    const moved = c.handle(dgram(accountingRequest(2, attrs(3).map((a) => (a.type === 8 ? { type: 8, value: Buffer.from([100, 64, 9, 9]) } : a)), SECRET), T0 + 900_000));
    expect(moved.kind).toBe('record');
    if (moved.kind !== 'record' || start.kind !== 'record') return;
    expect(moved.event).toMatchObject({ action: 'INTERIM', framedIpAddress: '100.64.9.9' });
    expect(moved.closes).toHaveLength(1);
    expect(moved.closes[0]).toMatchObject({ action: 'STOP', framedIpAddress: '100.64.3.4', acctSessionId: 'sess-1', eventTime: T0 + 900_000, subscriberHandle: start.event.subscriberHandle });
    // the same address again, an added claim, or another holder under the reused id: nothing synthesized
    const same = c.handle(dgram(accountingRequest(3, attrs(3).map((a) => (a.type === 8 ? { type: 8, value: Buffer.from([100, 64, 9, 9]) } : a)), SECRET), T0 + 1_800_000));
    expect(same.kind === 'record' && same.closes).toEqual([]);
    const reused = c.handle(dgram(accountingRequest(4, attrs(1).map((a) => (a.type === 1 ? { type: 1, value: str('carol@example') } : a)), SECRET), T0 + 2_700_000));
    expect(reused.kind === 'record' && reused.closes).toEqual([]);
  });

  // the synthesized STOP's time is only an upper bound: after another session's Start on the same
  // address it would read as the old holder's own evidence and resume its claim beside the new one
  it('leaves out of a synthesized STOP the address another session of the NAS took since', () => {
    const c = collector();
    const bob = (id: number, status: number, sid: string, ip: number[], at: number) => c.handle(dgram(accountingRequest(id, [{ type: 1, value: str('bob@example') },
      { type: 40, value: u32(status) }, { type: 44, value: str(sid) }, { type: 8, value: Buffer.from(ip) }], SECRET), at));
    c.handle(dgram(accountingRequest(1, attrs(1).filter((a) => a.type !== 123), SECRET))); // alice on 100.64.3.4
    bob(2, 1, 'sess-b', [100, 64, 3, 4], T0 + 600_000); // the pool gave 100.64.3.4 to bob
    const moved = c.handle(dgram(accountingRequest(3, attrs(3).filter((a) => a.type !== 123).map((a) => (a.type === 8 ? { type: 8, value: Buffer.from([100, 64, 9, 9]) } : a)), SECRET), T0 + 900_000));
    expect(moved.kind === 'record' && moved.closes).toEqual([]);
    // Accounting-On: bob's session ends on its own address; alice (now on 100.64.9.9) on hers
    const on = c.handle(dgram(accountingRequest(4, [{ type: 40, value: u32(7) }], SECRET), T0 + 3_600_000));
    expect(on.kind === 'closed' && on.events.map((e) => [e.acctSessionId, e.framedIpAddress])).toEqual([['sess-b', '100.64.3.4'], ['sess-1', '100.64.9.9']]);
  });
});

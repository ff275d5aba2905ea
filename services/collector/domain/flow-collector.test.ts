import { describe, expect, it } from 'vitest';
import { createFlowCollector, type FlowPacket } from './flow-collector.ts';
import { dataSet, ipfixMessage, ipfixTemplateSet, ipfixWithdrawalSet, record, v9Packet, v9TemplateSet, type WriterTemplate } from './export-writer.ts';

const EXPORTERS: Record<string, { exporterId: string; providerId: string }> = {
  '192.0.2.1': { exporterId: '192.0.2.1', providerId: 'p1' },
  '192.0.2.2#7': { exporterId: '192.0.2.2#7', providerId: 'p2' },
};
const resolve = (addr: string, domain: number) => EXPORTERS[`${addr}#${domain}`] ?? EXPORTERS[addr];
const T0 = Date.UTC(2026, 11, 1, 12, 0, 0);
const SEC = T0 / 1000;

const FLOW_V4: WriterTemplate = { id: 256, fields: [
  { id: 8, length: 4 }, { id: 12, length: 4 }, { id: 7, length: 2 }, { id: 11, length: 2 }, { id: 4, length: 1 },
  { id: 1, length: 8 }, { id: 2, length: 4 }, { id: 152, length: 8 }, { id: 153, length: 8 }, { id: 136, length: 1 },
] };
const flowRec = (src = '100.64.1.2', sport = 40000) => record(FLOW_V4, [src, '192.0.2.10', sport, 443, 6, 12345, 17, T0 - 5000, T0 - 1000, 2]);

const pkt = (bytes: Buffer, from = '192.0.2.1', over: Partial<FlowPacket> = {}): FlowPacket => ({ protocol: 'ipfix', transport: 'udp', from, bytes, receivedAt: T0, ...over });
const msg = (sets: Buffer[], seq = 1, domain = 0) => ipfixMessage({ exportSec: SEC, sequence: seq, domain }, sets);

describe('IPFIX flows', () => {
  it('maps the 5-tuple, counters, absolute times and flowEndReason', () => {
    const c = createFlowCollector({ resolve });
    const out = c.handle(pkt(msg([ipfixTemplateSet([FLOW_V4]), dataSet(256, [flowRec(), flowRec('100.64.1.3', 40001)])])));
    expect(out.dead).toEqual([]);
    expect(out.templates).toBe(1);
    expect(out.events).toHaveLength(2);
    const e = out.events[0]!;
    expect(e.topic).toBe('flows.raw');
    expect(e.key).toBe('192.0.2.1');
    expect(e.value).toMatchObject({
      exporterId: '192.0.2.1', exportTime: T0, srcAddr: '100.64.1.2', srcPort: 40000, dstAddr: '192.0.2.10', dstPort: 443, protocol: 6,
      octets: 12345, packets: 17, startTime: T0 - 5000, endTime: T0 - 1000, endReason: 'ACTIVE_TIMEOUT',
    });
    expect(out.events[1]!.value.eventId).not.toBe(e.value.eventId);
  });

  it('buffers data that comes before its template and decodes it when the template arrives', () => {
    const c = createFlowCollector({ resolve });
    const first = c.handle(pkt(msg([dataSet(256, [flowRec()])], 1)));
    expect(first.events).toHaveLength(0);
    expect(first.buffered).toBe(1);
    expect(c.pendingCount()).toBe(1);
    const second = c.handle(pkt(msg([ipfixTemplateSet([FLOW_V4])], 2)));
    expect(second.events).toHaveLength(1);
    expect(second.events[0]!.value).toMatchObject({ srcAddr: '100.64.1.2', octets: 12345 });
    expect(c.pendingCount()).toBe(0);
  });

  it('drops what waited past the timeout or did not fit, as CT_NO_TEMPLATE dead letters', () => {
    const c = createFlowCollector({ resolve, maxPending: 2, pendingTimeoutMs: 1000 });
    c.handle(pkt(msg([dataSet(300, [flowRec()])], 1)));
    c.handle(pkt(msg([dataSet(301, [flowRec()])], 2)));
    const third = c.handle(pkt(msg([dataSet(302, [flowRec()])], 3)));
    expect(third.dead.map((d) => d.code)).toEqual(['CT_NO_TEMPLATE']); // 300 pushed out
    expect(c.expire(T0 + 999)).toHaveLength(0);
    const late = c.expire(T0 + 1000);
    expect(late.map((d) => d.code)).toEqual(['CT_NO_TEMPLATE', 'CT_NO_TEMPLATE']);
    expect(c.pendingCount()).toBe(0);
  });

  it('forgets a withdrawn template (one, or all) and keeps templates per observation domain', () => {
    const c = createFlowCollector({ resolve });
    c.handle(pkt(msg([ipfixTemplateSet([FLOW_V4])])));
    expect(c.handle(pkt(msg([ipfixWithdrawalSet([256]), dataSet(256, [flowRec()])]))).buffered).toBe(1);
    c.handle(pkt(msg([ipfixTemplateSet([FLOW_V4])])));
    c.handle(pkt(msg([ipfixWithdrawalSet([2])])));
    expect(c.handle(pkt(msg([dataSet(256, [flowRec()])]))).events).toHaveLength(0);
    // domain 5 of the same exporter never learned 256
    c.handle(pkt(msg([ipfixTemplateSet([FLOW_V4])], 9, 0)));
    expect(c.handle(pkt(msg([dataSet(256, [flowRec()])], 10, 5))).buffered).toBe(1);
  });

  it('skips enterprise-specific IEs and reads variable-length fields', () => {
    const t: WriterTemplate = { id: 260, fields: [
      { id: 27, length: 16 }, { id: 100, length: 65535, enterprise: 9 }, { id: 28, length: 16 }, { id: 4, length: 1 },
      { id: 82, length: 65535 }, { id: 1, length: 4 }, { id: 2, length: 2 }, { id: 150, length: 4 }, { id: 151, length: 4 },
    ] };
    const c = createFlowCollector({ resolve });
    const rec = record(t, ['2001:db8:20::1', Buffer.alloc(300, 7), '2001:db8:10::a', 17, Buffer.from('eth0'), 999, 3, SEC - 10, SEC - 2]);
    const out = c.handle(pkt(msg([ipfixTemplateSet([t]), dataSet(260, [rec, rec])])));
    expect(out.dead).toEqual([]);
    expect(out.events).toHaveLength(2);
    expect(out.events[0]!.value).toMatchObject({ srcAddr: '2001:db8:20::1', dstAddr: '2001:db8:10::a', protocol: 17, srcPort: null, octets: 999, packets: 3, startTime: T0 - 10_000, endTime: T0 - 2000, endReason: 'END_OF_FLOW' });
  });

  it('resolves the exporter by address and observation domain, and dead-letters an unknown one with its bytes', () => {
    const c = createFlowCollector({ resolve });
    const m = msg([ipfixTemplateSet([FLOW_V4]), dataSet(256, [flowRec()])], 1, 7);
    expect(c.handle(pkt(m, '192.0.2.2')).events[0]!.value.exporterId).toBe('192.0.2.2#7');
    const other = msg([ipfixTemplateSet([FLOW_V4]), dataSet(256, [flowRec()])], 1, 8);
    const out = c.handle(pkt(other, '192.0.2.2'));
    expect(out.known).toBe(false);
    expect(out.dead).toEqual([{ code: 'CT_UNKNOWN_EXPORTER', reason: expect.stringContaining('192.0.2.2#8'), bytes: other, exporterId: null }]);
  });

  it('dead-letters a malformed message whole and learns nothing from it', () => {
    const c = createFlowCollector({ resolve });
    const good = msg([ipfixTemplateSet([FLOW_V4]), dataSet(256, [flowRec()])]);
    const lying = Buffer.from(good);
    lying.writeUInt16BE(good.length + 8, 2); // message length lies
    expect(c.handle(pkt(lying)).dead[0]!.code).toBe('CT_MALFORMED_PACKET');
    const badSet = Buffer.from(good);
    badSet.writeUInt16BE(0xfff0, 18); // template set length runs past the message
    expect(c.handle(pkt(badSet)).dead[0]!.code).toBe('CT_MALFORMED_PACKET');
    // template valid, then a variable-length field that runs past its set: the template must not stick
    const vt: WriterTemplate = { id: 270, fields: [{ id: 8, length: 4 }, { id: 82, length: 65535 }] };
    const broken = Buffer.concat([Buffer.from('0a0a0a01', 'hex'), Buffer.from([200, 1, 2])]);
    expect(c.handle(pkt(msg([ipfixTemplateSet([vt]), dataSet(270, [broken])]))).dead[0]!.code).toBe('CT_MALFORMED_PACKET');
    expect(c.handle(pkt(msg([dataSet(270, [Buffer.from('0a0a0a0100', 'hex')])]))).buffered).toBe(1);
    expect(c.handle(pkt(Buffer.from([0, 5, 0, 0]))).dead[0]!.reason).toContain('version 5');
  });

  it('needs systemInitTimeMilliseconds (options record) for sysUptime-relative IPFIX times', () => {
    const t: WriterTemplate = { id: 256, fields: [{ id: 8, length: 4 }, { id: 12, length: 4 }, { id: 4, length: 1 }, { id: 22, length: 4 }, { id: 21, length: 4 }] };
    const opt: WriterTemplate = { id: 257, scopeCount: 1, fields: [{ id: 149, length: 4 }, { id: 160, length: 8 }] };
    const c = createFlowCollector({ resolve });
    const before = c.handle(pkt(msg([ipfixTemplateSet([t]), dataSet(256, [record(t, ['10.0.0.1', '10.0.0.2', 17, 1000, 3000])])])));
    expect(before.dead[0]).toMatchObject({ code: 'CT_UNMAPPED_RECORD', reason: expect.stringContaining('systemInitTimeMilliseconds') });
    const after = c.handle(pkt(msg([ipfixTemplateSet([opt], true), dataSet(257, [record(opt, [0, T0 - 60_000])]), dataSet(256, [record(t, ['10.0.0.1', '10.0.0.2', 17, 1000, 3000])])])));
    expect(after.options).toBe(1);
    expect(after.events[0]!.value).toMatchObject({ startTime: T0 - 59_000, endTime: T0 - 57_000 });
  });
});

describe('NetFlow v9', () => {
  const t: WriterTemplate = { id: 300, fields: [{ id: 8, length: 4 }, { id: 12, length: 4 }, { id: 7, length: 2 }, { id: 11, length: 2 }, { id: 4, length: 1 }, { id: 1, length: 4 }, { id: 2, length: 4 }, { id: 22, length: 4 }, { id: 21, length: 4 }] };
  it('converts FIRST/LAST_SWITCHED with the header sysUptime, across the 2^32 ms wrap', () => {
    const c = createFlowCollector({ resolve });
    const up = 50_000;
    const recs = [record(t, ['100.64.1.2', '192.0.2.10', 1234, 53, 17, 80, 1, up - 20_000, up - 10_000]), record(t, ['100.64.1.2', '192.0.2.10', 1235, 53, 17, 80, 1, 2 ** 32 - 5000, 1000])];
    const out = c.handle(pkt(v9Packet({ sysUptimeMs: up, unixSecs: SEC, sequence: 1, sourceId: 0, count: 3 }, [v9TemplateSet([t]), dataSet(300, recs)]), '192.0.2.1', { protocol: 'netflow9' }));
    expect(out.dead).toEqual([]);
    expect(out.events.map((e) => { const v = e.value as { startTime: number; endTime: number }; return [v.startTime, v.endTime]; })).toEqual([[T0 - 20_000, T0 - 10_000], [T0 - 55_000, T0 - 49_000]]);
  });
  it('refuses an IPFIX packet on the NetFlow v9 port', () => {
    const c = createFlowCollector({ resolve });
    expect(c.handle(pkt(msg([ipfixTemplateSet([FLOW_V4])]), '192.0.2.1', { protocol: 'netflow9' })).dead[0]!.code).toBe('CT_MALFORMED_PACKET');
  });
});

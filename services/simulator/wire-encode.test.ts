// The wire encodings, read back by the collector's own (independently written) decoders: a
// simulated flow, port block and access session must come out as the record the simulator
// would have produced as Avro, in the fields the wire carries.
import { describe, expect, it } from 'vitest';
import type { FlowEvent, SessionEvent } from '../../schemas/types.gen.ts';
import { createFlowCollector } from '../collector/domain/flow-collector.ts';
import { createRadiusCollector } from '../collector/domain/radius-collector.ts';
import { accountingRequest } from '../collector/domain/radius-packet.ts';
import { accountingAttributes, createIpfixExporter, flowCells, natSessionCells, portBlockCells, prefixAttribute } from './wire-encode.ts';

const T = Date.UTC(2026, 11, 1, 12, 0, 0, 345);
const flow = (o: Partial<FlowEvent> = {}): FlowEvent => ({
  eventId: 'f', exporterId: 'fr-flow-1', exportTime: T, srcAddr: '100.64.3.4', srcPort: 50123, dstAddr: '192.0.2.10', dstPort: 443, protocol: 6,
  startTime: T - 2000, endTime: T, octets: 123_456, packets: 99, postNatSrcAddr: null, postNatSrcPort: null, endReason: 'ACTIVE_TIMEOUT',
  jurisdiction: null, providerId: null, clockOffsetMs: 0, ...o,
});
const NONE = { natEvent: null, protocol: null, outsideAddr: null, outsidePort: null, portRangeStart: null, portRangeEnd: null, insideAddr: null, insidePort: null,
  framedIpAddress: null, framedIpv6Prefix: null, delegatedIpv6Prefix: null, acctSessionId: null, acctDelayTime: null, subscriberHandle: null,
  jurisdiction: null, providerId: null, clockOffsetMs: 0 } as const;
const session = (o: Partial<SessionEvent> & Pick<SessionEvent, 'kind' | 'action'>): SessionEvent => ({ ...NONE, eventId: 's', exporterId: 'x', exportTime: T, eventTime: T, ...o });

function collectFlows(messages: Buffer[]) {
  const c = createFlowCollector({ resolve: (a) => (a === '127.77.2.3' ? { exporterId: a, providerId: 'fr-telecom' } : undefined), maxPending: 10, pendingTimeoutMs: 1000 });
  return messages.flatMap((bytes) => {
    const out = c.handle({ protocol: 'ipfix', transport: 'udp', from: '127.77.2.3', bytes, receivedAt: T });
    expect(out.dead).toEqual([]);
    return out.events;
  });
}

describe('simulator wire encodings', () => {
  it('flow records (v4 with post-NAT, v6, no ports) come back field for field, split into MTU-sized messages', () => {
    const flows = [
      ...Array.from({ length: 60 }, (_, i) => flow({ srcPort: 40000 + i })),
      flow({ postNatSrcAddr: '198.51.100.7', postNatSrcPort: 40001, endReason: 'END_OF_FLOW' }),
      flow({ srcAddr: '2001:db8:20::5', dstAddr: '2001:db8:10::1', endReason: 'IDLE_TIMEOUT' }),
      flow({ protocol: 1, srcPort: null, dstPort: null, endReason: 'FORCED_END' }),
    ];
    const messages = createIpfixExporter().encode(flows.map((f) => flowCells(f)!), T + 1500);
    expect(messages.length).toBeGreaterThan(1);
    for (const m of messages) expect(m.length).toBeLessThanOrEqual(1400);
    const back = collectFlows(messages).map((e) => e.value as FlowEvent);
    expect(back).toHaveLength(flows.length);
    back.forEach((b, i) => {
      const { eventId: _e, exporterId: _x, exportTime: _t, ...want } = flows[i]!;
      expect(b).toMatchObject(want);
      expect(b.exportTime).toBe(Math.floor((T + 1500) / 1000) * 1000);
    });
  });

  it('the IPFIX sequence number counts the data records sent before each message', () => {
    const ex = createIpfixExporter();
    const [a] = ex.encode([flowCells(flow())!, flowCells(flow())!], T);
    const [b] = ex.encode([flowCells(flow())!], T + 10);
    expect([a!.readUInt32BE(8), b!.readUInt32BE(8)]).toEqual([0, 2]);
    expect(b!.readUInt16BE(16)).not.toBe(2); // within the refresh interval: no template set again
  });

  it('a port block allocate / release is an RFC 8158 natEvent 16 / 17 with its port range', () => {
    const s = (action: 'START' | 'STOP') => session({ kind: 'PORT_BLOCK', action, natEvent: 14, eventTime: T - 600_000, insideAddr: '100.64.3.4', outsideAddr: '198.51.100.7', portRangeStart: 39936, portRangeEnd: 40447 });
    const back = collectFlows(createIpfixExporter().encode([portBlockCells(s('START'))!, portBlockCells(s('STOP'))!], T));
    expect(back.map((e) => e.value)).toMatchObject([
      { kind: 'PORT_BLOCK', action: 'START', natEvent: 16, eventTime: T - 600_000, insideAddr: '100.64.3.4', outsideAddr: '198.51.100.7', portRangeStart: 39936, portRangeEnd: 40447 },
      { kind: 'PORT_BLOCK', action: 'STOP', natEvent: 17 },
    ]);
    expect(portBlockCells(session({ kind: 'VPN_SESSION', action: 'START', insideAddr: '1.2.3.4', outsideAddr: '5.6.7.8' }))).toBeNull();
  });

  it('a NAT session create / delete is an RFC 8158 NAT44 session event (natEvent 4 / 5)', () => {
    const s = (action: 'START' | 'STOP') => session({ kind: 'NAT_SESSION', action, natEvent: 1, eventTime: T - 5000, protocol: 17, insideAddr: '100.64.3.4', insidePort: 51000, outsideAddr: '198.51.100.7', outsidePort: 40000 });
    const back = collectFlows(createIpfixExporter().encode([natSessionCells(s('START'))!, natSessionCells(s('STOP'))!], T));
    expect(back.map((e) => e.value)).toMatchObject([
      { kind: 'NAT_SESSION', action: 'START', natEvent: 4, eventTime: T - 5000, protocol: 17, insideAddr: '100.64.3.4', insidePort: 51000, outsideAddr: '198.51.100.7', outsidePort: 40000 },
      { kind: 'NAT_SESSION', action: 'STOP', natEvent: 5 },
    ]);
    expect(natSessionCells(session({ kind: 'NAT_SESSION', action: 'START', insideAddr: '2001:db8::1', outsideAddr: '198.51.100.7', insidePort: 1, outsidePort: 2, protocol: 6 }))).toBeNull();
  });

  it('an access session is an Accounting-Request the collector verifies: times, addresses, prefixes, delay', () => {
    const secret = Buffer.from('nas-secret-123');
    const c = createRadiusCollector({
      secretFor: (a) => (a === '127.77.4.1' ? secret : undefined), resolve: (a) => ({ exporterId: a, providerId: 'us-access' }), pseudonym: (p, acct) => `${p}/${acct}`,
    });
    const rec = session({ kind: 'ACCESS_SESSION', action: 'INTERIM', eventTime: T + 7000, acctDelayTime: 7, acctSessionId: 'us-A-1', subscriberHandle: 'us-sub-0001',
      framedIpAddress: '198.18.4.5', framedIpv6Prefix: '2001:db8:100:1200::/64', delegatedIpv6Prefix: '2001:db8:100:1300::/56' });
    const out = c.handle({ from: '127.77.4.1', port: 5000, bytes: accountingRequest(9, accountingAttributes(rec, '127.77.4.1')!, secret), receivedAt: T + 60_000 });
    expect(out.kind).toBe('record');
    if (out.kind !== 'record') return;
    expect(out.event).toMatchObject({ kind: 'ACCESS_SESSION', action: 'INTERIM', acctDelayTime: 7, acctSessionId: 'us-A-1', subscriberHandle: 'us-access/us-sub-0001',
      framedIpAddress: '198.18.4.5', framedIpv6Prefix: '2001:db8:100:1200::/64', delegatedIpv6Prefix: '2001:db8:100:1300::/56' });
    // whole seconds on the wire (Event-Timestamp): the event time less the delay is T, to the second
    expect(out.event.eventTime - 7000).toBe(Math.floor(T / 1000) * 1000);
    expect(accountingAttributes(session({ kind: 'VPN_SESSION', action: 'START', subscriberHandle: 'x', acctSessionId: 'y' }), '127.0.0.1')).toBeNull();
  });

  it('prefix attributes carry only the significant octets (RFC 3162 2.3)', () => {
    expect([...prefixAttribute('2001:db8:100:1300::/56')]).toEqual([0, 56, 0x20, 0x01, 0x0d, 0xb8, 0x01, 0x00, 0x13]);
  });
});

import avro from 'avsc';
import { afterEach, describe, expect, it } from 'vitest';
import { loadSchemas } from '../../schemas/catalog.ts';
import { avscTapPrototype, avscWriteString, writeString } from './avsc-patch.ts';
import { putAscii } from './ascii-text.ts';

/** Encodes `value` with `type` into a buffer of `size` bytes, with the given writeString. */
function encodeWith(ws: typeof writeString, type: avro.Type, value: unknown, size: number): { end: number; bytes: Buffer } {
  avscTapPrototype.writeString = ws;
  const buf = Buffer.alloc(size, 0xee);
  const end = type.encode(value, buf, 3);
  return { end, bytes: buf };
}

describe('avsc Tap#writeString patch (short ASCII strings without Buffer.byteLength)', () => {
  afterEach(() => { avscTapPrototype.writeString = writeString; });
  const str = avro.Type.forSchema('string');
  const strings = [
    '', 'a', 'fr-flow-1', '100.64.0.1', '2001:db8::1', 'x'.repeat(62), 'y'.repeat(63), 'z'.repeat(64), 'w'.repeat(65), 'v'.repeat(300),
    'é', 'fr-flow-1/é-42', `${'a'.repeat(62)}é`, 'naïve', '\u007f', '\u0080', '日本', '😀', 'a\ud800b', '\udc00', String.fromCharCode(0),
  ];

  it('writes the bytes avsc writes, and ends where it ends, for ASCII, non-ASCII and long strings', () => {
    for (const s of strings) {
      const a = encodeWith(avscWriteString, str, s, 1024);
      const b = encodeWith(writeString, str, s, 1024);
      expect(b.end, JSON.stringify(s)).toBe(a.end);
      expect(b.bytes.equals(a.bytes), JSON.stringify(s)).toBe(true);
      if (!/[\ud800-\udfff]/.test(s) || /^[\ud800-\udbff][\udc00-\udfff]$/.test(s)) expect(str.fromBuffer(b.bytes.subarray(3, b.end))).toBe(s); // a lone surrogate: avsc's own bytes, kept
    }
  });

  it('answers a buffer too short as avsc does (the same negative count, for the caller to resize)', () => {
    for (const s of ['fr-flow-1', 'x'.repeat(63), 'é']) {
      for (let size = 3; size < 3 + s.length + 4; size++) {
        expect(encodeWith(writeString, str, s, size).end, `${JSON.stringify(s)} in ${size}`).toBe(encodeWith(avscWriteString, str, s, size).end);
      }
    }
  });

  it('encodes whole FlowEvent and SessionEvent records to the same bytes as avsc', () => {
    const schemas = loadSchemas();
    const flow = avro.Type.forSchema(schemas.get('FlowEvent') as avro.Schema);
    const session = avro.Type.forSchema(schemas.get('SessionEvent') as avro.Schema);
    const now = 1_764_600_000_000;
    for (let i = 0; i < 200; i++) {
      const f = {
        eventId: i % 7 === 0 ? `é-${i}` : `run-f${i}${'x'.repeat(i % 70)}`, exporterId: 'fr-flow-1', exportTime: now, srcAddr: `100.64.${i}.1`, srcPort: i % 3 ? 1024 + i : null,
        dstAddr: i % 2 ? '2001:db8::1' : '192.0.2.10', dstPort: 443, protocol: 6, startTime: now - i, endTime: now, octets: i, packets: 1, postNatSrcAddr: i % 5 ? null : '198.51.100.7',
        postNatSrcPort: null, endReason: 'ACTIVE_TIMEOUT', jurisdiction: i % 4 ? 'FR' : null, providerId: 'fr', clockOffsetMs: -i,
      };
      const s = {
        eventId: `run-s${i}`, exporterId: 'fr-cgn-1', exportTime: now, kind: 'ACCESS_SESSION', action: 'START', natEvent: null, eventTime: now - 5000, protocol: null,
        outsideAddr: null, outsidePort: null, portRangeStart: null, portRangeEnd: null, insideAddr: null, insidePort: null, framedIpAddress: '100.64.0.9',
        framedIpv6Prefix: '2001:db8:1::/48', delegatedIpv6Prefix: null, acctSessionId: `sess-${'ü'.repeat(i % 3)}${i}`, acctDelayTime: i, subscriberHandle: i % 2 ? null : 'h'.repeat(i),
        jurisdiction: 'FR', providerId: 'fr', clockOffsetMs: 0,
      };
      for (const [type, v] of [[flow, f], [session, s]] as const) {
        const a = encodeWith(avscWriteString, type, v, 4096);
        const b = encodeWith(writeString, type, v, 4096);
        expect(b.end).toBe(a.end);
        expect(b.bytes.equals(a.bytes)).toBe(true);
      }
    }
  });

  it('putAscii refuses non-ASCII and what does not fit', () => {
    const b = Buffer.alloc(4);
    expect(putAscii(b, 0, 'abcd')).toBe(4);
    expect(b.toString('latin1')).toBe('abcd');
    expect(putAscii(b, 1, 'abcd')).toBe(-1);
    expect(putAscii(b, 0, 'aé')).toBe(-1);
  });
});

import { describe, expect, it } from 'vitest';
import { createBinaryCopy } from './copy-binary.ts';

const HEADER = 19;

describe('COPY binary form', () => {
  it('frames a stream: signature, flags, rows, trailer', () => {
    const b = createBinaryCopy(8).row(1).int4(7).end();
    expect(b.subarray(0, 11).toString('latin1')).toBe('PGCOPY\n\xff\r\n\0');
    expect(b.readInt32BE(11)).toBe(0); // flags
    expect(b.readInt32BE(15)).toBe(0); // no header extension
    expect([b.readInt16BE(HEADER), b.readInt32BE(HEADER + 2), b.readInt32BE(HEADER + 6)]).toEqual([1, 4, 7]);
    expect(b.readInt16BE(b.length - 2)).toBe(-1);
  });
  it('writes NULL as length -1, text as UTF-8, "char" as one byte', () => {
    const b = createBinaryCopy().row(3).text(null).text('é|x').char('i').end();
    expect(b.readInt32BE(HEADER + 2)).toBe(-1);
    expect(b.readInt32BE(HEADER + 6)).toBe(4);
    expect(b.subarray(HEADER + 10, HEADER + 14).toString('utf8')).toBe('é|x');
    expect([b.readInt32BE(HEADER + 14), b[HEADER + 18]]).toEqual([1, 'i'.charCodeAt(0)]);
  });
  it('timestamptz is microseconds since 2000-01-01 UTC', () => {
    const b = createBinaryCopy().row(1).timestamptz(Date.UTC(2000, 0, 1, 0, 0, 1, 250)).end();
    expect(b.readBigInt64BE(HEADER + 6)).toBe(1_250_000n);
  });
  it('inet: family, bits, is_cidr, length, address bytes; an IPv4-mapped address stays IPv6', () => {
    const v4 = createBinaryCopy().row(1).inet('198.51.100.7').end();
    expect([...v4.subarray(HEADER + 6, HEADER + 14)]).toEqual([2, 32, 0, 4, 198, 51, 100, 7]);
    const v6 = createBinaryCopy().row(1).inet('2001:db8::1').end();
    expect([...v6.subarray(HEADER + 6, HEADER + 10)]).toEqual([3, 128, 0, 16]);
    expect(v6.subarray(HEADER + 10, HEADER + 26).toString('hex')).toBe('20010db8000000000000000000000001');
    const mapped = createBinaryCopy().row(1).inet('::ffff:192.0.2.1').end();
    expect(mapped.subarray(HEADER + 10, HEADER + 26).toString('hex')).toBe('00000000000000000000ffffc0000201');
  });
  it('grows past its first buffer', () => {
    const c = createBinaryCopy(32);
    for (let i = 0; i < 1000; i++) c.row(1).bytea(Buffer.alloc(100, i & 255));
    const b = c.end();
    expect(b.length).toBe(HEADER + 1000 * (2 + 4 + 100) + 2);
  });
});

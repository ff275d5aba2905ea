// Reading IPFIX / NetFlow v9 / RADIUS field values from bytes. Pure. Every reader is given
// an offset and length already checked against the buffer by its caller.
import { canonicalAddress } from '../../common/address.ts';

/** Unsigned big-endian integer of 1-8 bytes (IPFIX reduced-size encoding, RFC 7011 6.2).
 *  Values above 2^53 lose precision (counters that large do not occur per record). */
export function readUint(b: Buffer, off: number, len: number): number {
  if (len <= 6) return b.readUIntBE(off, len);
  let v = 0;
  for (let i = 0; i < len; i++) v = v * 256 + b[off + i]!;
  return v;
}

export function ipv4Text(b: Buffer, off: number): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

/** 16 bytes as canonical RFC 5952 text (an IPv4-mapped address stays IPv6 text). */
export function ipv6Text(b: Buffer, off: number, len = 16): string {
  const g: string[] = [];
  for (let i = 0; i < 16; i += 2) g.push(i + 1 < len ? b.readUInt16BE(off + i).toString(16) : i < len ? (b[off + i]! << 8).toString(16) : '0');
  return canonicalAddress(g.join(':'));
}

// Addresses in canonical text (IPv4 dotted quad, IPv6 per RFC 5952; IPv4-mapped IPv6 becomes
// IPv4), prefixes, and the window key an address is indexed under. Pure and hot: IPv4 takes
// a hand-written fast path, IPv6 goes through ipaddr.js.
import ipaddr from 'ipaddr.js';
import { CrosstraceError } from './errors.ts';

export class AddressError extends CrosstraceError {}

const V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** IPv4 text -> uint32, or -1 when not a canonical-able dotted quad. */
export function ipv4ToInt(s: string): number {
  const m = V4.exec(s);
  if (!m) return -1;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const part = m[i]!;
    if (part.length > 1 && part[0] === '0') return -1; // no octal-looking octets
    const v = Number(part);
    if (v > 255) return -1;
    n = n * 256 + v;
  }
  return n;
}

export function intToIpv4(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

function fail(code: 'CT_INVALID_ADDRESS' | 'CT_INVALID_PREFIX', msg: string): never {
  throw new AddressError(code, msg);
}

/** Canonical text of an address; throws AddressError (CT_INVALID_ADDRESS) otherwise. */
export function canonicalAddress(text: string): string {
  if (ipv4ToInt(text) >= 0) return text;
  if (typeof text !== 'string' || text.includes('%') || !text.includes(':') || !ipaddr.IPv6.isValid(text)) {
    fail('CT_INVALID_ADDRESS', `${JSON.stringify(text)} is not an IPv4 or IPv6 address`);
  }
  const a = ipaddr.IPv6.parse(text);
  return a.isIPv4MappedAddress() ? a.toIPv4Address().toString() : a.toRFC5952String();
}

export function isValidAddress(text: string): boolean {
  try { canonicalAddress(text); return true; } catch { return false; }
}

export const familyOf = (canonical: string): 4 | 6 => (canonical.includes(':') ? 6 : 4);

/** 16 bytes of an IPv6 address (canonical or not). */
function v6Bytes(a: string): number[] {
  return ipaddr.IPv6.parse(a).toByteArray();
}

export interface Prefix { family: 4 | 6; network: string; length: number }

/** Parses CIDR text; host bits are cleared (the network is what matters) and reported in `hadHostBits`. */
export function parsePrefix(cidr: string): Prefix & { hadHostBits: boolean } {
  const slash = cidr.indexOf('/');
  if (slash < 0) fail('CT_INVALID_PREFIX', `${JSON.stringify(cidr)} is not CIDR (addr/len)`);
  let addr: string;
  try { addr = canonicalAddress(cidr.slice(0, slash)); } catch { fail('CT_INVALID_PREFIX', `${JSON.stringify(cidr)} has an invalid address`); }
  const lenText = cidr.slice(slash + 1);
  const length = Number(lenText);
  const family = familyOf(addr);
  if (!/^\d{1,3}$/.test(lenText) || length > (family === 4 ? 32 : 128)) fail('CT_INVALID_PREFIX', `${JSON.stringify(cidr)} has an invalid length`);
  const network = networkOf(addr, length);
  return { family, network, length, hadHostBits: network !== addr };
}

/** The network address of `addr` (canonical) at `length` bits. */
export function networkOf(addr: string, length: number): string {
  if (familyOf(addr) === 4) {
    const n = ipv4ToInt(addr);
    const mask = length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
    return intToIpv4((n & mask) >>> 0);
  }
  const b = v6Bytes(addr);
  for (let i = 0; i < 16; i++) {
    const bits = Math.max(0, Math.min(8, length - i * 8));
    b[i]! &= bits === 0 ? 0 : (0xff << (8 - bits)) & 0xff;
  }
  return (ipaddr.fromByteArray(b) as ipaddr.IPv6).toRFC5952String();
}

export function prefixContains(prefix: string | Prefix, addr: string): boolean {
  const p = typeof prefix === 'string' ? parsePrefix(prefix) : prefix;
  const a = canonicalAddress(addr);
  return familyOf(a) === p.family && networkOf(a, p.length) === p.network;
}

const SCOPED_V4: [number, number][] = [['10.0.0.0', 8], ['172.16.0.0', 12], ['192.168.0.0', 16], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16]]
  .map(([a, l]) => [ipv4ToInt(a as string), l as number]);

/** True for addresses that repeat across providers (RFC 1918, RFC 6598, loopback, link-local, ULA). */
export function isScopedAddress(addr: string): boolean {
  const n = ipv4ToInt(addr);
  if (n >= 0) return SCOPED_V4.some(([net, len]) => ((n & ((0xffffffff << (32 - len)) >>> 0)) >>> 0) === net);
  const first = v6Bytes(addr);
  return (first[0]! & 0xfe) === 0xfc || (first[0] === 0xfe && (first[1]! & 0xc0) === 0x80);
}

/** Window key (no braces) of an exact address: IPv4 itself, IPv6 its /48 bucket, scoped ones prefixed by provider. */
export function windowKey(addr: string, scopeProviderId: string | null): string {
  const a = canonicalAddress(addr);
  const body = familyOf(a) === 4 ? a : `6:${networkOf(a, 48)}/48`;
  return scopeProviderId ? `${scopeProviderId}|${body}` : body;
}

/** Window keys a prefix is indexed under (IPv4 up to 256 addresses, IPv6 /40 or longer). */
export function windowKeysForPrefix(cidr: string, scopeProviderId: string | null): string[] {
  const p = parsePrefix(cidr);
  const scoped = (body: string) => (scopeProviderId ? `${scopeProviderId}|${body}` : body);
  if (p.family === 4) {
    if (p.length < 24) fail('CT_INVALID_PREFIX', `${cidr}: IPv4 prefixes shorter than /24 are not indexed per address`);
    const base = ipv4ToInt(p.network);
    return Array.from({ length: 2 ** (32 - p.length) }, (_, i) => scoped(intToIpv4(base + i)));
  }
  if (p.length >= 48) return [scoped(`6:${networkOf(p.network, 48)}/48`)];
  if (p.length < 40) fail('CT_INVALID_PREFIX', `${cidr}: IPv6 prefixes shorter than /40 are not indexed`);
  const b = v6Bytes(p.network);
  const out: string[] = [];
  for (let i = 0; i < 2 ** (48 - p.length); i++) {
    const c = [...b];
    c[5] = (c[5]! | i) & 0xff;
    out.push(scoped(`6:${(ipaddr.fromByteArray(c) as ipaddr.IPv6).toRFC5952String()}/48`));
  }
  return out;
}

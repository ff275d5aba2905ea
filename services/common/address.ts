// Addresses in canonical text, prefixes, scoped (non-unique) address space and the Redis
// window key an address or prefix is indexed under. Pure and hot (ingest runs
// canonicalAddress per event): IPv4 and IPv6 take hand-written parsers (ip-text.ts), checked
// against ipaddr.js in address.test.ts.
//
// Canonical text: IPv4 dotted quad without leading zeros; IPv6 per RFC 5952 (lowercase,
// longest zero run compressed); an IPv4-mapped IPv6 address (::ffff:a.b.c.d) becomes IPv4.
// Zone ids (fe80::1%eth0) are rejected: they have no meaning outside the host that wrote them.
import { CrosstraceError } from './errors.ts';
import { formatV6, intToIpv4, ipv4ToInt, v6Parts } from './ip-text.ts';

export { intToIpv4, ipv4ToInt } from './ip-text.ts';

/** Bad address (CT_INVALID_ADDRESS) or prefix (CT_INVALID_PREFIX); permanent. */
export class AddressError extends CrosstraceError {
  constructor(code: 'CT_INVALID_ADDRESS' | 'CT_INVALID_PREFIX', message: string, cause?: unknown) {
    super(code, message, { cause });
    this.name = 'AddressError';
  }
}

const badAddress = (text: unknown, why: string): AddressError =>
  new AddressError('CT_INVALID_ADDRESS', `${JSON.stringify(text)} is not a valid IPv4/IPv6 address: ${why}`);
const badPrefix = (text: unknown, why: string, cause?: unknown): AddressError =>
  new AddressError('CT_INVALID_PREFIX', `${JSON.stringify(text)} is not a valid prefix: ${why}`, cause);

function partsToText(p: number[]): string {
  return isMapped(p) ? intToIpv4(((p[6]! << 16) | p[7]!) >>> 0) : formatV6(p);
}

function partsOrThrow(text: string): number[] {
  if (typeof text !== 'string') throw badAddress(text, 'not a string');
  if (text.includes('%')) throw badAddress(text, 'zone ids are not allowed');
  const p = v6Parts(text);
  if (p === null) throw badAddress(text, 'expected a dotted quad or IPv6 text');
  return p;
}

const isMapped = (p: readonly number[]): boolean =>
  p[0] === 0 && p[1] === 0 && p[2] === 0 && p[3] === 0 && p[4] === 0 && p[5] === 0xffff;

/** Canonical text of an address; throws AddressError (CT_INVALID_ADDRESS) otherwise. */
export function canonicalAddress(text: string): string {
  if (ipv4ToInt(text) >= 0) return text;
  return partsToText(partsOrThrow(text));
}

/** An address as bits, parsed once: IPv4 (mapped IPv6 included) as uint32, IPv6 as 32 hex digits. */
export type AddressBits = { family: 4; n: number } | { family: 6; hex: string };

/** Parses any valid address text; throws AddressError (CT_INVALID_ADDRESS) otherwise. */
export function addressBits(text: string): AddressBits {
  const n = ipv4ToInt(text);
  if (n >= 0) return { family: 4, n };
  const p = partsOrThrow(text);
  if (isMapped(p)) return { family: 4, n: ((p[6]! << 16) | p[7]!) >>> 0 };
  let hex = '';
  for (const g of p) hex += g.toString(16).padStart(4, '0');
  return { family: 6, hex };
}

export function isValidAddress(text: string): boolean {
  if (ipv4ToInt(text) >= 0) return true;
  return typeof text === 'string' && v6Parts(text) !== null;
}

/** Address family of canonical text. */
export const familyOf = (canonical: string): 4 | 6 => (canonical.includes(':') ? 6 : 4);

/** The 128 bits of an IPv6 address as 32 lowercase hex digits (prefix math by string slicing).
 *  IPv4 (or IPv4-mapped) text throws. */
export function ipv6ToHex(addr: string): string {
  const b = addressBits(addr);
  if (b.family !== 6) throw badAddress(addr, 'expected IPv6 text');
  return b.hex;
}

/** First `length` bits of 32 hex digits, as hex: whole nibbles plus one masked partial nibble. */
export function hexPrefix(hex: string, length: number): string {
  const whole = length >> 2;
  const rest = length & 3;
  if (rest === 0) return hex.slice(0, whole);
  const nib = parseInt(hex[whole]!, 16) & ((0xf << (4 - rest)) & 0xf);
  return hex.slice(0, whole) + nib.toString(16);
}

function hexToText(hexBits: string): string {
  const full = hexBits.padEnd(32, '0');
  const parts: number[] = [];
  for (let i = 0; i < 32; i += 4) parts.push(parseInt(full.slice(i, i + 4), 16));
  return formatV6(parts);
}

const v4Mask = (length: number): number => (length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0);

/** Network address (canonical) of canonical `addr` at `length` bits. IPv6 results stay IPv6 text. */
export function networkOf(addr: string, length: number): string {
  if (familyOf(addr) === 4) return intToIpv4((ipv4ToInt(addr) & v4Mask(length)) >>> 0);
  return hexToText(hexPrefix(ipv6ToHex(addr), length));
}

export interface Prefix {
  family: 4 | 6;
  /** Network address, canonical text, host bits cleared. */
  network: string;
  length: number;
}

/**
 * Parses CIDR text. Decision: host bits set ("198.51.100.7/24") are NOT an error: RADIUS
 * Framed-IPv6-Prefix and operator files routinely carry them. The prefix is canonicalised to
 * its network and `hadHostBits` says so, for callers that want to be strict. An IPv4-mapped
 * IPv6 prefix (::ffff:198.51.100.0/120) becomes the IPv4 prefix (/24). Throws
 * AddressError (CT_INVALID_PREFIX) on anything else.
 */
export function parsePrefix(cidr: string): Prefix & { hadHostBits: boolean } {
  if (typeof cidr !== 'string') throw badPrefix(cidr, 'not a string');
  const slash = cidr.indexOf('/');
  if (slash < 0) throw badPrefix(cidr, 'expected addr/len');
  const lenText = cidr.slice(slash + 1);
  if (!/^(0|[1-9]\d{0,2})$/.test(lenText)) throw badPrefix(cidr, 'length must be a decimal number');
  let length = Number(lenText);
  const addrText = cidr.slice(0, slash);
  let addr: string;
  try {
    addr = canonicalAddress(addrText);
  } catch (e) {
    throw badPrefix(cidr, (e as Error).message, e);
  }
  const family = familyOf(addr);
  if (family === 4 && addrText.includes(':')) {
    if (length < 96) throw badPrefix(cidr, 'an IPv4-mapped prefix must be /96 or longer');
    length -= 96;
  }
  if (length > (family === 4 ? 32 : 128)) throw badPrefix(cidr, `length ${length} exceeds ${family === 4 ? 32 : 128}`);
  const network = networkOf(addr, length);
  return { family, network, length, hadHostBits: network !== addr };
}

/** Canonical CIDR text of a prefix. */
export const prefixText = (p: Prefix): string => `${p.network}/${p.length}`;

/** True when `addr` (any valid text) lies in `prefix`; false across families. */
export function prefixContains(prefix: string | Prefix, addr: string): boolean {
  const p = typeof prefix === 'string' ? parsePrefix(prefix) : prefix;
  const a = addressBits(addr);
  if (a.family !== p.family) return false;
  if (a.family === 4) return ((a.n & v4Mask(p.length)) >>> 0) === ipv4ToInt(p.network);
  return hexPrefix(a.hex, p.length) === hexPrefix(ipv6ToHex(p.network), p.length);
}

/** Scoped IPv4 space as network, mask pairs (uint32), flat: checked once per address in ingest. */
const SCOPED_V4: readonly number[] = [
  ['10.0.0.0', 8], ['172.16.0.0', 12], ['192.168.0.0', 16], // RFC 1918
  ['100.64.0.0', 10], // RFC 6598 shared (CGN) space
  ['127.0.0.0', 8], ['169.254.0.0', 16], // loopback, link-local
].flatMap(([a, l]) => [ipv4ToInt(a as string), v4Mask(l as number)]);

function isScopedV4(n: number): boolean {
  for (let i = 0; i < SCOPED_V4.length; i += 2) if (((n & SCOPED_V4[i + 1]!) >>> 0) === SCOPED_V4[i]) return true;
  return false;
}

/**
 * True for addresses that repeat across providers, so their windows are scoped by provider:
 * 10/8, 172.16/12, 192.168/16, 100.64/10, 127/8, 169.254/16, fc00::/7 (ULA), fe80::/10, ::1.
 * Throws AddressError on invalid text.
 */
export function isScopedAddress(addr: string | AddressBits): boolean {
  const v4 = typeof addr === 'string' ? ipv4ToInt(addr) : -1; // dotted quad: no AddressBits object
  if (v4 >= 0) return isScopedV4(v4);
  const b = typeof addr === 'string' ? addressBits(addr) : addr;
  if (b.family === 4) return isScopedV4(b.n);
  const b0 = parseInt(b.hex.slice(0, 2), 16);
  const b1 = parseInt(b.hex.slice(2, 4), 16);
  return (b0 & 0xfe) === 0xfc || (b0 === 0xfe && (b1 & 0xc0) === 0x80) || b.hex === '00000000000000000000000000000001';
}

const scoped = (body: string, scopeProviderId: string | null): string =>
  scopeProviderId ? `${scopeProviderId}|${body}` : body;

/** IPv6 windows are /48 buckets: an address and every /48-or-longer prefix holding it share one key. */
const v6Bucket = (hex: string): string => `6:${hexToText(hex.slice(0, 12))}/48`;

/**
 * Window key body (no hash-tag braces) of an exact address: IPv4 -> the address; IPv6 -> its
 * /48 bucket `6:<network>/48`; with a scope (scoped addresses) -> `<providerId>|<body>`.
 */
export function windowKey(addr: string, scopeProviderId: string | null): string {
  if (ipv4ToInt(addr) >= 0) return scoped(addr, scopeProviderId);
  const b = addressBits(addr);
  return scoped(b.family === 4 ? intToIpv4(b.n) : v6Bucket(b.hex), scopeProviderId);
}

/** windowKey(addr, scopeProviderId) when `addr` is scoped (isScopedAddress), else null: the check
 *  and the key in one parse of a dotted quad (ingest asks both for every address it indexes).
 *  Throws AddressError on invalid text. */
export function scopedWindowKey(addr: string, scopeProviderId: string): string | null {
  const v4 = ipv4ToInt(addr);
  if (v4 >= 0) return isScopedV4(v4) ? scoped(addr, scopeProviderId) : null;
  return isScopedAddress(addr) ? windowKey(addr, scopeProviderId) : null;
}

/** Most IPv4 addresses a prefix may expand to (a /24). */
export const MAX_V4_PREFIX_KEYS = 256;
/** Shortest IPv6 prefix indexed: a /40 spans 256 /48 buckets. */
export const MIN_V6_PREFIX_LENGTH = 40;

/**
 * Window keys a prefix is indexed under, so an exact-address lookup finds it: IPv4 -> one key
 * per address (at most 256, i.e. /24 or longer; framed pools are normally /32); IPv6 /48 or
 * longer -> its single /48 bucket; /40../47 -> its 2^(48-len) buckets; shorter -> throws
 * CT_INVALID_PREFIX.
 */
export function windowKeysForPrefix(cidr: string, scopeProviderId: string | null): string[] {
  const p = parsePrefix(cidr);
  if (p.family === 4) {
    const count = 2 ** (32 - p.length);
    if (count > MAX_V4_PREFIX_KEYS) throw badPrefix(cidr, `IPv4 prefixes shorter than /24 (${count} addresses) are not indexed per address`);
    const base = ipv4ToInt(p.network);
    return Array.from({ length: count }, (_, i) => scoped(intToIpv4(base + i), scopeProviderId));
  }
  const hex = ipv6ToHex(p.network);
  if (p.length >= 48) return [scoped(v6Bucket(hex), scopeProviderId)];
  if (p.length < MIN_V6_PREFIX_LENGTH) throw badPrefix(cidr, `IPv6 prefixes shorter than /${MIN_V6_PREFIX_LENGTH} are not indexed`);
  const head = parseInt(hex.slice(0, 12), 16); // first 48 bits, exact in a double
  return Array.from({ length: 2 ** (48 - p.length) }, (_, i) =>
    scoped(v6Bucket((head + i).toString(16).padStart(12, '0')), scopeProviderId));
}

// Address arithmetic for the simulated world: the k-th host of an IPv4 pool in a scrambled
// (but bijective) order, sub-prefixes of an IPv6 pool, random addresses of the rest of the
// internet. Pure; canonical text throughout.
import { canonicalAddress, intToIpv4, ipv4ToInt, ipv6ToHex, parsePrefix, type Prefix } from '../common/address.ts';
import type { Rng } from './relay-traffic.ts';

export const hostCount = (p: Prefix): number => 2 ** ((p.family === 4 ? 32 : 128) - p.length);

/** First host offset used for servers and exits: skips network and low infrastructure addresses. */
export const firstHost = (p: Prefix): number => Math.min(10, Math.max(1, Math.floor(hostCount(p) / 8)));

/** Address at `offset` from the network of an IPv4 prefix. */
export function v4At(p: Prefix, offset: number): string {
  return intToIpv4((ipv4ToInt(p.network) + offset) >>> 0);
}

/**
 * An IPv4 pool handing out host addresses in a scrambled order (k -> k * stride mod size, a
 * bijection for odd stride and power-of-two size), skipping network and broadcast. Released
 * addresses are handed out again (address reuse across subscribers over time).
 */
export function createV4Pool(cidr: string, r: Rng) {
  const p = parsePrefix(cidr);
  const size = hostCount(p);
  const stride = (2 * r.int(Math.floor(size / 8), Math.floor(size / 4)) + 1) % size || 1;
  const base = r.int(0, size - 1);
  let k = 0;
  const released: string[] = [];
  return {
    /** A released address (w.p. reuseChance when any) or a never-used one. */
    take(reuseChance = 0): string {
      if (released.length > 0 && (k >= size || r.chance(reuseChance))) return released.splice(r.int(0, released.length - 1), 1)[0]!;
      for (;;) {
        if (k >= size) throw new RangeError(`address pool ${cidr} exhausted`);
        const off = (base + k++ * stride) % size;
        if (off !== 0 && off !== size - 1) return v4At(p, off);
      }
    },
    release(addr: string): void { released.push(addr); },
  };
}

export type V4Pool = ReturnType<typeof createV4Pool>;

function hexToText(hex: string): string {
  const groups: string[] = [];
  for (let i = 0; i < 32; i += 4) groups.push(hex.slice(i, i + 4));
  return canonicalAddress(groups.join(':'));
}

/** The index-th /newLength sub-prefix of an IPv6 prefix, CIDR text. */
export function v6Sub(p: Prefix, newLength: number, index: number): string {
  const net = BigInt(`0x${ipv6ToHex(p.network)}`);
  const v = net | (BigInt(index) << BigInt(128 - newLength));
  return `${hexToText(v.toString(16).padStart(32, '0'))}/${newLength}`;
}

/** A random host address inside an IPv6 CIDR (interface id not zero). */
export function v6HostIn(cidr: string, r: Rng): string {
  const p = parsePrefix(cidr);
  const net = BigInt(`0x${ipv6ToHex(p.network)}`);
  const hostBits = 128 - p.length;
  let host = 0n;
  for (let b = 0; b < hostBits; b += 16) host = (host << 16n) | BigInt(r.int(0, 0xffff));
  host &= (1n << BigInt(hostBits)) - 1n;
  if (host === 0n) host = 1n;
  return hexToText((net | host).toString(16).padStart(32, '0'));
}

/** A random address of the rest of the internet, of one family when asked (falls back to any). */
export function elsewhereAddr(prefixes: readonly Prefix[], r: Rng, family: 4 | 6 | null = null): string {
  const pick = family === null ? prefixes : prefixes.filter((x) => x.family === family);
  const from = pick.length > 0 ? pick : prefixes;
  const p = from[r.int(0, from.length - 1)]!;
  if (p.family === 6) return v6HostIn(`${p.network}/${p.length}`, r);
  return v4At(p, r.int(1, Math.max(1, hostCount(p) - 2)));
}

export const ephemeralPort = (r: Rng): number => r.int(32_768, 60_999);

// The simulator's own RFC 7422 mapping, for its ground truth: where an inside host of a
// deterministic NAT rule appears outside. Written apart from the correlator's
// deterministic-nat.ts (the code the simulation checks) and in another way: bit fields of the
// inside offset instead of division. The inside offset k splits into (outside address index,
// port block): the high bits (k >> log2 S) pick the outside address, the low log2 S bits the
// block of portsPerSubscriber ports from firstPort, where S = 2^(outside length - inside
// length) inside hosts share one outside address. rfc7422.test.ts checks that both agree. Pure.
import type { DeterministicNatRule } from '../../schemas/types.gen.ts';

export interface NatTarget { outsideAddr: string; portLo: number; portHi: number }

function v4(text: string): number {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) throw new RangeError(`${text} is not an IPv4 address`);
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

const dotted = (n: number): string => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');

function cidr(text: string): { base: number; bits: number } {
  const [addr, len] = text.split('/');
  const bits = Number(len);
  if (addr === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) throw new RangeError(`${text} is not an IPv4 prefix`);
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return { base: (v4(addr) & mask) >>> 0, bits };
}

/** Outside address and port range of `insideAddr`; throws when the rule does not cover it. */
export function natTarget(rule: DeterministicNatRule, insideAddr: string): NatTarget {
  const inside = cidr(rule.insidePrefix);
  const outside = cidr(rule.outsidePrefix);
  const shareBits = outside.bits - inside.bits;
  if (shareBits < 0 || shareBits > 30) throw new RangeError(`rule ${rule.insidePrefix} -> ${rule.outsidePrefix}: outside larger than inside, or over 2^30 hosts per address`);
  const k = v4(insideAddr) - inside.base;
  if (k < 0 || k >= 2 ** (32 - inside.bits)) throw new RangeError(`${insideAddr} is not in ${rule.insidePrefix}`);
  const addressIndex = k >>> shareBits;
  const block = (k & ((1 << shareBits) - 1)) >>> 0;
  const portLo = rule.firstPort + block * rule.portsPerSubscriber;
  return { outsideAddr: dotted((outside.base + addressIndex) >>> 0), portLo, portHi: portLo + rule.portsPerSubscriber - 1 };
}

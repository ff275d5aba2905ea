import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import {
  addressBits, canonicalAddress, ipv4ToInt, isScopedAddress, isValidAddress, networkOf, parsePrefix, prefixContains, scopedWindowKey, windowKey, windowKeysForPrefix,
} from './address.ts';

const codeOf = (fn: () => unknown): string | undefined => {
  try { fn(); return undefined; } catch (e) { return (e as { code?: string }).code; }
};

describe('canonicalAddress', () => {
  it('keeps canonical IPv4 and writes IPv6 per RFC 5952', () => {
    expect(canonicalAddress('198.51.100.7')).toBe('198.51.100.7');
    expect(canonicalAddress('0.0.0.0')).toBe('0.0.0.0');
    expect(canonicalAddress('255.255.255.255')).toBe('255.255.255.255');
    expect(canonicalAddress('2001:0DB8:0000:0000:0000:0000:0000:0001')).toBe('2001:db8::1');
    expect(canonicalAddress('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1'); // first of two equal runs
    expect(canonicalAddress('2001:db8:0:1:1:1:1:1')).toBe('2001:db8:0:1:1:1:1:1'); // a single 0 group is not compressed
    expect(canonicalAddress('2001:DB8::A:0:0:0')).toBe('2001:db8:0:0:a::');
  });
  it('turns IPv4-mapped IPv6 (dotted or hex) into IPv4, but not IPv4-compatible ::a.b.c.d', () => {
    expect(canonicalAddress('::ffff:198.51.100.7')).toBe('198.51.100.7');
    expect(canonicalAddress('::FFFF:c633:6407')).toBe('198.51.100.7');
    expect(canonicalAddress('0:0:0:0:0:ffff:100.64.3.4')).toBe('100.64.3.4');
    expect(canonicalAddress('::1.2.3.4')).toBe('::102:304');
    expect(canonicalAddress('64:ff9b::198.51.100.7')).toBe('64:ff9b::c633:6407');
  });
  it('rejects garbage, out-of-range octets, leading zeros, whitespace and zone ids with CT_INVALID_ADDRESS', () => {
    for (const bad of ['300.1.2.3', '1.2.3', '01.2.3.4', '1.2.3.4.5', '1..2.3', '.1.2.3', ' 1.2.3.4', '1.2.3.4 ', 'hello', '',
      '2001:db8::g', '1::2::3', '2001:db8::00001', '::ffff:1.2.3.256', '1:2:3:4:5:6:7:8:9', '0x1.2.3.4']) {
      expect(codeOf(() => canonicalAddress(bad)), bad).toBe('CT_INVALID_ADDRESS');
      expect(isValidAddress(bad), bad).toBe(false);
    }
    expect(() => canonicalAddress('fe80::1%eth0')).toThrow(/zone ids are not allowed/);
    expect(codeOf(() => canonicalAddress(42 as unknown as string))).toBe('CT_INVALID_ADDRESS');
    expect(isValidAddress('2001:db8::1')).toBe(true);
    expect(isValidAddress('::ffff:1.2.3.4')).toBe(true);
  });
  it('agrees with ipaddr.js on validity and RFC 5952 text (seeded differential test)', () => {
    let seed = 12345;
    const rnd = (k: number) => Math.floor(((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * k);
    const alphabet = '0123456789abcdefABCDEF:.::';
    const disagree: string[] = [];
    for (let i = 0; i < 10_000; i++) {
      let s = '';
      for (let j = 2 + rnd(20); j > 0; j--) s += alphabet[rnd(alphabet.length)];
      if (isValidAddress(s) !== (ipaddr.IPv6.isValid(s) || ipaddr.IPv4.isValidFourPartDecimal(s))) disagree.push(s);
    }
    for (let i = 0; i < 8_000; i++) {
      // zero runs of random length and place, random case, random leading zeros, compressed or not
      const parts = Array.from({ length: 8 }, () => (rnd(3) === 0 ? rnd(65536) : 0));
      if (rnd(10) === 0) parts.splice(0, 6, 0, 0, 0, 0, 0, 0xffff);
      const groups = parts.map((g) => { const h = g.toString(16).padStart(rnd(2) ? 4 : 1, '0'); return rnd(2) ? h.toUpperCase() : h; });
      let text = groups.join(':');
      const zs = text.match(/(^|:)(0+:){1,}0+(:|$)/);
      if (zs && rnd(2)) text = text.replace(zs[0], '::');
      const ref = ipaddr.IPv6.parse(text);
      const want = ref.isIPv4MappedAddress() ? ref.toIPv4Address().toString() : ref.toRFC5952String();
      if (canonicalAddress(text) !== want) disagree.push(`${text} -> ${canonicalAddress(text)} != ${want}`);
    }
    expect(disagree).toEqual([]);
  });
  it('ipv4ToInt is exact at the edges', () => {
    expect(ipv4ToInt('255.255.255.255')).toBe(0xffffffff);
    expect(ipv4ToInt('10.0.0.1')).toBe(0x0a000001);
    expect(ipv4ToInt('256.0.0.0')).toBe(-1);
    expect(ipv4ToInt('1.2.3.')).toBe(-1);
  });
});

describe('prefixes', () => {
  it('clears and reports host bits, maps ::ffff:0:0/96 prefixes to IPv4', () => {
    expect(parsePrefix('198.51.100.77/24')).toEqual({ family: 4, network: '198.51.100.0', length: 24, hadHostBits: true });
    expect(parsePrefix('198.51.100.0/24').hadHostBits).toBe(false);
    expect(parsePrefix('2001:DB8:1A0:4FF::1/56')).toEqual({ family: 6, network: '2001:db8:1a0:400::', length: 56, hadHostBits: true });
    expect(parsePrefix('::ffff:198.51.100.0/120')).toEqual({ family: 4, network: '198.51.100.0', length: 24, hadHostBits: false });
    expect(parsePrefix('0.0.0.0/0')).toMatchObject({ network: '0.0.0.0', length: 0 });
    expect(parsePrefix('2001:db8:2f::/44').network).toBe('2001:db8:20::');
  });
  it('rejects bad lengths and addresses with CT_INVALID_PREFIX', () => {
    for (const bad of ['10.0.0.0/33', '2001:db8::/129', '10.0.0.0', '10.0.0.0/', '10.0.0.0/08', '10.0.0.0/-1', '10.0.0.0/2a', 'x/8', '::ffff:1.2.3.0/90']) {
      expect(codeOf(() => parsePrefix(bad)), bad).toBe('CT_INVALID_PREFIX');
    }
  });
  it('contains by family and network, at nibble and byte boundaries', () => {
    expect(prefixContains('2001:db8:20::/44', '2001:db8:2f:1::5')).toBe(true);
    expect(prefixContains('2001:db8:20::/44', '2001:db8:30::1')).toBe(false);
    expect(prefixContains('2001:db8:20::/43', '2001:db8:3f::1')).toBe(true);
    expect(prefixContains('2001:db8:20::/43', '2001:db8:40::1')).toBe(false);
    expect(prefixContains('198.51.100.0/24', '198.51.101.1')).toBe(false);
    expect(prefixContains('100.64.0.0/10', '100.127.255.255')).toBe(true);
    expect(prefixContains('100.64.0.0/10', '100.128.0.0')).toBe(false);
    expect(prefixContains('0.0.0.0/0', '203.0.113.9')).toBe(true);
    expect(prefixContains('::/0', '203.0.113.9')).toBe(false); // no cross-family match
    expect(prefixContains('198.51.100.0/24', '::ffff:198.51.100.9')).toBe(true);
    expect(networkOf('2001:db8:1a0:4ff::1', 52)).toBe('2001:db8:1a0::');
  });
});

describe('scoped space and window keys', () => {
  it('scopes addresses that repeat across providers, and only those', () => {
    const scoped = ['10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '100.64.3.4', '100.127.255.255', '127.0.0.1', '169.254.1.1',
      'fc00::1', 'fd12:3456::1', 'fe80::1', 'febf::1', '::1', '::ffff:10.0.0.1'];
    expect(scoped.filter((a) => !isScopedAddress(a))).toEqual([]);
    const global = ['100.63.255.255', '100.128.0.1', '198.51.100.7', '172.32.0.1', '172.15.255.255', '11.0.0.1', '2001:db8::1', 'fec0::1', 'fbff::1'];
    expect(global.filter(isScopedAddress)).toEqual([]);
    expect([...scoped, ...global].filter((a) => isScopedAddress(addressBits(a)) !== isScopedAddress(a))).toEqual([]);
    // scopedWindowKey: the check and the key in one parse, the same answer as the two asked apart
    for (const a of [...scoped, ...global]) expect(scopedWindowKey(a, 'fr'), a).toBe(isScopedAddress(a) ? windowKey(a, 'fr') : null);
    expect(scopedWindowKey('100.64.3.4', 'fr')).toBe('fr|100.64.3.4');
    expect(codeOf(() => scopedWindowKey('100.64.3', 'fr'))).toBe('CT_INVALID_ADDRESS');
  });
  it('keys IPv4 by address, IPv6 by /48 bucket, scoped ones by provider too', () => {
    expect(windowKey('198.51.100.7', null)).toBe('198.51.100.7');
    expect(windowKey('::ffff:198.51.100.7', null)).toBe('198.51.100.7');
    expect(windowKey('100.64.3.4', 'fr-telecom')).toBe('fr-telecom|100.64.3.4');
    expect(windowKey('2001:DB8:123:4567::99', null)).toBe('6:2001:db8:123::/48');
    expect(windowKey('fd00:1:2:3::9', 'jp-mobile')).toBe('jp-mobile|6:fd00:1:2::/48');
    expect(windowKey('2001:db8::1', null)).toBe('6:2001:db8::/48');
  });
  it('puts an IPv6 address and every prefix holding it (down to /40) in the same /48 window', () => {
    const k = windowKey('2001:db8:123:4567::99', null);
    expect(windowKeysForPrefix('2001:db8:123:4500::/56', null)).toEqual([k]);
    expect(windowKeysForPrefix('2001:db8:123:4567::/64', null)).toEqual([k]);
    expect(windowKeysForPrefix('2001:db8:123::/48', null)).toEqual([k]);
    const wide = windowKeysForPrefix('2001:db8:100::/44', null);
    expect(wide).toHaveLength(16);
    expect(wide[0]).toBe('6:2001:db8:100::/48');
    expect(wide[15]).toBe('6:2001:db8:10f::/48');
    const widest = windowKeysForPrefix('2001:db8:ff00::/40', 'p');
    expect(widest).toHaveLength(256);
    expect(widest[255]).toBe('p|6:2001:db8:ffff::/48');
    expect(() => windowKeysForPrefix('2001:db8::/39', null)).toThrow(/shorter than \/40/);
  });
  it('expands IPv4 prefixes up to 256 addresses and refuses wider ones', () => {
    expect(windowKeysForPrefix('198.51.100.4/30', null)).toEqual(['198.51.100.4', '198.51.100.5', '198.51.100.6', '198.51.100.7']);
    expect(windowKeysForPrefix('100.64.3.4/32', 'fr-telecom')).toEqual(['fr-telecom|100.64.3.4']);
    const slash24 = windowKeysForPrefix('198.51.100.0/24', null);
    expect([slash24.length, slash24[255]]).toEqual([256, '198.51.100.255']);
    expect(codeOf(() => windowKeysForPrefix('198.51.100.0/23', null))).toBe('CT_INVALID_PREFIX');
  });
});

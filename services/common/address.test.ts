import { describe, expect, it } from 'vitest';
import { canonicalAddress, isScopedAddress, parsePrefix, prefixContains, windowKey, windowKeysForPrefix } from './address.ts';
import { createProviderDirectory, loadProvidersFile } from './provider-directory.ts';

describe('addresses', () => {
  it('canonicalises IPv4, IPv6 (RFC 5952) and IPv4-mapped IPv6', () => {
    expect(canonicalAddress('198.51.100.7')).toBe('198.51.100.7');
    expect(canonicalAddress('2001:0DB8:0000:0000:0000:0000:0000:0001')).toBe('2001:db8::1');
    expect(canonicalAddress('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
    expect(canonicalAddress('::ffff:198.51.100.7')).toBe('198.51.100.7');
  });
  it('rejects garbage, out-of-range octets, leading zeros and zone ids with CT_INVALID_ADDRESS', () => {
    for (const bad of ['300.1.2.3', '1.2.3', '01.2.3.4', 'fe80::1%eth0', 'hello', '', '1.2.3.4.5']) {
      expect(() => canonicalAddress(bad), bad).toThrow(expect.objectContaining({ code: 'CT_INVALID_ADDRESS' }));
    }
  });
  it('parses prefixes, clears host bits and matches', () => {
    expect(parsePrefix('198.51.100.77/24')).toEqual({ family: 4, network: '198.51.100.0', length: 24, hadHostBits: true });
    expect(prefixContains('2001:db8:20::/44', '2001:db8:2f:1::5')).toBe(true);
    expect(prefixContains('2001:db8:20::/44', '2001:db8:30::1')).toBe(false);
    expect(prefixContains('198.51.100.0/24', '198.51.101.1')).toBe(false);
    expect(() => parsePrefix('10.0.0.0/33')).toThrow(expect.objectContaining({ code: 'CT_INVALID_PREFIX' }));
  });
  it('scopes addresses that repeat across providers', () => {
    expect(['10.1.2.3', '172.20.0.1', '192.168.1.1', '100.64.3.4', '100.127.255.255', 'fd00::1', 'fe80::1'].every(isScopedAddress)).toBe(true);
    expect(['100.128.0.1', '198.51.100.7', '2001:db8::1', '172.32.0.1'].some(isScopedAddress)).toBe(false);
    expect(windowKey('100.64.3.4', 'fr-telecom')).toBe('fr-telecom|100.64.3.4');
    expect(windowKey('198.51.100.7', null)).toBe('198.51.100.7');
  });
  it('puts an IPv6 address and the prefixes holding it in the same /48 window', () => {
    const k = windowKey('2001:db8:123:4567::99', null);
    expect(k).toBe('6:2001:db8:123::/48');
    expect(windowKeysForPrefix('2001:db8:123:4500::/56', null)).toEqual([k]);
    expect(windowKeysForPrefix('2001:db8:123:4567::/64', null)).toEqual([k]);
    const wide = windowKeysForPrefix('2001:db8:100::/44', null);
    expect(wide).toHaveLength(16);
    expect(wide).toContain('6:2001:db8:10f::/48');
    expect(() => windowKeysForPrefix('2001:db8::/32', null)).toThrow(/shorter than \/40/);
    expect(windowKeysForPrefix('198.51.100.4/30', null)).toEqual(['198.51.100.4', '198.51.100.5', '198.51.100.6', '198.51.100.7']);
  });
});

describe('provider directory', () => {
  const dir = createProviderDirectory(loadProvidersFile(new URL('../../deploy/providers.json', import.meta.url).pathname));
  it('finds the provider by longest prefix, exporter and deterministic NAT rule', () => {
    expect(dir.byAddress('198.51.100.7')?.provider.providerId).toBe('fr-telecom');
    expect(dir.byAddress('2001:db8:10::5')?.provider.jurisdiction).toBe('GB');
    expect(dir.byAddress('2001:db8:1ff::1')?.provider.providerId).toBe('us-access');
    expect(dir.byAddress('203.0.113.200')?.provider.providerId).toBe('jp-mobile');
    expect(dir.byAddress('203.0.113.20')?.provider.providerId).toBe('de-vpn');
    expect(dir.byAddress('8.8.8.8')).toBeUndefined();
    expect(dir.byExporter('fr-cgn-1')?.jurisdiction).toBe('FR');
    expect(dir.deterministicRuleFor('203.0.113.130', Date.now())?.provider.providerId).toBe('jp-mobile');
    expect(dir.deterministicRuleFor('203.0.113.200', Date.now())).toBeUndefined();
  });
  it('prefers the longer prefix and applies live updates', () => {
    dir.upsert({ providerId: 'fr-sub', jurisdiction: 'FR', name: 'x', kind: 'HOSTING', prefixes: ['198.51.100.128/25'], exporters: ['x-1'], deterministicNat: [] });
    expect(dir.byAddress('198.51.100.200')?.provider.providerId).toBe('fr-sub');
    expect(dir.byAddress('198.51.100.7')?.provider.providerId).toBe('fr-telecom');
    dir.remove('fr-sub');
    expect(dir.byAddress('198.51.100.200')?.provider.providerId).toBe('fr-telecom');
    expect(() => dir.upsert({ providerId: 'bad', jurisdiction: 'FR', name: 'x', kind: 'HOSTING', prefixes: ['1.2.3.4/40'], exporters: [], deterministicNat: [] })).toThrow(/bad: prefix "1.2.3.4\/40"/);
  });
});

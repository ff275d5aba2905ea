import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Provider } from '../../schemas/types.gen.ts';
import { createProviderDirectory, loadProvidersFile, natRuleGeometry } from './provider-directory.ts';

const FILE = new URL('../../deploy/providers.json', import.meta.url).pathname;
const seed = () => createProviderDirectory(loadProvidersFile(FILE));
const prov = (o: Partial<Provider>): Provider => ({
  providerId: 'x', jurisdiction: 'FR', name: 'x', kind: 'HOSTING', prefixes: [], exporters: [], deterministicNat: [], maxSessionAgeMs: {}, interimIntervalMs: {}, exporterKinds: {}, natMappingTimeoutMs: {}, delegatedPrefixLength: null, flowExportLagMs: {}, ...o,
});
const rule = { insidePrefix: '10.64.0.0/16', outsidePrefix: '203.0.113.128/26', portsPerSubscriber: 63, firstPort: 1024, validFrom: 1000, validTo: 5000 };

describe('provider directory (demo registry)', () => {
  const dir = seed();
  it('finds providers by longest prefix, IPv4 and IPv6, and by exporter', () => {
    const at = (a: string) => dir.byAddress(a) && [dir.byAddress(a)!.provider.providerId, dir.byAddress(a)!.prefix];
    expect(at('198.51.100.7')).toEqual(['fr-telecom', '198.51.100.0/24']);
    expect(at('203.0.113.20')).toEqual(['de-vpn', '203.0.113.0/25']);
    expect(at('203.0.113.200')).toEqual(['jp-mobile', '203.0.113.128/25']);
    expect(at('::ffff:198.18.4.5')).toEqual(['us-access', '198.18.0.0/16']);
    expect(at('2001:db8:10::5')).toEqual(['gb-victimhost', '2001:db8:10::/48']);
    expect(at('2001:db8:2f:ffff::1')).toEqual(['fr-telecom', '2001:db8:20::/44']);
    expect(at('2001:db8:1ff::1')).toEqual(['us-access', '2001:db8:100::/40']);
    expect(dir.byAddress('2001:db8:60::1')).toBeUndefined();
    expect(dir.byAddress('8.8.8.8')).toBeUndefined();
    expect(dir.byAddress('not an address')).toBeUndefined();
    expect(dir.byExporter('fr-cgn-1')?.jurisdiction).toBe('FR');
    expect(dir.byExporter('jp-cgn-1')?.providerId).toBe('jp-mobile');
    expect(dir.byExporter('nope')).toBeUndefined();
    expect(dir.list().map((p) => p.providerId).sort()).toEqual(['de-vpn', 'fr-telecom', 'gb-victimhost', 'jp-mobile', 'nl-hosting', 'us-access']);
  });
  it('has an exporter for every demo device the simulator uses', () => {
    for (const e of ['fr-cgn-1', 'fr-bng-1', 'fr-flow-1', 'de-vpn-gw-1', 'de-flow-1', 'us-bng-1', 'us-flow-1', 'gb-flow-1', 'jp-cgn-1']) {
      expect(dir.byExporter(e), e).toBeDefined();
    }
  });
  it('finds scoped (inside) addresses only within the provider given as scope', () => {
    expect(dir.byAddress('100.64.3.4')).toBeUndefined();
    expect(dir.byAddress('100.64.3.4', 'fr-telecom')?.prefix).toBe('100.64.0.0/10');
    expect(dir.byAddress('100.64.3.4', 'jp-mobile')).toBeUndefined();
    expect(dir.byAddress('10.64.1.2', 'jp-mobile')?.provider.providerId).toBe('jp-mobile');
    expect(dir.byAddress('10.64.1.2', 'fr-telecom')).toBeUndefined();
  });
  it('finds the RFC 7422 rule by outside address and time', () => {
    expect(dir.deterministicRuleFor('203.0.113.130', 1)?.provider.providerId).toBe('jp-mobile');
    expect(dir.deterministicRuleFor('203.0.113.191', 1)?.rule.insidePrefix).toBe('10.64.0.0/16');
    expect(dir.deterministicRuleFor('203.0.113.192', 1)).toBeUndefined(); // in jp's /25, outside the rule's /26
    expect(dir.deterministicRuleFor('198.51.100.7', 1)).toBeUndefined();
  });
});

describe('provider directory updates and validation', () => {
  it('prefers the longer prefix and applies live updates and removals', () => {
    const dir = seed();
    dir.upsert(prov({ providerId: 'fr-sub', prefixes: ['198.51.100.128/25', '2001:db8:21::/48'], exporters: ['x-1'] }));
    expect(dir.byAddress('198.51.100.200')?.provider.providerId).toBe('fr-sub');
    expect(dir.byAddress('198.51.100.7')?.provider.providerId).toBe('fr-telecom');
    expect(dir.byAddress('2001:db8:21::1')?.provider.providerId).toBe('fr-sub');
    expect(dir.byExporter('x-1')?.providerId).toBe('fr-sub');
    dir.remove('fr-sub');
    dir.remove('never-there');
    expect(dir.byAddress('198.51.100.200')?.provider.providerId).toBe('fr-telecom');
    expect(dir.byExporter('x-1')).toBeUndefined();
  });
  it('replaces a provider on upsert (old prefixes and exporters go)', () => {
    const dir = seed();
    dir.upsert({ ...dir.byId('de-vpn')!, prefixes: ['203.0.113.0/26'], exporters: ['de-vpn-gw-2'] });
    expect(dir.byAddress('203.0.113.100')).toBeUndefined();
    expect(dir.byExporter('de-vpn-gw-1')).toBeUndefined();
    expect(dir.byExporter('de-vpn-gw-2')?.providerId).toBe('de-vpn');
  });
  it('rejects bad providers naming provider and prefix, and leaves the directory unchanged', () => {
    const dir = seed();
    expect(() => dir.upsert(prov({ providerId: 'bad', prefixes: ['1.2.3.4/40'] }))).toThrow(/provider bad: prefix "1\.2\.3\.4\/40" is invalid/);
    expect(() => dir.upsert(prov({ providerId: 'thief', prefixes: ['198.51.100.0/24'] })))
      .toThrow(/provider thief: prefix "198\.51\.100\.0\/24" is already owned by provider fr-telecom/);
    expect(() => dir.upsert(prov({ providerId: 'thief', exporters: ['fr-cgn-1'] }))).toThrow(/exporter "fr-cgn-1" already belongs to provider fr-telecom/);
    expect(() => dir.upsert(prov({ providerId: 'zz', jurisdiction: 'France' }))).toThrow(/ISO 3166-1/);
    expect(() => dir.upsert(prov({ providerId: 'a|b' }))).toThrow(/providerId/);
    expect(() => dir.upsert(prov({ providerId: 'ages', maxSessionAgeMs: { DHCP_LEASE: 60_000 } as Provider['maxSessionAgeMs'] })))
      .toThrow(/provider ages: maxSessionAgeMs key "DHCP_LEASE" is not a session kind \(NAT_SESSION, PORT_BLOCK, ACCESS_SESSION, VPN_SESSION\)/);
    expect(() => dir.upsert(prov({ providerId: 'ages', maxSessionAgeMs: { NAT_SESSION: 59_999 }, interimIntervalMs: { ACCESS_SESSION: 1.5 } })))
      .toThrow(/interimIntervalMs\.ACCESS_SESSION must be an integer >= 60000 ms, got 1\.5; provider ages: maxSessionAgeMs\.NAT_SESSION must be an integer >= 60000 ms, got 59999/);
    expect(dir.byId('thief')).toBeUndefined();
    expect(dir.list()).toHaveLength(6);
    // the same inside space at two providers is fine: it is scoped
    dir.upsert(prov({ providerId: 'other-cgn', prefixes: ['100.64.0.0/10'] }));
    expect(dir.byAddress('100.64.3.4', 'other-cgn')?.provider.providerId).toBe('other-cgn');
    expect(dir.byAddress('100.64.3.4', 'fr-telecom')?.provider.providerId).toBe('fr-telecom');
  });
  it('validates RFC 7422 rules: ports must fit, outside space must be the provider\'s', () => {
    expect(natRuleGeometry(rule)).toMatchObject({ perAddress: 1024, insideBase: 0x0a400000 });
    expect(() => natRuleGeometry({ ...rule, portsPerSubscriber: 64 })).toThrow(/1024 inside addresses per outside address x 64 ports from 1024 run past port 65535/);
    expect(() => natRuleGeometry({ ...rule, outsidePrefix: '203.0.113.0/15' })).toThrow(/larger than the inside prefix/);
    expect(() => natRuleGeometry({ ...rule, insidePrefix: 'fd00::/64' })).toThrow(/IPv4/);
    expect(() => natRuleGeometry({ ...rule, validTo: 10 })).toThrow(/validTo is before validFrom/);
    const dir = createProviderDirectory();
    expect(() => dir.upsert(prov({ providerId: 'jp', prefixes: ['198.51.100.0/24'], deterministicNat: [rule] })))
      .toThrow(/provider jp: deterministic NAT outside prefix 203\.0\.113\.128\/26 is not within/);
    dir.upsert(prov({ providerId: 'jp', prefixes: ['203.0.113.128/25'], deterministicNat: [rule] }));
    expect(dir.deterministicRuleFor('203.0.113.130', 999)).toBeUndefined();
    expect(dir.deterministicRuleFor('203.0.113.130', 1000)?.provider.providerId).toBe('jp');
    expect(dir.deterministicRuleFor('203.0.113.130', 5000)).toBeDefined();
    expect(dir.deterministicRuleFor('203.0.113.130', 5001)).toBeUndefined();
  });
  it('loads a providers file with schema defaults and names the file on errors', () => {
    const d = mkdtempSync(join(tmpdir(), 'ct-providers-'));
    const ok = join(d, 'ok.json');
    writeFileSync(ok, JSON.stringify([{ providerId: 'p', jurisdiction: 'GB', name: 'p', kind: 'HOSTING', prefixes: [], exporters: [],
      deterministicNat: [{ ...rule, validTo: undefined }] }, { providerId: 'q', jurisdiction: 'GB', name: 'q', kind: 'HOSTING', prefixes: [], exporters: [] }]));
    const [p, q] = loadProvidersFile(ok);
    expect(p!.deterministicNat[0]!.validTo).toBeNull();
    expect(q!.deterministicNat).toEqual([]);
    const bad = join(d, 'bad.json');
    writeFileSync(bad, '{"providerId":');
    expect(() => loadProvidersFile(bad)).toThrow(new RegExp(`${bad}.*cannot be read as JSON`));
    writeFileSync(bad, '{}');
    expect(() => loadProvidersFile(bad)).toThrow(/must hold a JSON array/);
    writeFileSync(bad, '[{"providerId":"p","jurisdiction":"GB","prefixes":"10.0.0.0/8","exporters":[]}]');
    expect(() => loadProvidersFile(bad)).toThrow(/provider p: prefixes must be an array/);
  });
});

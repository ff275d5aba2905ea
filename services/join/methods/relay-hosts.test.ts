import { describe, expect, it } from 'vitest';
import type { Provider } from '../../../schemas/types.gen.ts';
import { createProviderDirectory, loadProvidersFile } from '../../common/provider-directory.ts';
import { exportsFlows, isRelayHost } from './relay-hosts.ts';

const FILE = new URL('../../../deploy/providers.json', import.meta.url).pathname;
const hosting = (exporters: string[], exporterKinds: Record<string, string>): Provider => ({
  providerId: 'xx-host', jurisdiction: 'NL', name: 'x', kind: 'HOSTING', prefixes: ['192.88.99.0/24'], exporters, exporterKinds,
  deterministicNat: [], maxSessionAgeMs: {}, interimIntervalMs: {}, natMappingTimeoutMs: {}, delegatedPrefixLength: null, flowExportLagMs: {},
});

describe('relay hosts count only flow exporters', () => {
  it('a hosting provider whose only exporter logs RADIUS (or NAT, or VPN) is not asked for relay timing', () => {
    for (const kind of ['radius', 'nat', 'vpn']) {
      const dir = createProviderDirectory([hosting(['aaa-1'], { 'aaa-1': kind })]);
      expect(isRelayHost('192.88.99.7', null, dir), kind).toBe(false);
    }
    const withFlows = createProviderDirectory([hosting(['aaa-1', 'flow-1'], { 'aaa-1': 'radius', 'flow-1': 'flow' })]);
    expect(isRelayHost('192.88.99.7', null, withFlows)).toBe(true);
  });

  it('a provider record without kinds (written before exporterKinds) keeps counting any exporter', () => {
    expect(exportsFlows({ exporters: ['x'], exporterKinds: {} })).toBe(true);
    expect(exportsFlows({ exporters: [], exporterKinds: {} })).toBe(false);
  });

  it('refuses an unknown kind; a kind of an exporter the provider no longer has is no flow exporter', () => {
    expect(() => createProviderDirectory([hosting(['a'], { a: 'syslog' })])).toThrow(/exporterKinds\.a must be one of flow, nat, radius, vpn/);
    expect(isRelayHost('192.88.99.7', null, createProviderDirectory([hosting(['a'], { a: 'radius', b: 'flow' })]))).toBe(false);
  });

  it('deploy/providers.json gives every exporter a kind', () => {
    for (const p of loadProvidersFile(FILE)) expect(Object.keys(p.exporterKinds).sort(), p.providerId).toEqual([...p.exporters].sort());
  });
});

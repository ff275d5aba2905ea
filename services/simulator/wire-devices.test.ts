// Wire mode's device plan: every named exporter gets its own loopback address and a secret, and
// the registry the services run with lists the address beside the name, of the same kind.
import { describe, expect, it } from 'vitest';
import { loadProvidersFile } from '../common/provider-directory.ts';
import { planWireDevices, withDeviceAddresses } from './wire-devices.ts';

const providers = loadProvidersFile(new URL('../../deploy/providers.json', import.meta.url).pathname);

describe('wire devices', () => {
  it('gives each named exporter its own 127.77.x.y address and a secret, never an exporter id that is an address', () => {
    const plan = planWireDevices(providers);
    const named = providers.flatMap((p) => p.exporters).filter((id) => !/^\d+\.\d+\.\d+\.\d+/.test(id));
    expect(Object.keys(plan.devices).sort()).toEqual([...named].sort());
    const addrs = Object.values(plan.devices);
    expect(new Set(addrs).size).toBe(addrs.length);
    for (const a of addrs) expect(a).toMatch(/^127\.77\.\d+\.\d+$/);
    expect(Object.keys(plan.nas).sort()).toEqual([...addrs].sort());
    expect(plan.pseudonymKey.length).toBeGreaterThanOrEqual(32);
  });

  it('lists each address beside its device, with the device\'s exporter kind', () => {
    const plan = planWireDevices(providers);
    const fr = withDeviceAddresses(providers, plan).find((p) => p.providerId === 'fr-telecom')!;
    const bng = plan.devices['fr-bng-1']!;
    expect(fr.exporters).toEqual(expect.arrayContaining(['fr-bng-1', bng, plan.devices['fr-flow-1']!]));
    // the flow exporter is listed by its address only: its name never sends on the wire and would
    // hold back the flow watermark that settles relay lookups
    expect(fr.exporters).not.toContain('fr-flow-1');
    expect(fr.exporterKinds[bng]).toBe(fr.exporterKinds['fr-bng-1']);
    expect(fr.exporterKinds[plan.devices['fr-flow-1']!]).toBe('flow');
    expect(withDeviceAddresses(withDeviceAddresses(providers, plan), plan).find((p) => p.providerId === 'fr-telecom')!.exporters).toEqual(fr.exporters);
  });
});

import { describe, expect, it } from 'vitest';
import { validateScenario } from './scenario-validate.ts';
import { directory, edit, rawScenario, scenarioFiles, type Edits } from './test-fixtures.ts';

const problems = (edits: Edits): string => {
  const raw = edit(rawScenario(), edits);
  try { validateScenario(raw, directory, 'test'); return 'valid'; } catch (e) { return `${(e as { code?: string }).code}: ${(e as Error).message}`; }
};

describe('scenario files', () => {
  it.each(scenarioFiles())('%s validates against deploy/providers.json', (file) => {
    const s = validateScenario(rawScenario(file), directory, file);
    expect(s.attacks.length).toBeGreaterThan(0);
    expect(Object.isFrozen(s.background)).toBe(true);
  });

  it('fills documented defaults', () => {
    const s = validateScenario({ ...rawScenario(), background: undefined, exporterDefaults: undefined }, directory);
    expect(s.background.eventsPerSecond).toBe(500);
    expect(s.exporterDefaults.exportDelayMs).toEqual([50, 500]);
    expect(s.attacks[0]!.trace.legalBasis).toBe('ART33_REALTIME_TRAFFIC');
  });
});

describe('scenario validation reports every problem by path', () => {
  it('rejects unknown providers, foreign exporters, prefixes outside the provider, typos', () => {
    const msg = problems({
      'providers.zz-nowhere': { role: 'hosting', flowExporter: 'gb-flow-1', serverPrefix: '192.0.2.0/24' },
      'providers.fr-telecom.aaaExporter': 'us-bng-1',
      'background.eventsPerSecnd': 5,
    });
    expect(msg).toContain('CT_CONFIG');
    expect(msg).toContain('background.eventsPerSecnd: is not a field here');
  });

  it('checks references once the shape is right (shape problems come first)', () => {
    const msg = problems({
      'providers.zz-nowhere': { role: 'hosting', flowExporter: 'gb-flow-1', serverPrefix: '192.0.2.0/24' },
      'providers.fr-telecom.aaaExporter': 'us-bng-1',
      'providers.us-access.framedPrefix': '198.51.100.0/24',
      'exporters.nope-1': { clockSkewMs: 5 },
    });
    expect(msg).toContain('providers.zz-nowhere: provider "zz-nowhere" is not in the provider registry');
    expect(msg).toContain('providers.fr-telecom.aaaExporter: exporter us-bng-1 belongs to us-access, not fr-telecom');
    expect(msg).toContain('providers.us-access.framedPrefix: 198.51.100.0/24 is not within the prefixes of us-access');
    expect(msg).toContain('exporters.nope-1: is not an exporter');
  });

  it('checks attack roles, timings and withheld steps', () => {
    expect(problems({ 'attacks.0.withhold': { bogus: 1 } })).toContain('attacks[0].withhold.bogus: is not a field here');
    expect(problems({ 'attacks.0.victim.provider': 'fr-telecom', 'attacks.0.relay': null, 'attacks.0.withhold': { vpn: 5 } }))
      .toMatch(/victim.provider: fr-telecom must be a provider of this scenario with role hosting[\s\S]*withhold.vpn: this attack has no such records/);
    const timing = problems({ 'attacks.0.relay.vpn': 'us-access', 'attacks.0.trace.openAfterMs': 1000 });
    expect(timing).toContain('attacks[0].relay.vpn: us-access must be a provider of this scenario with role vpn');
    expect(timing).toContain('attacks[0].trace.openAfterMs: the trace cannot open (1000) before the observation (10000)');
  });

  it('checks pool sizes and value ranges', () => {
    expect(problems({ 'providers.fr-telecom.subscribers': 1_000_000 })).toContain('providers.fr-telecom.framedPrefix: 100.64.0.0/12 is too small');
    expect(problems({ 'background.lostStopProbability': 2 })).toContain('background.lostStopProbability: must be between 0 and 1, got 2');
    expect(problems({ 'exporters.fr-flow-1.exportDelayMs': [500, 5] })).toContain('exporters.fr-flow-1.exportDelayMs: min 500 is above max 5');
    expect(problems({ 'background.elsewhere': ['198.51.100.0/25'] })).toContain('overlaps fr-telecom');
    expect(problems({ seed: undefined })).toContain('seed: is required');
  });
});

describe('scenario shape errors name the key path', () => {
  it('says which key, what it must be and what it got, for every problem at once', () => {
    const msg = problems({
      'attacks.0.relay.concurrentInbound': 'many',
      'providers.us-access.nat': { mode: 'port-block', blockSize: 4 },
      'providers.fr-telecom.role': 'transit',
      'attacks.0.trace.legalBasis': 'BECAUSE',
    });
    expect(msg).toContain('attacks[0].relay.concurrentInbound: must be a whole number, got "many"');
    expect(msg).toContain('providers.us-access.nat.exporter: is required');
    expect(msg).toContain('providers.us-access.nat.blockSize: must be between 8 and 32768, got 4');
    expect(msg).toContain('providers.fr-telecom.role: must be one of access, vpn, hosting, got "transit"');
    expect(msg).toMatch(/attacks\[0\]\.trace\.legalBasis: must be one of ART29_PRESERVATION, .*, got "BECAUSE"/);
  });
});

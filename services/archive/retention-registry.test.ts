// The archive's retention plan from the provider registry file it is given (deploy/providers.json).
import { describe, expect, it } from 'vitest';
import { loadProvidersFile } from '../common/provider-directory.ts';
import { retentionPlanOf } from '../history/domain/retention-plan.ts';

describe('retention per provider from deploy/providers.json', () => {
  it('reads deploy/providers.json: every provider there says how long it keeps its records', () => {
    const providers = loadProvidersFile(new URL('../../deploy/providers.json', import.meta.url).pathname);
    const p = retentionPlanOf(providers);
    expect(p.sessionDays.size).toBe(providers.length);
    expect(p.flowDays).toBe(Math.max(...p.sessionDays.values()));
  });
  it('a setting overrides the file for one provider', () => {
    const p = retentionPlanOf(loadProvidersFile(new URL('../../deploy/providers.json', import.meta.url).pathname), 'de-vpn:30');
    expect(p.sessionDays.get('de-vpn')).toBe(30);
    expect(p.sessionDays.get('fr-telecom')).toBe(365);
  });
});

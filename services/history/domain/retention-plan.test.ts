import { describe, expect, it } from 'vitest';
import { parseRetention, retentionPlanOf } from './retention-plan.ts';

describe('parseRetention', () => {
  it('defaults every provider to 180 days', () => {
    expect(parseRetention('')).toEqual({ flowDays: 180, sessionDays: new Map(), defaultDays: 180 });
  });
  it('keeps flow partitions for the longest retention, sessions per provider', () => {
    const p = parseRetention('fr-telecom:365, de-vpn:90', 180);
    expect(p.flowDays).toBe(365);
    expect([...p.sessionDays]).toEqual([['fr-telecom', 365], ['de-vpn', 90]]);
  });
  it('rejects malformed entries', () => {
    expect(() => parseRetention('fr-telecom')).toThrow(/providerId:days/);
    expect(() => parseRetention('fr-telecom:0')).toThrow(/days >= 1/);
  });
});

describe('retentionPlanOf (the provider registry)', () => {
  it('takes each provider\'s retentionDays, the default for the others, and the setting\'s overrides on top', () => {
    const p = retentionPlanOf([{ providerId: 'fr-telecom', retentionDays: 365 }, { providerId: 'de-vpn', retentionDays: 70 }, { providerId: 'us-access' }], 'de-vpn:90', 180);
    expect([...p.sessionDays]).toEqual([['fr-telecom', 365], ['de-vpn', 90]]);
    expect(p.flowDays).toBe(365);
    expect(p.defaultDays).toBe(180);
  });
  it('refuses a registry value that is not a whole number of days, naming the provider', () => {
    expect(() => retentionPlanOf([{ providerId: 'x', retentionDays: '90' }])).toThrow(/provider x: retentionDays/);
    expect(() => retentionPlanOf([{ providerId: 'x', retentionDays: 0 }])).toThrow(/provider x/);
  });
});

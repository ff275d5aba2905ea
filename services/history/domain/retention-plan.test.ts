import { describe, expect, it } from 'vitest';
import { parseRetention } from './retention-plan.ts';

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

import { describe, expect, it } from 'vitest';
import { createRequestQuota } from './request-quota.ts';

describe('request quota', () => {
  it('allows a burst, then one per interval, per caller; says when the next one is due', () => {
    let t = 0;
    const q = createRequestQuota({ perMinute: 30, burst: 2, now: () => t });
    expect([q.take('GB').ok, q.take('GB').ok]).toEqual([true, true]);
    expect(q.take('GB')).toEqual({ ok: false, retryAfterS: 2 });
    expect(q.take('FR').ok).toBe(true);
    t = 1_000;
    expect(q.take('GB')).toEqual({ ok: false, retryAfterS: 1 });
    t = 2_000;
    expect(q.take('GB').ok).toBe(true);
    t = 3_600_000; // refills to the burst, never beyond
    expect([q.take('GB').ok, q.take('GB').ok, q.take('GB').ok]).toEqual([true, true, false]);
  });
  it('refuses settings that would make no sense', () => {
    expect(() => createRequestQuota({ perMinute: 0, burst: 1, now: Date.now })).toThrow(/perMinute/);
  });
});

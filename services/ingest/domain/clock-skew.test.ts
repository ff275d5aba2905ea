import { describe, expect, it } from 'vitest';
import { DEFAULT_CLOCK_SKEW, createClockSkewEstimator } from './clock-skew.ts';

const one = { ...DEFAULT_CLOCK_SKEW, minSamples: 1 };

describe('clock skew estimator', () => {
  it('takes the max sample (min transit delay) as the offset', () => {
    const est = createClockSkewEstimator({ ...DEFAULT_CLOCK_SKEW, minSamples: 3 });
    expect(est.observe('e1', 5_000 + 1500, 5_000).offsetMs).toBe(0); // too few samples yet
    // exporter 1500 ms fast; transit delays 80, 5, 300 ms
    est.observe('e1', 10_000 + 1500, 10_080);
    est.observe('e1', 20_000 + 1500, 20_005);
    const r = est.observe('e1', 30_000 + 1500, 30_300);
    expect(r).toEqual({ offsetMs: 1500, flagged: false });
  });
  it('handles slow clocks (negative offset) and keeps exporters apart', () => {
    const est = createClockSkewEstimator(one);
    expect(est.observe('slow', 8_000, 10_000).offsetMs).toBe(-2000);
    expect(est.observe('ok', 10_010, 10_020).offsetMs).toBe(0); // |-10| below the noise floor
    expect(est.estimates().get('slow')).toBe(-2000);
  });
  it('flags a clock hours off instead of absorbing it', () => {
    const est = createClockSkewEstimator(one);
    const r = est.observe('broken', 1_000_000 + 3 * 3_600_000, 1_000_000);
    expect(r.flagged).toBe(true);
  });
  it('forgets old samples beyond the window', () => {
    const est = createClockSkewEstimator({ window: 2, flagAboveMs: 3_600_000, ignoreBelowMs: 0, minSamples: 1 });
    est.observe('e', 5000, 0); // an early wrong sample
    est.observe('e', 100, 0);
    expect(est.observe('e', 100, 0).offsetMs).toBe(100);
  });
});

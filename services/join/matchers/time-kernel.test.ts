import { describe, expect, it } from 'vitest';
import { unionMass, windowCdf } from './time-kernel.ts';

describe('time kernel: where the true instant lies', () => {
  it('an instant ± 2 s, ± 2 s clock: a triangle on ± 4 s', () => {
    const f = windowCdf(10_000, 10_000, 0);
    expect([f(9_999), f(10_000)]).toEqual([0, 1]); // no uncertainty at all: a step
    const g = windowCdf(8_000, 12_000, 2_000);
    expect(g(6_000)).toBe(0);
    expect(g(10_000)).toBeCloseTo(0.5, 9);
    expect(g(14_000)).toBe(1);
    // a session from 2.2 s before the observation on holds ~0.9
    expect(1 - g(10_000 - 2_200)).toBeCloseTo(1 - (1.8 / 4) ** 2 / 2, 6);
    expect(1 - g(10_000 - 2_200)).toBeGreaterThan(0.898);
  });
  it('a point window with clock tolerance: uniform on ± tol', () => {
    const f = windowCdf(0, 0, 1000);
    expect([f(-1000), f(0), f(500), f(1000)]).toEqual([0, 0.5, 0.75, 1]);
  });
  it('union mass merges overlaps and ignores empty segments', () => {
    const g = windowCdf(0, 1000, 0);
    expect(unionMass([[0, 500], [250, 750], [900, 800]], g)).toBeCloseTo(0.75, 9);
    expect(unionMass([], g)).toBe(0);
  });
});

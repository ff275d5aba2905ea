import { describe, expect, it } from 'vitest';
import { activityLlr, alignmentLlr, crowding, ratioLlr } from './relay-evidence.ts';

describe('relay evidence terms (nats)', () => {
  it('start alignment: rewards a short lead, tolerates a long one, penalises starting after', () => {
    const lead = (x: number, crowd = 0): number => alignmentLlr(x, -50, 1_050, 60_000, crowd);
    expect(lead(200)).toBeGreaterThan(4);
    expect(lead(200)).toBeCloseTo(lead(800), 1);
    expect(Math.abs(lead(60_000))).toBeLessThan(1);
    expect(lead(-10_000)).toBeLessThan(-3);
    // Many unrelated flows starting at the same moment make the coincidence cheap.
    expect(lead(200, 1e-3)).toBeLessThan(lead(200) - 3);
  });

  it('volume ratio: peaks at equal volumes, symmetric, bounded penalty', () => {
    expect(ratioLlr(1_000, 1_000, 0.2)).toBeGreaterThan(2);
    expect(ratioLlr(1_100, 1_000, 0.2)).toBeCloseTo(ratioLlr(1_000, 1_100, 0.2), 9);
    expect(ratioLlr(10_000, 1_000, 0.2)).toBeLessThan(-1);
    expect(ratioLlr(100_000, 1_000, 0.2)).toBeCloseTo(Math.log(0.05), 1);
    expect(ratioLlr(0, 1_000, 0.2)).toBe(0);
  });

  it('activity: grows with correlation and with the number of windows, silent below 4', () => {
    expect(activityLlr(0.95, 50, 1)).toBeGreaterThan(activityLlr(0.95, 10, 1));
    expect(activityLlr(0.95, 50, 1)).toBeGreaterThan(activityLlr(0.6, 50, 1));
    expect(activityLlr(0.1, 50, 1)).toBeLessThan(-3);
    expect(activityLlr(0.95, 50, 9)).toBeCloseTo(activityLlr(0.95, 50, 1) - Math.log(9), 9);
    expect(activityLlr(0.99, 3, 1)).toBe(0);
    expect(activityLlr(Number.NaN, 50, 1)).toBe(0);
  });

  it('crowding counts the other values around each one', () => {
    expect(crowding([0, 10, 20, 1_000], 15)).toEqual([1 / 120, 2 / 120, 1 / 120, 0]);
  });
});

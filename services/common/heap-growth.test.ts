import { describe, expect, it } from 'vitest';
import { heapGrowingPercent } from './heap-growth.ts';

describe('heapGrowingPercent', () => {
  it('is V8\'s own choice when unset, empty or 0', () => {
    expect(heapGrowingPercent({})).toBeNull();
    expect(heapGrowingPercent({ CROSSTRACE_HEAP_GROWING_PERCENT: '' })).toBeNull();
    expect(heapGrowingPercent({ CROSSTRACE_HEAP_GROWING_PERCENT: '0' })).toBeNull();
  });
  it('takes a whole percent', () => {
    expect(heapGrowingPercent({ CROSSTRACE_HEAP_GROWING_PERCENT: '100' })).toBe(100);
    expect(heapGrowingPercent({ CROSSTRACE_HEAP_GROWING_PERCENT: ' 50 ' })).toBe(50);
  });
  it('refuses what is not a whole percent up to 1000, naming the setting', () => {
    for (const bad of ['1.5', '-10', 'x', '100%', '1001']) {
      expect(() => heapGrowingPercent({ CROSSTRACE_HEAP_GROWING_PERCENT: bad })).toThrow(/CROSSTRACE_HEAP_GROWING_PERCENT must be a whole number/);
    }
  });
});

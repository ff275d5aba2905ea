import { describe, expect, it } from 'vitest';
import { applyHeapGrowth, heapGrowingPercent } from './heap-growth.ts';

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
  it('refuses what is not a whole percent 10-1000 with CT_CONFIG, naming the setting', () => {
    for (const bad of ['1.5', '-10', 'x', '100%', '1001', '5']) {
      expect(() => heapGrowingPercent({ CROSSTRACE_HEAP_GROWING_PERCENT: bad })).toThrow(expect.objectContaining({ code: 'CT_CONFIG', message: expect.stringMatching(/^CROSSTRACE_HEAP_GROWING_PERCENT must be a whole number/) }));
    }
  });
});

describe('applyHeapGrowth', () => {
  it('leaves a --heap-growing-percent on the node command line alone', () => {
    expect(applyHeapGrowth({ CROSSTRACE_HEAP_GROWING_PERCENT: '100' }, ['--heap-growing-percent=50'])).toBeNull();
  });
  it('sets nothing when V8\'s own choice is asked for', () => {
    expect(applyHeapGrowth({}, [])).toBeNull();
  });
  it('sets the percent asked for (this test\'s worker runs with it after)', () => {
    expect(applyHeapGrowth({ CROSSTRACE_HEAP_GROWING_PERCENT: '100' }, [])).toBe(100);
  });
});

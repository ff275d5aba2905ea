import { describe, expect, it } from 'vitest';
import { putDecimal } from './decimal-text.ts';

describe('decimal text', () => {
  it('writes the digits String() gives', () => {
    for (const n of [0, 7, 9, 10, 99, 100, 1203, 600000, 2 ** 31, 2 ** 53 - 1]) {
      const b = Buffer.alloc(20);
      const end = putDecimal(b, 1, n);
      expect(b.toString('latin1', 1, end)).toBe(String(n));
    }
  });
});

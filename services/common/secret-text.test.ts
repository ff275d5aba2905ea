import { describe, expect, it } from 'vitest';
import { secretText } from './secret-text.ts';

describe('secretText', () => {
  it('draws again when the text would start with "-" (a command line would take it for an option)', () => {
    const draws = [Buffer.from([0xf8, 1, 2]), Buffer.from([0xfb, 1, 2]), Buffer.from([0x00, 1, 2])]; // '-', '-', 'A'
    let n = 0;
    expect(secretText(3, () => draws[n++]!)).toBe(Buffer.from([0, 1, 2]).toString('base64url'));
    expect(n).toBe(3);
  });

  it('gives base64url text of the bytes asked for', () => {
    for (let i = 0; i < 500; i++) expect(secretText(32)).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{42}$/);
  });
});

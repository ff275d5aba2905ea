import { describe, expect, it } from 'vitest';
import { copyField, copyLine, tsText } from './copy-text.ts';

describe('COPY text encoding', () => {
  it('escapes what would end a field or a row, and writes NULL and bytea in COPY form', () => {
    expect(copyField('a\tb\nc\\d\re')).toBe('a\\tb\\nc\\\\d\\re');
    expect(copyField(null)).toBe('\\N');
    expect(copyField(Buffer.from([0, 0xff, 0x10]))).toBe('\\\\x00ff10');
    expect(copyLine(['k', 7, null])).toBe('k\t7\t\\N\n');
  });
  it('refuses numbers COPY cannot read back', () => {
    expect(() => copyField(Number.NaN)).toThrow(/finite/);
  });
  it('writes instants as UTC ISO 8601 with milliseconds', () => {
    expect(tsText(Date.UTC(2026, 10, 20, 1, 2, 3, 4))).toBe('2026-11-20T01:02:03.004Z');
    expect(tsText(null)).toBeNull();
  });
});

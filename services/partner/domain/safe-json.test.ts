import { describe, expect, it } from 'vitest';
import { safeJson, safeLine } from './safe-json.ts';

describe('safe JSON', () => {
  const nasty = 'a\nb\r\u0000\u001b[31m\u007f\u0085\u2028\u202eZ';
  it('writes no control character, and parses back to the same value', () => {
    const text = safeJson({ s: nasty, n: [nasty] });
    expect(text).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u202e]/); // eslint-disable-line no-control-regex
    expect(JSON.parse(text)).toEqual({ s: nasty, n: [nasty] });
  });
  it('a line field shows every such character as an escape', () => {
    expect(safeLine(`t${nasty}:1`)).toBe('ta\\nb\\r\\u0000\\u001b[31m\\u007f\\u0085\\u2028\\u202eZ:1');
  });
});

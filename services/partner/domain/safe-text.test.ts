import { describe, expect, it } from 'vitest';
import { escapeControls, escapeLines } from './safe-text.ts';

describe('escapeControls', () => {
  it('shows a forged line break, terminal escapes and bidi overrides as escapes', () => {
    expect(escapeControls('t1\nGB VERIFIED trace=t2')).toBe('t1\\nGB VERIFIED trace=t2');
    expect(escapeControls('a\x1b[2Jb\x07\x9b\x7f')).toBe('a\\x1b[2Jb\\x07\\x9b\\x7f');
    expect(escapeControls('case \u202eFED')).toBe('case \\u202eFED');
  });
  it('shows Unicode line/paragraph separators and invisible formatting characters as escapes (security review defect 7)', () => {
    expect(escapeControls('GB-1\u2028GB VERIFIED\u2029x')).toBe('GB-1\\u2028GB VERIFIED\\u2029x');
    // zero-width space/non-joiner/joiner, word joiner, BOM, soft hyphen: two case references that look alike differ visibly
    expect(escapeControls('GB\u200b-1\u200c\u200d\u2060\ufeff\u00ad')).toBe('GB\\u200b-1\\u200c\\u200d\\u2060\\ufeff\\xad');
    // bidi isolates and the invisible operators
    expect(escapeControls('\u2066a\u2067b\u2068c\u2069\u2062')).toBe('\\u2066a\\u2067b\\u2068c\\u2069\\u2062');
  });
  it('leaves ordinary text, including non-Latin letters, alone', () => {
    expect(escapeControls('GB-NCA-1 Zürich 東京 –')).toBe('GB-NCA-1 Zürich 東京 –');
  });
  it('keeps the breaks between lines', () => {
    expect(escapeLines(['a\rb', 'c'])).toBe('a\\rb\nc');
  });
});

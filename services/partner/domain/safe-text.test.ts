import { describe, expect, it } from 'vitest';
import { escapeControls, escapeLines } from './safe-text.ts';

describe('escapeControls', () => {
  it('shows a forged line break, terminal escapes and bidi overrides as escapes', () => {
    expect(escapeControls('t1\nGB VERIFIED trace=t2')).toBe('t1\\nGB VERIFIED trace=t2');
    expect(escapeControls('a\x1b[2Jb\x07\x9b\x7f')).toBe('a\\x1b[2Jb\\x07\\x9b\\x7f');
    expect(escapeControls('case \u202eFED')).toBe('case \\u202eFED');
  });
  it('leaves ordinary text, including non-Latin letters, alone', () => {
    expect(escapeControls('GB-NCA-1 Zürich 東京 –')).toBe('GB-NCA-1 Zürich 東京 –');
  });
  it('keeps the breaks between lines', () => {
    expect(escapeLines(['a\rb', 'c'])).toBe('a\\rb\nc');
  });
});

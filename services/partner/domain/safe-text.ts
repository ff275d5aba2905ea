// Text from records is data, never terminal control: before a line reaches stdout or stderr,
// C0 and C1 control characters, DEL and the Unicode bidirectional overrides are shown as
// escapes (\n, \x1b, \u202e), so a crafted traceId or case reference cannot start a new line
// ("... VERIFIED ..."), move the cursor, recolour the screen or reorder what is shown.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g; // eslint-disable-line no-control-regex

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

export function escapeControls(s: string): string {
  return s.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return NAMED[c] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
  });
}

/** Each line escaped on its own: the line breaks between them stay line breaks. */
export function escapeLines(lines: readonly string[]): string {
  return lines.map(escapeControls).join('\n');
}

// Text from records is data, never terminal control: before a line reaches stdout or stderr,
// C0 and C1 control characters, DEL, the Unicode line and paragraph separators (U+2028/2029:
// line breaks to JavaScript, JSON-lines readers and many viewers), the bidirectional marks,
// embeddings, overrides and isolates, and the invisible formatting characters (zero-width
// space/joiners, word joiner, invisible operators, BOM, soft hyphen, Mongolian vowel separator,
// interlinear annotation) are shown as escapes (\n, \x1b, \u202e, \u200b), so a crafted
// traceId or case reference cannot start a new line ("... VERIFIED ..."), move the cursor,
// recolour the screen, reorder what is shown, or look equal to another while it differs.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/g; // eslint-disable-line no-control-regex

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

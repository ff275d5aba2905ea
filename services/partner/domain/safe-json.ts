// Text from records on the wire, with nothing a reader could take for control: JSON as
// JSON.stringify writes it (which already escapes C0 controls) with DEL, the C1 controls, the
// line and paragraph separators and the Unicode bidirectional overrides also written as \uXXXX
// escapes. Those characters can only occur inside JSON strings, so the result parses to the
// same value; a console that prints a field raw still cannot be made to start a line, move the
// cursor or reorder what it shows from the bytes the gateway sent.
const UNSAFE = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const escape = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

export function safeJson(value: unknown): string {
  return JSON.stringify(value).replace(UNSAFE, escape);
}

/** A string for one line of a line-based format (an SSE `id:` field): JSON string escaping
 *  without the quotes, so \n, \r and every character above are shown as escapes. */
export function safeLine(text: string): string {
  return safeJson(text).slice(1, -1);
}

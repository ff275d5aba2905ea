// PostgreSQL COPY text format (the default of COPY ... FROM STDIN): one line per row, columns
// separated by a tab, NULL as \N, and backslash, tab, newline and carriage return escaped.
// bytea goes as \\x<hex> (the hex form, its backslash escaped once more for COPY). Pure.

export type CopyValue = string | number | Buffer | null;

const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

export function copyField(v: CopyValue): string {
  if (v === null) return '\\N';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`COPY field: ${v} is not a finite number`);
    return String(v);
  }
  if (Buffer.isBuffer(v)) return `\\\\x${v.toString('hex')}`;
  return v.replace(/[\\\t\n\r]/g, (c) => ESCAPES[c]!);
}

export const copyLine = (fields: readonly CopyValue[]): string => `${fields.map(copyField).join('\t')}\n`;

/** UTC ms as a timestamptz literal PostgreSQL reads exactly (ISO 8601, Z). */
export const tsText = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

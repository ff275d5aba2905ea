// The gateway's tokens file (CROSSTRACE_GATEWAY_TOKENS_FILE, `CC:token,...`) as partners are
// added and removed: `add` appends a fresh token for CC (earlier ones stay, so a partner can
// rotate), `remove` drops every token of CC. Written whole (mode 0600) via a temporary file.
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { generateTokens, parseTokens } from '../../gateway/tokens.ts';

function read(path: string): [string, string][] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8').trim();
  return text === '' ? [] : parseTokens(text);
}

function write(path: string, entries: [string, string][]): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.tmp`, `${entries.map(([cc, t]) => `${cc}:${t}`).join(',')}\n`, { mode: 0o600 });
  chmodSync(`${path}.tmp`, 0o600);
  renameSync(`${path}.tmp`, path);
}

/** Adds a new token for `cc` and returns it. */
export function addPartnerToken(path: string, cc: string): string {
  const [entry] = parseTokens(generateTokens([cc]));
  write(path, [...read(path), entry!]);
  return entry![1];
}

/** Removes every token of `cc`; returns how many there were. */
export function removePartnerTokens(path: string, cc: string): number {
  const entries = read(path);
  const kept = entries.filter(([c]) => c !== cc);
  if (kept.length !== entries.length) write(path, kept);
  return entries.length - kept.length;
}

// The gateway's tokens file (CROSSTRACE_GATEWAY_TOKENS_FILE, `CC:token,...`) as partners are
// added and removed: `add` makes a fresh token for CC and by default revokes CC's earlier ones
// (onboarding again must not leave a leaked or forgotten token valid); with `keep` they stay,
// for a rotation where the partner switches over before the old token is removed. `remove`
// drops every token of CC. Written whole (mode 0600) via a temporary file.
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

/** Adds a new token for `cc`; its earlier tokens are removed unless `keep`. Returns the new
 *  token and how many earlier ones were revoked (`replaced`) or kept (`kept`). */
export function addPartnerToken(path: string, cc: string, o: { keep?: boolean } = {}): { token: string; replaced: number; kept: number } {
  const [entry] = parseTokens(generateTokens([cc]));
  const entries = read(path);
  const others = entries.filter(([c]) => c !== cc);
  const earlier = entries.length - others.length;
  write(path, [...(o.keep ? entries : others), entry!]);
  return { token: entry![1], replaced: o.keep ? 0 : earlier, kept: o.keep ? earlier : 0 };
}

/** Removes every token of `cc`; returns how many there were. */
export function removePartnerTokens(path: string, cc: string): number {
  const entries = read(path);
  const kept = entries.filter(([c]) => c !== cc);
  if (kept.length !== entries.length) write(path, kept);
  return entries.length - kept.length;
}

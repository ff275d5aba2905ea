// Bearer tokens per jurisdiction: `GB:token,FR:token,...` (a jurisdiction may have several
// tokens, for rotation; a token names exactly one jurisdiction). Tokens are compared in
// constant time over their SHA-256 digests, so neither length nor content leaks by timing.
import { createHash, timingSafeEqual } from 'node:crypto';
import { secretText } from '../common/secret-text.ts';

export const MIN_TOKEN_LENGTH = 16;

export interface TokenTable {
  /** Jurisdiction of a presented token, or undefined. */
  jurisdictionOf(token: string): string | undefined;
  jurisdictions(): string[];
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Parses `CC:token,...`; throws with a message naming the bad entry (never echoing a token). */
export function parseTokens(raw: string): [string, string][] {
  const entries: [string, string][] = [];
  const seen = new Set<string>();
  raw.split(',').map((s) => s.trim()).filter(Boolean).forEach((item, i) => {
    const at = item.indexOf(':');
    const cc = at < 0 ? '' : item.slice(0, at).trim();
    const token = at < 0 ? '' : item.slice(at + 1).trim();
    if (!/^[A-Z]{2}$/.test(cc)) throw new Error(`entry ${i + 1} must start with an ISO 3166-1 alpha-2 code and a colon (CC:token)`);
    if (token.length < MIN_TOKEN_LENGTH || /\s/.test(token)) throw new Error(`token of ${cc} (entry ${i + 1}) must be at least ${MIN_TOKEN_LENGTH} characters without spaces`);
    if (seen.has(token)) throw new Error(`the token of ${cc} (entry ${i + 1}) is also given for another entry; each token names one jurisdiction`);
    seen.add(token);
    entries.push([cc, token]);
  });
  if (entries.length === 0) throw new Error('must list at least one CC:token');
  return entries;
}

export function createTokenTable(entries: [string, string][]): TokenTable {
  const table = entries.map(([cc, token]) => ({ cc, d: digest(token) }));
  const ccs = [...new Set(entries.map(([cc]) => cc))].sort();
  return {
    jurisdictionOf(token) {
      const d = digest(token);
      let found: string | undefined;
      for (const e of table) if (timingSafeEqual(e.d, d)) found = e.cc; // no early exit
      return found;
    },
    jurisdictions: () => [...ccs],
  };
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m?.[1];
}

/** Fresh tokens for a token file: `CC:<43 url-safe chars>` per jurisdiction. */
export function generateTokens(ccs: string[]): string {
  return ccs.map((cc) => `${cc}:${secretText(32)}`).join(',');
}

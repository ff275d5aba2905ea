// The gateway's tokens when CROSSTRACE_GATEWAY_TOKENS is unset: read from a file in the same
// format (`bin/crosstrace admin partner add CC` writes it). A missing file stops the start,
// except in a demo, which creates it (mode 0600, like the node's signing key) with a random
// token per jurisdiction: outside a demo, nobody should find a token they did not hand out.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createTokenTable, generateTokens, parseTokens, type TokenTable } from './tokens.ts';

export function loadTokenFile(path: string, o: { demo: boolean; jurisdictions: string[] }): { entries: [string, string][]; created: boolean } {
  let created = false;
  if (!existsSync(path)) {
    if (!o.demo) {
      throw new Error(`no API tokens configured: set CROSSTRACE_GATEWAY_TOKENS, or onboard a partner (bin/crosstrace admin partner add CC --out DIR) to write CROSSTRACE_GATEWAY_TOKENS_FILE=${path}; only a demo (CROSSTRACE_DEMO=1) generates tokens`);
    }
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${generateTokens(o.jurisdictions)}\n`, { mode: 0o600 });
    created = true;
  }
  try {
    return { entries: parseTokens(readFileSync(path, 'utf8').trim()), created };
  } catch (e) {
    throw new Error(`CROSSTRACE_GATEWAY_TOKENS_FILE=${path}: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * The token table of a tokens file, re-read when the file changes (`admin partner add/remove`
 * rewrite it whole, by rename): a removed partner's token stops working at its next request, and
 * its open streams end, without a gateway restart. A file that is gone revokes every token; one
 * that no longer parses keeps the last good table and is reported (`onProblem`). The
 * jurisdictions are those of the start (the topics the gateway follows; a new one needs a restart).
 */
export function reloadingTokenTable(path: string, initial: [string, string][], onProblem: (message: string) => void = () => undefined): TokenTable {
  const stamp = (): string => { try { const s = statSync(path); return `${s.ino}:${s.size}:${s.mtimeMs}`; } catch { return 'missing'; } };
  let seen = stamp();
  let table = createTokenTable(initial);
  const ccs = table.jurisdictions();
  const refresh = (): void => {
    const now = stamp();
    if (now === seen) return;
    seen = now;
    if (now === 'missing') { table = { jurisdictionOf: () => undefined, jurisdictions: () => [] }; onProblem(`${path} is gone: every token refused`); return; }
    try { table = createTokenTable(parseTokens(readFileSync(path, 'utf8').trim())); } catch (e) { onProblem(`${path}: ${(e as Error).message}; the tokens read before stay in force`); }
  };
  return {
    jurisdictionOf(token) { refresh(); return table.jurisdictionOf(token); },
    jurisdictions: () => [...ccs],
  };
}

/** The node's public keys file, refused when it holds a private key: the gateway verifies,
 *  it never signs, so the tracer's signing key has no business on its host. */
export function assertNoPrivateKey(path: string): void {
  if (existsSync(path) && /PRIVATE KEY/.test(readFileSync(path, 'utf8'))) {
    throw new Error(`CROSSTRACE_GATEWAY_TRUSTED_KEYS_FILE=${path} holds a private key; give the gateway the node's public key file (<signing key>.pub) only`);
  }
}

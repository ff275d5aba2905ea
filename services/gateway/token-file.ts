// The gateway's tokens when CROSSTRACE_GATEWAY_TOKENS is unset: read from a file in the same
// format (`bin/crosstrace admin partner add CC` writes it). A missing file stops the start,
// except in a demo, which creates it (mode 0600, like the node's signing key) with a random
// token per jurisdiction: outside a demo, nobody should find a token they did not hand out.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { generateTokens, parseTokens } from './tokens.ts';

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

/** The node's public keys file, refused when it holds a private key: the gateway verifies,
 *  it never signs, so the tracer's signing key has no business on its host. */
export function assertNoPrivateKey(path: string): void {
  if (existsSync(path) && /PRIVATE KEY/.test(readFileSync(path, 'utf8'))) {
    throw new Error(`CROSSTRACE_GATEWAY_TRUSTED_KEYS_FILE=${path} holds a private key; give the gateway the node's public key file (<signing key>.pub) only`);
  }
}

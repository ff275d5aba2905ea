// The gateway's tokens when CROSSTRACE_GATEWAY_TOKENS is unset: read from a file in the same
// format, created (mode 0600, like the node's signing key) with a random token per
// jurisdiction when it does not exist, so a local stack works without setup and the
// operator hands each partner its line of the file.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { generateTokens, parseTokens } from './tokens.ts';

export function loadOrCreateTokenFile(path: string, jurisdictions: string[]): { entries: [string, string][]; created: boolean } {
  let created = false;
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${generateTokens(jurisdictions)}\n`, { mode: 0o600 });
    created = true;
  }
  try {
    return { entries: parseTokens(readFileSync(path, 'utf8').trim()), created };
  } catch (e) {
    throw new Error(`CROSSTRACE_GATEWAY_TOKENS_FILE=${path}: ${(e as Error).message}`, { cause: e });
  }
}

// Trusted node keys from files (see domain/trusted-keys.ts for the format).
import { existsSync, readFileSync } from 'node:fs';
import { mergeTrustedKeys, parseTrustedKeys, type TrustedKey } from './domain/trusted-keys.ts';

export function readTrustFiles(paths: string[]): Map<string, TrustedKey> {
  return mergeTrustedKeys(paths.map((p) => {
    if (!existsSync(p)) throw new Error(`trust file ${p} does not exist (the node's public key: <signing key file>.pub on the node)`);
    return { source: p, keys: parseTrustedKeys(readFileSync(p, 'utf8'), p) };
  }));
}

/** Keys of one file, re-read (at most every `minIntervalMs`) when an unknown key id is asked
 *  for: a node may create or rotate its key after the reader started. The map is updated in
 *  place, so holders of `keys` see new keys. */
export function createReloadingTrust(path: string, minIntervalMs = 1000) {
  const keys = new Map<string, TrustedKey>();
  let lastRead = 0;
  let lastError: string | null = null;
  const reload = (now: number): void => {
    lastRead = now;
    try {
      const fresh = existsSync(path) ? parseTrustedKeys(readFileSync(path, 'utf8'), path) : new Map<string, TrustedKey>();
      keys.clear();
      for (const [id, k] of fresh) keys.set(id, k);
      lastError = existsSync(path) ? null : `${path} does not exist yet`;
    } catch (e) { lastError = (e as Error).message; }
  };
  reload(Date.now());
  return {
    keys: keys as ReadonlyMap<string, TrustedKey>,
    /** Re-reads the file if `keyId` is unknown and the last read is old enough. */
    ensure(keyId: string, now = Date.now()): void {
      if (!keys.has(keyId) && now - lastRead >= minIntervalMs) reload(now);
    },
    problem: (): string | null => lastError,
  };
}

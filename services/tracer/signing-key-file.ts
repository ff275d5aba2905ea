// The node's Ed25519 signing key on disk: PEM (PKCS#8, mode 0600) at `path`, and beside it the
// trust file `<path>.pub` that partners are given: every public key the node has signed with
// (PEM, SubjectPublicKeyInfo) and the period each signed for (partner/domain/trusted-keys.ts).
// A key is never made silently: `createSigningKeyFile` (bin/crosstrace admin key create, or a
// demo start) makes one, `rotateSigningKeyFile` (admin key rotate) replaces it and ends the old
// key's period in the trust file, keeping it there so everything signed before still verifies.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { loadOrCreateSigningKey, type SigningKey } from '../partner/domain/signing.ts';
import { formatTrustFile, parseTrustedKeys, type TrustedKey } from '../partner/domain/trusted-keys.ts';

const trustPath = (path: string): string => `${path}.pub`;

function writeAtomically(path: string, text: string, mode: number): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode });
  renameSync(tmp, path);
}

function readTrust(path: string): Map<string, TrustedKey> {
  return existsSync(trustPath(path)) ? parseTrustedKeys(readFileSync(trustPath(path), 'utf8'), trustPath(path)) : new Map();
}

/** Writes the trust file with `key` in it (kept as it is when listed; added valid from `now` when not). */
function listInTrustFile(path: string, key: SigningKey, now: number, edit?: (keys: Map<string, TrustedKey>) => void): void {
  const keys = readTrust(path);
  edit?.(keys);
  if (!keys.has(key.keyId)) keys.set(key.keyId, { key: key.publicKey, keyId: key.keyId, validFrom: now, validUntil: null });
  writeAtomically(trustPath(path), formatTrustFile(keys.values()), 0o644);
}

/** Loads the key at `path` and makes sure the trust file lists it. Missing: made when `create`
 *  (the demo), otherwise an error saying how to make one. */
export function loadSigningKeyFile(path: string, o: { create: boolean; now?: number }): SigningKey {
  if (!existsSync(path)) {
    if (!o.create) throw new Error(`no signing key at ${path}: make one with \`bin/crosstrace admin key create --key-file ${path}\` (CROSSTRACE_DEMO=1 makes a throwaway one)`);
    return createSigningKeyFile(path, o.now);
  }
  const key = loadOrCreateSigningKey(readFileSync(path, 'utf8'));
  listInTrustFile(path, key, o.now ?? Date.now());
  return key;
}

/** Makes a new key at `path` (refuses to replace one: that is a rotation) and lists it in the trust file. */
export function createSigningKeyFile(path: string, now = Date.now()): SigningKey {
  if (existsSync(path)) throw new Error(`${path} exists already; \`bin/crosstrace admin key rotate\` replaces a key`);
  const key = loadOrCreateSigningKey();
  writeAtomically(path, key.pem, 0o600);
  listInTrustFile(path, key, now);
  return key;
}

/** Replaces the key at `path` by a new one: the old key's period ends at `now` in the trust
 *  file (it stays, so what it signed still verifies), the new key's starts. The tracer signs
 *  with the new key once restarted. */
export function rotateSigningKeyFile(path: string, now = Date.now()): { old: SigningKey; key: SigningKey } {
  if (!existsSync(path)) throw new Error(`no signing key at ${path} to rotate; \`bin/crosstrace admin key create\` makes the first one`);
  const old = loadOrCreateSigningKey(readFileSync(path, 'utf8'));
  const key = loadOrCreateSigningKey();
  listInTrustFile(path, key, now, (keys) => {
    const was = keys.get(old.keyId);
    keys.set(old.keyId, { key: old.publicKey, keyId: old.keyId, validFrom: was?.validFrom ?? null, validUntil: now });
  });
  writeAtomically(path, key.pem, 0o600);
  return { old, key };
}

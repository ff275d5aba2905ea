// The node's Ed25519 signing key on disk: PEM (PKCS#8, mode 0600) at `path`, and the trust
// file (`<path>.pub` unless named apart, e.g. on a volume the gateway reads) that partners are given: every public key the node has signed with
// (PEM, SubjectPublicKeyInfo) and the period each signed for (partner/domain/trusted-keys.ts).
// A key is never made silently: `createSigningKeyFile` (bin/crosstrace admin key create, or a
// demo start) makes one, `rotateSigningKeyFile` (admin key rotate) replaces it and ends the old
// key's period in the trust file, keeping it there so everything signed before still verifies.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { loadOrCreateSigningKey, type SigningKey } from '../partner/domain/signing.ts';
import { formatTrustFile, parseTrustedKeys, type TrustedKey } from '../partner/domain/trusted-keys.ts';

/** Where the trust file of the key at `path` is: `trustFile`, or `<path>.pub`. */
export const trustPath = (path: string, trustFile?: string): string => trustFile || `${path}.pub`;

function writeAtomically(path: string, text: string, mode: number): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode });
  renameSync(tmp, path);
}

/** Makes sure the trust file lists `key` (kept as it is when listed, added valid from `now`
 *  when not), after `edit`; written only when something changed. */
function listInTrustFile(file: string, key: SigningKey, now: number, edit?: (keys: Map<string, TrustedKey>) => void): void {
  const keys = existsSync(file) ? parseTrustedKeys(readFileSync(file, 'utf8'), file) : new Map<string, TrustedKey>();
  if (!edit && keys.has(key.keyId)) return;
  edit?.(keys);
  if (!keys.has(key.keyId)) keys.set(key.keyId, { key: key.publicKey, keyId: key.keyId, validFrom: now, validUntil: null });
  writeAtomically(file, formatTrustFile(keys.values()), 0o644);
}

/** Loads the key at `path` and makes sure the trust file lists it. Missing: made when `create`
 *  (the demo), otherwise an error saying how to make one. */
export function loadSigningKeyFile(path: string, o: { create: boolean; now?: number; trustFile?: string }): SigningKey {
  if (!existsSync(path)) {
    if (!o.create) throw new Error(`no signing key at ${path}: make one with \`bin/crosstrace admin key create --key-file ${path}\` (CROSSTRACE_DEMO=1 makes a throwaway one)`);
    return createSigningKeyFile(path, o.now, o.trustFile);
  }
  const key = loadOrCreateSigningKey(readFileSync(path, 'utf8'));
  listInTrustFile(trustPath(path, o.trustFile), key, o.now ?? Date.now());
  return key;
}

/** Makes a new key at `path` (refuses to replace one: that is a rotation) and lists it in the trust file. */
export function createSigningKeyFile(path: string, now = Date.now(), trustFile?: string): SigningKey {
  if (existsSync(path)) throw new Error(`${path} exists already; \`bin/crosstrace admin key rotate\` replaces a key`);
  const key = loadOrCreateSigningKey();
  writeAtomically(path, key.pem, 0o600);
  listInTrustFile(trustPath(path, trustFile), key, now);
  return key;
}

/** Replaces the key at `path` by a new one: the old key's period ends at `now` in the trust
 *  file (it stays, so what it signed still verifies), the new key's starts. The tracer signs
 *  with the new key once restarted. */
export function rotateSigningKeyFile(path: string, now = Date.now(), trustFile?: string): { old: SigningKey; key: SigningKey } {
  if (!existsSync(path)) throw new Error(`no signing key at ${path} to rotate; \`bin/crosstrace admin key create\` makes the first one`);
  const old = loadOrCreateSigningKey(readFileSync(path, 'utf8'));
  const key = loadOrCreateSigningKey();
  listInTrustFile(trustPath(path, trustFile), key, now, (keys) => {
    const was = keys.get(old.keyId);
    keys.set(old.keyId, { key: old.publicKey, keyId: old.keyId, validFrom: was?.validFrom ?? null, validUntil: now });
  });
  writeAtomically(path, key.pem, 0o600);
  return { old, key };
}

/** Ids of the keys the trust file lists as rotated out (a validity end), other than `current`:
 *  the tracer ends their part of every audit chain with a rotation record (publisher.ts). */
export function retiredKeyIds(path: string, current: string, trustFile?: string): string[] {
  const file = trustPath(path, trustFile);
  if (!existsSync(file)) return [];
  return [...parseTrustedKeys(readFileSync(file, 'utf8'), file).values()].filter((k) => k.keyId !== current && k.validUntil !== null).map((k) => k.keyId);
}

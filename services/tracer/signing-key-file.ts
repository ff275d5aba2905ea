// The node's Ed25519 signing key on disk: PEM (PKCS#8), created with mode 0600 when absent;
// `<path>.pub` holds the raw public key (base64), which is what partners are given.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { loadOrCreateSigningKey, type SigningKey } from '../partner/domain/signing.ts';

export function loadOrCreateSigningKeyFile(path: string): SigningKey {
  const key = loadOrCreateSigningKey(existsSync(path) ? readFileSync(path, 'utf8') : undefined);
  if (key.created) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, key.pem, { mode: 0o600 });
  }
  writeFileSync(`${path}.pub`, `${key.publicKeyRaw.toString('base64')}\n`);
  return key;
}

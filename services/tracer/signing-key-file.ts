// The node's Ed25519 signing key on disk: PEM (PKCS#8), created with mode 0600 when absent.
import { createPrivateKey, createPublicKey, generateKeyPairSync, createHash, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface NodeKey { privateKey: KeyObject; publicKey: KeyObject; keyId: string; publicKeyRaw: Buffer }

export function nodeKeyFromPrivate(privateKey: KeyObject): NodeKey {
  const publicKey = createPublicKey(privateKey);
  const der = publicKey.export({ format: 'der', type: 'spki' });
  const publicKeyRaw = der.subarray(der.length - 32); // raw 32-byte Ed25519 key ends the SPKI
  return { privateKey, publicKey, publicKeyRaw, keyId: createHash('sha256').update(publicKeyRaw).digest('hex').slice(0, 16) };
}

export function loadOrCreateSigningKeyFile(path: string): NodeKey {
  if (!existsSync(path)) {
    const { privateKey } = generateKeyPairSync('ed25519');
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
  }
  const key = createPrivateKey(readFileSync(path));
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${path} holds a ${key.asymmetricKeyType} key; an Ed25519 key is required`);
  const nk = nodeKeyFromPrivate(key);
  // what partners need to verify this node: `<path>.pub` holds the raw public key, base64
  writeFileSync(`${path}.pub`, `${nk.publicKeyRaw.toString('base64')}\n`);
  return nk;
}

// Ed25519 signatures over the Avro bytes of a jurisdiction's view (node:crypto). Partners
// exchange raw 32-byte public keys (base64); the key id is the first 16 hex chars of
// SHA-256 of the raw key.
import { createHash, createPublicKey, sign as edSign, verify as edVerify, type KeyObject } from 'node:crypto';

const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export function publicKeyFromRaw(raw: Buffer | string): KeyObject {
  const bytes = typeof raw === 'string' ? Buffer.from(raw.trim(), 'base64') : raw;
  if (bytes.length !== 32) throw new Error(`an Ed25519 public key is 32 bytes, got ${bytes.length}`);
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, bytes]), format: 'der', type: 'spki' });
}

export function rawOfPublicKey(key: KeyObject): Buffer {
  const der = key.export({ format: 'der', type: 'spki' });
  return der.subarray(der.length - 32);
}

export const keyIdOf = (key: KeyObject): string => createHash('sha256').update(rawOfPublicKey(key)).digest('hex').slice(0, 16);

export function sign(bytes: Buffer, privateKey: KeyObject): Buffer {
  return edSign(null, bytes, privateKey);
}

export function verify(bytes: Buffer, signature: Buffer, publicKey: KeyObject): boolean {
  try { return edVerify(null, bytes, publicKey, signature); } catch { return false; }
}

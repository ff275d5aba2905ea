// Ed25519 signatures (node:crypto). Private keys travel as PEM (PKCS#8); public keys as PEM
// (SubjectPublicKeyInfo, RFC 8410: what OpenSSL, Python's `cryptography`, Java and Go load as
// is); the key id is the first 16 hex chars of SHA-256 of the raw 32-byte public key. No file
// I/O here (node-key-file.ts keeps the key on disk, trusted-keys.ts reads trust files).
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign as edSign, verify as edVerify, type KeyObject } from 'node:crypto';

/** DER SubjectPublicKeyInfo header of an Ed25519 key (RFC 8410); the raw 32-byte key follows it. */
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** Raw 32-byte public key. */
  publicKeyRaw: Buffer;
  keyId: string;
  /** The private key as PKCS#8 PEM, to store. */
  pem: string;
  /** True when no PEM was given and a new key was made. */
  created: boolean;
}

/** Loads an Ed25519 private key from PEM, or makes a new one when `pem` is undefined. Throws on another key type. */
export function loadOrCreateSigningKey(pem?: string): SigningKey {
  const privateKey = pem === undefined ? generateKeyPairSync('ed25519').privateKey : createPrivateKey(pem);
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new Error(`the signing key is a ${privateKey.asymmetricKeyType ?? 'symmetric'} key; an Ed25519 private key (PKCS#8 PEM) is required`);
  }
  const publicKey = createPublicKey(privateKey);
  return {
    privateKey, publicKey, publicKeyRaw: rawOfPublicKey(publicKey), keyId: keyIdOf(publicKey),
    pem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), created: pem === undefined,
  };
}

/** A public key from its raw 32 bytes (Buffer or base64 text: the trust files of earlier versions). */
export function publicKeyFromRaw(raw: Buffer | string): KeyObject {
  const bytes = typeof raw === 'string' ? Buffer.from(raw.trim(), 'base64') : raw;
  if (bytes.length !== 32) throw new Error(`an Ed25519 public key is 32 bytes, got ${bytes.length}`);
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, bytes]), format: 'der', type: 'spki' });
}

/** A public key from a PEM "PUBLIC KEY" (SPKI) block; throws unless it is Ed25519. */
export function publicKeyFromPem(pem: string): KeyObject {
  const key = createPublicKey({ key: pem, format: 'pem' });
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`not an Ed25519 key: ${key.asymmetricKeyType ?? 'symmetric'}`);
  return key;
}

/** The SPKI PEM of a public key ("-----BEGIN PUBLIC KEY-----" ...), ending in a newline. */
export function pemOfPublicKey(key: KeyObject): string {
  return key.export({ format: 'pem', type: 'spki' }).toString();
}

export function rawOfPublicKey(key: KeyObject): Buffer {
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`not an Ed25519 key: ${key.asymmetricKeyType ?? 'symmetric'}`);
  const der = key.export({ format: 'der', type: 'spki' });
  return der.subarray(der.length - 32);
}

/** First 16 hex chars of SHA-256 of the raw 32-byte public key. */
export function keyIdOf(publicKey: KeyObject | Buffer): string {
  const raw = Buffer.isBuffer(publicKey) ? publicKey : rawOfPublicKey(publicKey);
  return createHash('sha256').update(raw).digest('hex').slice(0, 16);
}

export function sign(bytes: Buffer, privateKey: KeyObject): Buffer {
  return edSign(null, bytes, privateKey);
}

/** False (never throws) for a wrong signature, a wrong key or a malformed signature. */
export function verify(bytes: Buffer, signature: Buffer, publicKey: KeyObject): boolean {
  try { return edVerify(null, bytes, publicKey, signature); } catch { return false; }
}

import { createHash, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { keyIdOf, loadOrCreateSigningKey, publicKeyFromRaw, rawOfPublicKey, sign, verify } from './signing.ts';

describe('Ed25519 signing', () => {
  const key = loadOrCreateSigningKey();
  const bytes = Buffer.from('the minimised view, Avro bytes');

  it('creates a key, and loads the same key back from its PEM', () => {
    expect(key.created).toBe(true);
    const again = loadOrCreateSigningKey(key.pem);
    expect(again.created).toBe(false);
    expect(again.keyId).toBe(key.keyId);
    expect(again.publicKeyRaw.equals(key.publicKeyRaw)).toBe(true);
  });

  it('key id = first 16 hex chars of sha256 of the raw 32-byte public key', () => {
    expect(key.publicKeyRaw).toHaveLength(32);
    expect(key.keyId).toBe(createHash('sha256').update(key.publicKeyRaw).digest('hex').slice(0, 16));
    expect(keyIdOf(key.publicKeyRaw)).toBe(key.keyId);
  });

  it('verifies with the raw base64 public key a partner holds; a tampered byte fails', () => {
    const sig = sign(bytes, key.privateKey);
    const partner = publicKeyFromRaw(key.publicKeyRaw.toString('base64'));
    expect(rawOfPublicKey(partner).equals(key.publicKeyRaw)).toBe(true);
    expect(verify(bytes, sig, partner)).toBe(true);
    const tampered = Buffer.from(bytes);
    tampered[3]! ^= 1;
    expect(verify(tampered, sig, partner)).toBe(false);
    const badSig = Buffer.from(sig);
    badSig[10]! ^= 0x80;
    expect(verify(bytes, badSig, partner)).toBe(false);
    expect(verify(bytes, sig.subarray(0, 20), partner)).toBe(false);
    expect(verify(bytes, sig, loadOrCreateSigningKey().publicKey)).toBe(false);
  });

  it('rejects a key that is not Ed25519, and a raw key of the wrong length', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    expect(() => loadOrCreateSigningKey(rsa)).toThrow(/Ed25519/);
    expect(() => publicKeyFromRaw(Buffer.alloc(31))).toThrow(/32 bytes/);
  });
});

import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { keyIdOf, pemOfPublicKey, rawOfPublicKey } from './signing.ts';
import { formatTrustFile, parseTrustedKeys, validAt } from './trusted-keys.ts';

const key = () => generateKeyPairSync('ed25519').publicKey;

describe('trust files', () => {
  it('hold PEM (SPKI) public keys with their validity, and read back what they wrote', () => {
    const [a, b] = [key(), key()];
    const text = formatTrustFile([
      { key: b, keyId: keyIdOf(b), validFrom: 2_000, validUntil: null },
      { key: a, keyId: keyIdOf(a), validFrom: null, validUntil: 2_000 },
    ]);
    expect(text).toContain(pemOfPublicKey(a).trim());
    expect(text.indexOf(keyIdOf(a))).toBeLessThan(text.indexOf(keyIdOf(b))); // oldest first
    const keys = parseTrustedKeys(text, 'node.pub');
    expect([...keys.values()].map((k) => [k.keyId, k.validFrom, k.validUntil])).toEqual([[keyIdOf(a), null, 2_000], [keyIdOf(b), 2_000, null]]);
    expect([1_999, 2_000].map((t) => validAt(keys.get(keyIdOf(a))!, t))).toEqual([true, false]);
    expect([1_999, 2_000].map((t) => validAt(keys.get(keyIdOf(b))!, t))).toEqual([false, true]);
  });

  it('still read the raw base64 lines of earlier versions', () => {
    const a = key();
    expect([...parseTrustedKeys(`${rawOfPublicKey(a).toString('base64')}\n`, 'old.pub').keys()]).toEqual([keyIdOf(a)]);
  });

  it('refuse a key-id that is not the key\'s, a bad date and an unterminated block, naming the line', () => {
    const a = key();
    expect(() => parseTrustedKeys(`key-id: 0000000000000000\n${pemOfPublicKey(a)}`, 'x.pub')).toThrow(/x\.pub:2: key-id 0000000000000000 does not match/);
    expect(() => parseTrustedKeys(`valid-from: yesterday\n${pemOfPublicKey(a)}`, 'x.pub')).toThrow(/x\.pub:1: valid-from must be an ISO 8601/);
    expect(() => parseTrustedKeys(pemOfPublicKey(a).split('\n').slice(0, 2).join('\n'), 'x.pub')).toThrow(/x\.pub:1: PEM block has no END line/);
  });
});

import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sign, verify } from '../partner/domain/signing.ts';
import { parseTrustedKeys, validAt } from '../partner/domain/trusted-keys.ts';
import { createSigningKeyFile, loadSigningKeyFile, retiredKeyIds, rotateSigningKeyFile } from './signing-key-file.ts';

const keyFile = () => join(mkdtempSync(join(tmpdir(), 'ct-key-')), 'node-ed25519.pem');
const trust = (path: string) => parseTrustedKeys(readFileSync(`${path}.pub`, 'utf8'), `${path}.pub`);

describe('the node key file', () => {
  it('is never made silently: a start without a key fails with one line saying how to make one', () => {
    const path = keyFile();
    expect(() => loadSigningKeyFile(path, { create: false })).toThrow(/^no signing key at .*node-ed25519\.pem: make one with `bin\/crosstrace admin key create --key-file .*`/);
    expect(existsSync(path)).toBe(false);
    const demo = loadSigningKeyFile(path, { create: true }); // CROSSTRACE_DEMO=1
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(loadSigningKeyFile(path, { create: false }).keyId).toBe(demo.keyId);
  });

  it('publishes its public key as PEM (SPKI) in <file>.pub, which any library loads', () => {
    const path = keyFile();
    const key = createSigningKeyFile(path, 1_000);
    const text = readFileSync(`${path}.pub`, 'utf8');
    expect(text).toMatch(/-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA/); // the SPKI prefix of an Ed25519 key
    expect([...trust(path).values()]).toMatchObject([{ keyId: key.keyId, validFrom: 1_000, validUntil: null }]);
    expect(() => createSigningKeyFile(path)).toThrow(/exists already/);
  });

  it('rotation keeps the old public key with its period ended, so what it signed still verifies', () => {
    const path = keyFile();
    const old = createSigningKeyFile(path, 1_000);
    const signedBefore = sign(Buffer.from('update 1'), old.privateKey);
    const { key } = rotateSigningKeyFile(path, 5_000);
    expect(key.keyId).not.toBe(old.keyId);
    expect(loadSigningKeyFile(path, { create: false }).keyId).toBe(key.keyId);
    const keys = trust(path);
    const was = keys.get(old.keyId)!;
    expect([was.validFrom, was.validUntil]).toEqual([1_000, 5_000]);
    expect(verify(Buffer.from('update 1'), signedBefore, was.key)).toBe(true);
    expect([validAt(was, 4_999), validAt(was, 5_000)]).toEqual([true, false]);
    expect(keys.get(key.keyId)).toMatchObject({ validFrom: 5_000, validUntil: null });
    rotateSigningKeyFile(path, 9_000);
    expect(trust(path).size).toBe(3);
  });

  it('names the keys a rotation retired (the tracer ends their part of every audit chain)', () => {
    const path = keyFile();
    const first = createSigningKeyFile(path, 1_000);
    expect(retiredKeyIds(path, first.keyId)).toEqual([]);
    const { old, key } = rotateSigningKeyFile(path, 2_000);
    const { old: second, key: third } = rotateSigningKeyFile(path, 3_000);
    expect(second.keyId).toBe(key.keyId);
    expect(retiredKeyIds(path, third.keyId).sort()).toEqual([old.keyId, key.keyId].sort());
  });
});

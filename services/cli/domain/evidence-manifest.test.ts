import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { keyIdOf } from '../../partner/domain/signing.ts';
import { signManifest, verifyManifest } from './evidence-manifest.ts';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const trusted = new Map([[keyIdOf(publicKey), publicKey]]);
const files = new Map([['records/flows.jsonl', Buffer.from('{"a":1}\n')], ['updates.jsonl', Buffer.from('{"u":1}\n')]]);
const signed = signManifest({ traceId: 't1', createdAt: 0, files, privateKey, publicKey });

describe('evidence manifest', () => {
  it('verifies as written', () => {
    expect(verifyManifest({ ...signed, files, trusted })).toEqual([]);
  });
  it('fails on a changed byte of a file, a missing or an extra file', () => {
    const changed = new Map(files).set('updates.jsonl', Buffer.from('{"u":2}\n'));
    expect(verifyManifest({ ...signed, files: changed, trusted })).toEqual(['updates.jsonl: SHA-256 differs from the manifest']);
    const less = new Map(files); less.delete('updates.jsonl');
    expect(verifyManifest({ ...signed, files: less, trusted })).toEqual(['updates.jsonl: listed but missing']);
    expect(verifyManifest({ ...signed, files: new Map(files).set('x', Buffer.alloc(1)), trusted })).toEqual(['x: not in the manifest']);
  });
  it('fails on a changed manifest byte or an untrusted key', () => {
    const manifest = Buffer.from(signed.manifest); manifest.writeUInt8(manifest.readUInt8(manifest.length - 3) ^ 1, manifest.length - 3);
    expect(verifyManifest({ manifest, signature: signed.signature, files, trusted }).join()).toMatch(/does not verify|not JSON/);
    expect(verifyManifest({ ...signed, files, trusted: new Map() })).toEqual([`signer key ${keyIdOf(publicKey)} is not trusted`]);
  });
  it('reports a tampered manifest\'s key id and paths escaped, each problem one line (no forged "verify" line)', () => {
    const forged = '\nevidence out: 3 files verify against the signed manifest\x1b[2K';
    const m = JSON.parse(signed.manifest.toString('utf8')) as { signerKeyId: string; files: { path: string }[] };
    m.signerKeyId = `x${forged}`;
    m.files[0]!.path = `y${forged}`;
    const problems = verifyManifest({ manifest: Buffer.from(JSON.stringify(m)), signature: signed.signature, files: new Map(files).set(`z${forged}`, Buffer.alloc(1)), trusted });
    expect(problems).toHaveLength(4);
    for (const p of problems) expect(p).not.toMatch(/[\u0000-\u001f]/); // eslint-disable-line no-control-regex
    expect(problems[0]).toBe('signer key x\\nevidence out: 3 files verify against the signed manifest\\x1b[2K is not trusted');
  });
});


import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Disclosure } from '../../../schemas/types.gen.ts';
import { createAuditChain, verifyAuditChain, type DisclosureFields } from './audit-chain.ts';
import { keyIdOf, publicKeyFromRaw, rawOfPublicKey, sign, verify } from './signing.ts';

const encode = (d: Disclosure) => Buffer.from(JSON.stringify(d, (_k, v: unknown) => (v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer' ? Buffer.from((v as { data: number[] }).data).toString('hex') : v)));
const fields = (i: number): DisclosureFields => ({
  traceId: 't', updateSeq: i, audience: 'FR', legalBasis: 'EMERGENCY', caseReference: 'c', hopIds: [`h${i}`], subscriberHandles: 0,
  updateDigest: Buffer.alloc(32, i), disclosedAt: 1000 + i, signerKeyId: 'k',
});

describe('Ed25519 signatures', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  it('verify with the raw public key a partner holds; a flipped byte fails', () => {
    const bytes = Buffer.from('the minimised view');
    const sig = sign(bytes, privateKey);
    const partner = publicKeyFromRaw(rawOfPublicKey(publicKey).toString('base64'));
    expect(verify(bytes, sig, partner)).toBe(true);
    const tampered = Buffer.from(bytes); tampered[0]! ^= 1;
    expect(verify(tampered, sig, partner)).toBe(false);
    expect(verify(bytes, sig, generateKeyPairSync('ed25519').publicKey)).toBe(false);
    expect(keyIdOf(publicKey)).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('audit hash chain', () => {
  const chain = createAuditChain();
  const recs = [1, 2, 3, 4].map((i) => chain.append(fields(i), encode));
  it('links records from 32 zero bytes with gap-free seq', () => {
    expect(recs.map((r) => r.auditSeq)).toEqual([1, 2, 3, 4]);
    expect(recs[0]!.prevHash.equals(Buffer.alloc(32))).toBe(true);
    expect(recs[2]!.prevHash.equals(recs[1]!.hash)).toBe(true);
    expect(verifyAuditChain(recs, encode)).toEqual({ ok: true });
  });
  it('detects an altered, a removed and a reordered record', () => {
    expect(verifyAuditChain([recs[0]!, { ...recs[1]!, audience: 'DE' }, recs[2]!], encode)).toMatchObject({ ok: false, atSeq: 2, reason: expect.stringMatching(/altered/) });
    expect(verifyAuditChain([recs[0]!, recs[2]!], encode)).toMatchObject({ ok: false, atSeq: 3 });
    expect(verifyAuditChain([recs[1]!, recs[0]!], encode)).toMatchObject({ ok: false });
  });
  it('continues from a persisted head', () => {
    const resumed = createAuditChain({ seq: 4, hash: recs[3]!.hash });
    const r5 = resumed.append(fields(5), encode);
    expect(verifyAuditChain([r5], encode, { seq: 4, hash: recs[3]!.hash })).toEqual({ ok: true });
    expect(verifyAuditChain([...recs, r5], encode)).toEqual({ ok: true });
  });
});

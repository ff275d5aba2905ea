import { describe, expect, it } from 'vitest';
import type { Disclosure } from '../../../schemas/types.gen.ts';
import { createAuditChain, verifyAuditChain, type DisclosureFields } from './audit-chain.ts';

// deterministic stand-in for the Avro encoding: JSON with buffers as hex
const encode = (d: Disclosure) => Buffer.from(JSON.stringify(d, (_k, v: unknown) => (
  v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer' ? Buffer.from((v as { data: number[] }).data).toString('hex') : v)));
const fields = (i: number): DisclosureFields => ({
  traceId: 't', updateSeq: i, audience: 'FR', legalBasis: 'EMERGENCY', caseReference: 'c', hopIds: [`h${i}`], subscriberHandles: 0,
  updateDigest: Buffer.alloc(32, i), disclosedAt: 1000 + i, signerKeyId: 'k',
});

describe('audit hash chain', () => {
  const chain = createAuditChain();
  const recs = [1, 2, 3, 4].map((i) => chain.append(fields(i), encode));

  it('links records from 32 zero bytes with gap-free auditSeq from 1', () => {
    expect(recs.map((r) => r.auditSeq)).toEqual([1, 2, 3, 4]);
    expect(recs[0]!.prevHash.equals(Buffer.alloc(32))).toBe(true);
    expect(recs.slice(1).every((r, i) => r.prevHash.equals(recs[i]!.hash))).toBe(true);
    expect(chain.head()).toEqual({ seq: 4, hash: recs[3]!.hash, at: recs[3]!.disclosedAt, signerKeyId: recs[3]!.signerKeyId });
    expect(verifyAuditChain(recs, encode)).toEqual({ ok: true });
  });

  it('hash = sha256(prevHash || encode(record with empty hash))', async () => {
    const { createHash } = await import('node:crypto');
    const r = recs[1]!;
    expect(r.hash.equals(createHash('sha256').update(r.prevHash).update(encode({ ...r, hash: Buffer.alloc(0), signature: Buffer.alloc(0) })).digest())).toBe(true);
  });

  it('detects an altered record', () => {
    expect(verifyAuditChain([recs[0]!, { ...recs[1]!, audience: 'DE' }, recs[2]!], encode)).toMatchObject({ ok: false, atSeq: 2, reason: expect.stringMatching(/altered/) });
    expect(verifyAuditChain([recs[0]!, { ...recs[1]!, hopIds: [] }], encode)).toMatchObject({ ok: false, atSeq: 2 });
  });

  it('detects a removed record (also the first) and reordered records', () => {
    expect(verifyAuditChain([recs[0]!, recs[2]!, recs[3]!], encode)).toMatchObject({ ok: false, atSeq: 3, reason: expect.stringMatching(/missing or reordered/) });
    expect(verifyAuditChain(recs.slice(1), encode)).toMatchObject({ ok: false, atSeq: 2 });
    expect(verifyAuditChain([recs[1]!, recs[0]!, recs[2]!], encode)).toMatchObject({ ok: false, atSeq: 2 });
  });

  it('detects a record re-linked with a renumbered seq (the hash still breaks)', () => {
    const forged = { ...recs[2]!, auditSeq: 2 };
    expect(verifyAuditChain([recs[0]!, forged], encode)).toMatchObject({ ok: false, atSeq: 2 });
  });

  it('continues from a persisted head', () => {
    const resumed = createAuditChain({ seq: 4, hash: recs[3]!.hash });
    const r5 = resumed.append(fields(5), encode);
    expect(r5.auditSeq).toBe(5);
    expect(verifyAuditChain([r5], encode, { seq: 4, hash: recs[3]!.hash })).toEqual({ ok: true });
    expect(verifyAuditChain([...recs, r5], encode)).toEqual({ ok: true });
    expect(verifyAuditChain([r5], encode, { seq: 4, hash: recs[2]!.hash })).toMatchObject({ ok: false, atSeq: 5 });
  });
});

describe('audit chains of several audiences, interleaved', () => {
  it('verify each audience from its first record read, and name the audience of a problem', async () => {
    const { verifyAuditChains } = await import('./audit-chain.ts');
    const [fr, de] = [createAuditChain({ seq: 6, hash: Buffer.alloc(32, 6) }), createAuditChain()];
    const recs = [1, 2, 3].flatMap((i) => [fr.append(fields(i), encode), de.append({ ...fields(i), audience: 'DE' }, encode)]);
    expect(verifyAuditChains(recs, encode)).toEqual({ ok: true, audiences: 2 });
    const forked = createAuditChain({ seq: 1, hash: recs[1]!.hash }).append({ ...fields(9), audience: 'DE' }, encode);
    expect(verifyAuditChains([...recs, forked], encode)).toMatchObject({ ok: false, reason: expect.stringMatching(/^DE: /) });
  });
});

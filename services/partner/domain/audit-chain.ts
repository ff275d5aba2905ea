// The disclosure audit chains: one per audience (jurisdiction). Every record carries the hash
// of the previous record of its audience, so a partner (or an auditor) detects an altered,
// removed or reordered record, and the node signs each record's hash (Ed25519), so nobody
// without the node's key can make a record that verifies.
// hash = SHA-256(prevHash || encode(record with hash and signature = empty bytes)); the first
// prevHash of a chain (its genesis) is 32 zero bytes; auditSeq counts from 1 without gaps;
// signature = Ed25519(hash). `encode` is injected (Avro in the service, anything
// deterministic in tests) so this file stays free of wire-format code.
import { createHash } from 'node:crypto';
import type { Disclosure } from '../../../schemas/types.gen.ts';

export type DisclosureFields = Omit<Disclosure, 'auditSeq' | 'prevHash' | 'hash' | 'signature'>;
export type Encode = (d: Disclosure) => Buffer;
/** Signs a record's 32-byte hash with the node key. */
export type SignHash = (hash: Buffer) => Buffer;

/** prevHash of a chain's first record. */
export const GENESIS_PREV = Buffer.alloc(32);
const EMPTY = Buffer.alloc(0);

export function hashOf(d: Omit<Disclosure, 'hash' | 'signature'>, encode: Encode): Buffer {
  return createHash('sha256').update(d.prevHash).update(encode({ ...d, hash: EMPTY, signature: EMPTY })).digest();
}

export const isGenesis = (r: Pick<Disclosure, 'auditSeq' | 'prevHash'>): boolean => r.auditSeq === 1 && r.prevHash.equals(GENESIS_PREV);

/** One audience's chain, continuing from `start` (the last committed head; `at`: its
 *  disclosedAt, `signerKeyId`: the key that signed it) or from genesis. */
export function createAuditChain(start?: { seq: number; hash: Buffer; at?: number; signerKeyId?: string }) {
  let seq = start?.seq ?? 0;
  let prev = start?.hash ?? GENESIS_PREV;
  let at = start?.at;
  let signerKeyId = start?.signerKeyId;
  return {
    append(fields: DisclosureFields, encode: Encode, sign?: SignHash): Disclosure {
      const body = { ...fields, auditSeq: seq + 1, prevHash: prev };
      const hash = hashOf(body, encode);
      const rec: Disclosure = { ...body, hash, signature: sign ? sign(hash) : EMPTY };
      seq = rec.auditSeq;
      prev = rec.hash;
      at = rec.disclosedAt;
      signerKeyId = rec.signerKeyId;
      return rec;
    },
    /** `at`: the head's disclosedAt, `signerKeyId` its signer (undefined at genesis, or when `start` did not say). */
    head: () => ({ seq, hash: prev, at, signerKeyId }),
  };
}

/** A key-rotation record: the first record a node's new key appends to a chain whose head an
 *  older (rotated-out) key signed. It discloses nothing (no trace: traceId '', updateSeq 0, no
 *  hops; updateDigest = SHA-256 of the retired key id); caseReference names the rotation. Dated
 *  after the rotation, it ends the old key's part of the chain: a record the old key signs
 *  afterwards either follows it (dated before it: back-dated, refused) or forks its
 *  predecessor (flagged). */
export function rotationFields(o: { audience: string; retiredKeyId: string; signerKeyId: string; at: number }): DisclosureFields {
  return {
    traceId: ROTATION_TRACE_ID, updateSeq: 0, audience: o.audience, legalBasis: 'ART29_PRESERVATION',
    caseReference: `key rotation: ${o.retiredKeyId} retired, ${o.signerKeyId} signs from here`,
    hopIds: [], subscriberHandles: 0, updateDigest: createHash('sha256').update(o.retiredKeyId).digest(), disclosedAt: o.at, signerKeyId: o.signerKeyId,
  };
}
/** traceId of a key-rotation record (no trace id is empty). */
export const ROTATION_TRACE_ID = '';
export const isRotationRecord = (r: Pick<Disclosure, 'traceId' | 'updateSeq'>): boolean => r.traceId === ROTATION_TRACE_ID && r.updateSeq === 0;

export type AuditVerdict = { ok: true } | { ok: false; atSeq: number; reason: string };

/** Verifies the links and hashes of one chain from its first record (or from `start`, the last
 *  verified head); signatures are the caller's (audit-ledger.ts checks them with trusted keys). */
export function verifyAuditChain(records: Disclosure[], encode: Encode, start?: { seq: number; hash: Buffer }): AuditVerdict {
  let seq = start?.seq ?? 0;
  let prev = start?.hash ?? GENESIS_PREV;
  for (const r of records) {
    if (r.auditSeq !== seq + 1) return { ok: false, atSeq: r.auditSeq, reason: `expected auditSeq ${seq + 1}, found ${r.auditSeq} (record missing or reordered)` };
    if (!r.prevHash.equals(prev)) return { ok: false, atSeq: r.auditSeq, reason: 'prevHash does not link to the previous record' };
    const { hash, signature: _signature, ...body } = r;
    if (!hashOf(body, encode).equals(hash)) return { ok: false, atSeq: r.auditSeq, reason: 'hash does not match the record (altered)' };
    seq = r.auditSeq;
    prev = hash;
  }
  return { ok: true };
}

/** Verifies the chains of every audience in `records` (as read from audit.disclosures, where
 *  they interleave), each from its lowest auditSeq read; the first problem, naming its audience. */
export function verifyAuditChains(records: Disclosure[], encode: Encode): AuditVerdict & { audiences: number } {
  const audiences = [...new Set(records.map((r) => r.audience))];
  for (const cc of audiences) {
    const chain = records.filter((r) => r.audience === cc).sort((a, b) => a.auditSeq - b.auditSeq);
    const v = verifyAuditChain(chain, encode, { seq: chain[0]!.auditSeq - 1, hash: chain[0]!.prevHash });
    if (!v.ok) return { ...v, reason: `${cc}: ${v.reason}`, audiences: audiences.length };
  }
  return { ok: true, audiences: audiences.length };
}

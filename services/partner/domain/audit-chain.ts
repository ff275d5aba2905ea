// The disclosure audit chain: every record carries the hash of the previous one, so a
// partner (or an auditor) detects an altered, removed or reordered record.
// hash = SHA-256(prevHash || encode(record with hash = empty bytes)); the first prevHash is
// 32 zero bytes; auditSeq counts from 1 without gaps. `encode` is injected (Avro in the
// service, anything deterministic in tests) so this file stays free of wire-format code.
import { createHash } from 'node:crypto';
import type { Disclosure } from '../../../schemas/types.gen.ts';

export type DisclosureFields = Omit<Disclosure, 'auditSeq' | 'prevHash' | 'hash'>;
export type Encode = (d: Disclosure) => Buffer;

const ZERO = Buffer.alloc(32);

function hashOf(d: Omit<Disclosure, 'hash'>, encode: Encode): Buffer {
  return createHash('sha256').update(d.prevHash).update(encode({ ...d, hash: Buffer.alloc(0) })).digest();
}

export function createAuditChain(start?: { seq: number; hash: Buffer }) {
  let seq = start?.seq ?? 0;
  let prev = start?.hash ?? ZERO;
  return {
    append(fields: DisclosureFields, encode: Encode): Disclosure {
      const body = { ...fields, auditSeq: seq + 1, prevHash: prev };
      const rec: Disclosure = { ...body, hash: hashOf(body, encode) };
      seq = rec.auditSeq;
      prev = rec.hash;
      return rec;
    },
    head: () => ({ seq, hash: prev }),
  };
}

export type AuditVerdict = { ok: true } | { ok: false; atSeq: number; reason: string };

/** Verifies a chain from its first record (or from `start`, the last verified head). */
export function verifyAuditChain(records: Disclosure[], encode: Encode, start?: { seq: number; hash: Buffer }): AuditVerdict {
  let seq = start?.seq ?? 0;
  let prev = start?.hash ?? ZERO;
  for (const r of records) {
    if (r.auditSeq !== seq + 1) return { ok: false, atSeq: r.auditSeq, reason: `expected auditSeq ${seq + 1}, found ${r.auditSeq} (record missing or reordered)` };
    if (!r.prevHash.equals(prev)) return { ok: false, atSeq: r.auditSeq, reason: 'prevHash does not link to the previous record' };
    const { hash, ...body } = r;
    if (!hashOf(body, encode).equals(hash)) return { ok: false, atSeq: r.auditSeq, reason: 'hash does not match the record (altered)' };
    seq = r.auditSeq;
    prev = hash;
  }
  return { ok: true };
}

// The verification decision for one SignedTraceUpdate read from trace.updates.<audience>.
// Accepted only when all hold:
//   1. the signer key id names a trusted key, and the Ed25519 signature verifies over the
//      Avro bytes of the view (the signer key id itself is not signed: a wrong id fails 1);
//   2. the view was minimised for this audience (a view for another jurisdiction copied onto
//      this topic is refused even though its signature is good);
//   3. the audit record the update names (auditHash) is in the audit ledger and verified in
//      the hash chain, and it records exactly this disclosure: same audience, trace, seq and
//      signer, and updateDigest = SHA-256 of the view's bytes.
// 1 and 2 are decided once (`checkSigned`); 3 may have to wait for the audit record, which is
// read from another topic (`checkAuditLink` returns `pending` until it is there).
import { createHash } from 'node:crypto';
import type { SignedTraceUpdate, TraceUpdate } from '../../../schemas/types.gen.ts';
import { verify } from './signing.ts';
import type { LedgerEntry } from './audit-ledger.ts';
import type { TrustedKeys } from './trusted-keys.ts';

export type RejectCode = 'unknown-key' | 'bad-signature' | 'malformed' | 'wrong-audience' | 'audit-missing' | 'audit-unverified' | 'audit-mismatch';

export type Check =
  | { kind: 'accepted' }
  | { kind: 'pending'; reason: string }
  | { kind: 'rejected'; code: RejectCode; reason: string };

export interface CheckContext {
  audience: string;
  keys: TrustedKeys;
  /** Avro binary encoding of a TraceUpdate (the bytes the node signed). */
  encodeUpdate(u: TraceUpdate): Buffer;
  findAudit(hash: Buffer): LedgerEntry | undefined;
}

const reject = (code: RejectCode, reason: string): Check & { kind: 'rejected' } => ({ kind: 'rejected', code, reason });

/** Signature and audience; on success the SHA-256 of the signed bytes (what the audit record must hold). */
export function checkSigned(s: SignedTraceUpdate, ctx: Omit<CheckContext, 'findAudit'>): (Check & { kind: 'rejected' }) | { kind: 'signed'; digest: Buffer } {
  const key = ctx.keys.get(s.signerKeyId);
  if (!key) return reject('unknown-key', `signed by unknown key ${s.signerKeyId} (trusted: ${[...ctx.keys.keys()].join(', ') || 'none'})`);
  let bytes: Buffer;
  try { bytes = ctx.encodeUpdate(s.update); } catch (e) { return reject('malformed', `view does not encode as TraceUpdate: ${(e as Error).message}`); }
  if (!verify(bytes, s.signature, key)) return reject('bad-signature', `Ed25519 signature does not verify under key ${s.signerKeyId} (altered or forged)`);
  if (s.update.audience !== ctx.audience) return reject('wrong-audience', `view is for ${s.update.audience ?? 'nobody (full view)'}, not ${ctx.audience}`);
  return { kind: 'signed', digest: createHash('sha256').update(bytes).digest() };
}

/** Whether the audit record linked by `s.auditHash` records exactly this disclosure. */
export function checkAuditLink(s: SignedTraceUpdate, digest: Buffer, audience: string, entry: LedgerEntry | undefined): Check {
  if (!entry) return { kind: 'pending', reason: `audit record ${s.auditHash.toString('hex').slice(0, 16)}… not seen yet` };
  if (!entry.verified) return reject('audit-unverified', `audit record seq ${entry.record.auditSeq} is not part of a verified chain: ${entry.reason}${entry.root !== entry.reason ? `; first problem: ${entry.root}` : ''}`);
  const r = entry.record;
  const mismatches = [
    r.audience !== audience && `audience ${r.audience}`,
    r.traceId !== s.update.traceId && `trace ${r.traceId}`,
    r.updateSeq !== s.update.seq && `updateSeq ${r.updateSeq}`,
    r.signerKeyId !== s.signerKeyId && `signer ${r.signerKeyId}`,
    !r.updateDigest.equals(digest) && 'updateDigest (the record is of other bytes)',
  ].filter((m): m is string => typeof m === 'string');
  if (mismatches.length > 0) return reject('audit-mismatch', `audit record seq ${r.auditSeq} records another disclosure: ${mismatches.join(', ')}`);
  return { kind: 'accepted' };
}

export function checkUpdate(s: SignedTraceUpdate, ctx: CheckContext): Check {
  const signed = checkSigned(s, ctx);
  if (signed.kind === 'rejected') return signed;
  return checkAuditLink(s, signed.digest, ctx.audience, ctx.findAudit(s.auditHash));
}

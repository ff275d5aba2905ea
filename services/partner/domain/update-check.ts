// The verification decision for one SignedTraceUpdate read from trace.updates.<audience>.
// Accepted only when all hold:
//   1. the signer key id names a trusted key, the Ed25519 signature verifies over signedBytes
//      exactly as carried (never over a re-encoding: a schema change cannot break it), and the
//      view's publishedAt lies in the key's validity period (a rotated-out key signs nothing
//      newer); the signer key id itself is not signed: a wrong id fails the signature;
//   2. the view was minimised for this audience (a view for another jurisdiction copied onto
//      this topic is refused even though its signature is good);
//   3. the audit record the update names (auditHash) is in the audit ledger and verified in
//      its audience's hash chain, and it records exactly this disclosure: same audience,
//      trace, seq and signer, updateDigest = SHA-256 of signedBytes, and disclosedAt = the view's
//      publishedAt (the ledger checks the key's validity at disclosedAt and that disclosedAt
//      never goes backwards along the chain, so a publishedAt chosen by a retired key's holder
//      cannot be back-dated into its period once a later record exists).
// Contract: `s.update` is the decoding of `s.signedBytes` (signed-update-reader.ts makes it so;
// the copy the message also carries is never used). 1 and 2 are decided once (`checkSigned`);
// 3 may have to wait for the audit record, read from another topic (`checkAuditLink` returns
// `pending` until it is there). Replays (an older seq after a newer one) are the verifier's.
import { createHash } from 'node:crypto';
import type { SignedTraceUpdate } from '../../../schemas/types.gen.ts';
import { verify } from './signing.ts';
import type { LedgerEntry } from './audit-ledger.ts';
import { periodOf, validAt, type TrustedKeys } from './trusted-keys.ts';

export type RejectCode = 'unknown-key' | 'key-not-valid' | 'bad-signature' | 'malformed' | 'wrong-audience' | 'replayed' | 'audit-missing' | 'audit-unverified' | 'audit-mismatch';

export type Check =
  | { kind: 'accepted' }
  | { kind: 'pending'; reason: string }
  | { kind: 'rejected'; code: RejectCode; reason: string };

export interface CheckContext {
  audience: string;
  keys: TrustedKeys;
  findAudit(hash: Buffer): LedgerEntry | undefined;
}

const reject = (code: RejectCode, reason: string): Check & { kind: 'rejected' } => ({ kind: 'rejected', code, reason });

/** Signature, key validity and audience; on success the SHA-256 of the signed bytes (what the audit record must hold). */
export function checkSigned(s: SignedTraceUpdate, ctx: Omit<CheckContext, 'findAudit'>): (Check & { kind: 'rejected' }) | { kind: 'signed'; digest: Buffer } {
  const key = ctx.keys.get(s.signerKeyId);
  if (!key) return reject('unknown-key', `signed by unknown key ${s.signerKeyId} (trusted: ${[...ctx.keys.keys()].join(', ') || 'none'})`);
  if (s.signedBytes.length === 0) return reject('malformed', 'no signedBytes (published by a node older than signed bytes): nothing to verify');
  const viewProblem = (s as { viewProblem?: string }).viewProblem;
  if (viewProblem) return reject('malformed', viewProblem);
  if (!verify(s.signedBytes, s.signature, key.key)) return reject('bad-signature', `Ed25519 signature does not verify under key ${s.signerKeyId} (altered or forged)`);
  if (!validAt(key, s.update.publishedAt)) {
    return reject('key-not-valid', `key ${s.signerKeyId} signs for ${periodOf(key)}, not for an update published ${new Date(s.update.publishedAt).toISOString()}`);
  }
  if (s.update.audience !== ctx.audience) return reject('wrong-audience', `view is for ${s.update.audience ?? 'nobody (full view)'}, not ${ctx.audience}`);
  return { kind: 'signed', digest: createHash('sha256').update(s.signedBytes).digest() };
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
    r.disclosedAt !== s.update.publishedAt && `disclosedAt ${new Date(r.disclosedAt).toISOString()} (the update says published ${new Date(s.update.publishedAt).toISOString()})`,
  ].filter((m): m is string => typeof m === 'string');
  if (mismatches.length > 0) return reject('audit-mismatch', `audit record seq ${r.auditSeq} records another disclosure: ${mismatches.join(', ')}`);
  return { kind: 'accepted' };
}

export function checkUpdate(s: SignedTraceUpdate, ctx: CheckContext): Check {
  const signed = checkSigned(s, ctx);
  if (signed.kind === 'rejected') return signed;
  return checkAuditLink(s, signed.digest, ctx.audience, ctx.findAudit(s.auditHash));
}

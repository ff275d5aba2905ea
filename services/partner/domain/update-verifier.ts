// Verifies a stream of SignedTraceUpdates against the audit ledger as both topics are read.
// The signature is checked once, on arrival; an update whose audit record has not been read
// yet waits (holding only the digest of its signed bytes, so rechecking is a map lookup);
// `recheck` decides waiting updates after audit records were added and, once the caller says
// the audit topic is caught up, rejects those waiting longer than the grace period (audit
// link missing). Updates of one trace are decided in arrival order, and an update older than
// one already accepted for its trace (a lower seq) is rejected as replayed: an old, validly
// signed update re-sent cannot roll a partner's view back. The same seq again is not a replay
// (a tracer that crashed between publishing and saving publishes it again). Nor may an update
// be published earlier than one accepted for its trace (publishedAt never goes backwards).
// `R` is whatever the caller wants back with a verdict (e.g. the offset).
import type { SignedTraceUpdate } from '../../../schemas/types.gen.ts';
import { checkAuditLink, checkSigned, type CheckContext, type RejectCode } from './update-check.ts';

export type Verdict<R> =
  | { ok: true; audience: string; signed: SignedTraceUpdate; ref: R }
  | { ok: false; audience: string; signed: SignedTraceUpdate; ref: R; code: RejectCode; reason: string };

export interface VerifierOptions extends Omit<CheckContext, 'audience'> {
  /** How long an update may wait for its audit record once the audit topic is caught up, ms. */
  auditGraceMs: number;
}

interface Waiting<R> { audience: string; signed: SignedTraceUpdate; ref: R; since: number; digest: Buffer }

const traceKey = (audience: string, s: SignedTraceUpdate): string => `${audience}\n${s.update.traceId}`;

export function createUpdateVerifier<R>(o: VerifierOptions) {
  let waiting: Waiting<R>[] = [];
  const newest = new Map<string, { seq: number; publishedAt: number }>(); // audience + trace -> the newest update accepted

  /** The final word on an update whose checks passed: accepted, unless it is older than one accepted. */
  function accept(audience: string, signed: SignedTraceUpdate, ref: R): Verdict<R> {
    const k = traceKey(audience, signed);
    const top = newest.get(k);
    if (top !== undefined && signed.update.seq < top.seq) {
      return { ok: false, audience, signed, ref, code: 'replayed', reason: `seq ${signed.update.seq} after seq ${top.seq} was verified: an older update sent again` };
    }
    if (top !== undefined && signed.update.publishedAt < top.publishedAt) {
      return { ok: false, audience, signed, ref, code: 'replayed', reason: `seq ${signed.update.seq} is dated ${new Date(signed.update.publishedAt).toISOString()}, before seq ${top.seq} (${new Date(top.publishedAt).toISOString()}) was: back-dated` };
    }
    newest.set(k, { seq: signed.update.seq, publishedAt: signed.update.publishedAt });
    return { ok: true, audience, signed, ref };
  }

  function link(w: Waiting<R>): Verdict<R> | null {
    const c = checkAuditLink(w.signed, w.digest, w.audience, o.findAudit(w.signed.auditHash));
    if (c.kind === 'pending') return null;
    if (c.kind === 'accepted') return accept(w.audience, w.signed, w.ref);
    return { ok: false, audience: w.audience, signed: w.signed, ref: w.ref, code: c.code, reason: c.reason };
  }

  return {
    /** A verdict now, or null while the update waits for its audit record (or behind an earlier update of its trace). */
    submit(audience: string, signed: SignedTraceUpdate, now: number, ref: R): Verdict<R> | null {
      const s = checkSigned(signed, { ...o, audience });
      if (s.kind === 'rejected') return { ok: false, audience, signed, ref, code: s.code, reason: s.reason };
      const w = { audience, signed, ref, since: now, digest: s.digest };
      const k = traceKey(audience, signed);
      const v = waiting.some((x) => traceKey(x.audience, x.signed) === k) ? null : link(w);
      if (!v) waiting.push(w);
      return v;
    },
    /** Verdicts for waiting updates that can now be decided, in arrival order. */
    recheck(now: number, auditCaughtUp: boolean): Verdict<R>[] {
      if (waiting.length === 0) return [];
      const out: Verdict<R>[] = [];
      const still: Waiting<R>[] = [];
      const blocked = new Set<string>(); // traces with an earlier update still waiting
      for (const w of waiting) {
        const k = traceKey(w.audience, w.signed);
        const v = blocked.has(k) ? null : link(w);
        if (v) out.push(v);
        else if (!blocked.has(k) && auditCaughtUp && now - w.since >= o.auditGraceMs) {
          out.push({ ok: false, audience: w.audience, signed: w.signed, ref: w.ref, code: 'audit-missing',
            reason: `no audit record ${w.signed.auditHash.toString('hex').slice(0, 16)}… in a verified place on audit.disclosures.${w.audience} after ${Math.round(o.auditGraceMs / 1000)} s (disclosure not audited, or its chain is incomplete)` });
        } else { still.push(w); blocked.add(k); }
      }
      waiting = still;
      return out;
    },
    waiting: (): number => waiting.length,
  };
}

export type UpdateVerifier<R> = ReturnType<typeof createUpdateVerifier<R>>;

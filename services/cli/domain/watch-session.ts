// The whole of `crosstrace watch` without Kafka or a terminal: audit records and signed
// updates go in (in the order they are read), text comes out. In plain mode each decided
// update gives one line (during the bootstrap read only with `fromBeginning`; otherwise the
// bootstrap ends with one line per watched trace's current state); in screen mode `screen()`
// renders every watched chain. A rejected update is only ever reported as REJECTED.
import type { Disclosure, SignedTraceUpdate } from '../../../schemas/types.gen.ts';
import { createAuditLedger } from '../../partner/domain/audit-ledger.ts';
import type { Encode } from '../../partner/domain/audit-chain.ts';
import { acceptedLine, rejectedLine, renderScreen } from './render.ts';
import type { TrustedKeys } from '../../partner/domain/trusted-keys.ts';
import { createUpdateVerifier, type Verdict } from '../../partner/domain/update-verifier.ts';
import { createWatchState } from './watch-state.ts';

export interface WatchSessionOptions {
  audience: string;
  topic: string;
  keys: TrustedKeys;
  encodeDisclosure: Encode;
  auditGraceMs: number;
  fromBeginning: boolean;
  traceIds: string[];
}

export function createWatchSession(o: WatchSessionOptions) {
  const ledger = createAuditLedger(o.encodeDisclosure, o.keys);
  const verifier = createUpdateVerifier<string>({ keys: o.keys, findAudit: ledger.find, auditGraceMs: o.auditGraceMs });
  const state = createWatchState({ traceIds: o.traceIds, fromBeginning: o.fromBeginning });
  let accepted = 0;
  let notesShown = 0;

  const printNow = (traceId: string): boolean => (o.fromBeginning || state.bootstrapped) && state.isWatched(traceId);

  function decide(v: Verdict<string>, now: number): string[] {
    const u = v.signed.update;
    if (!v.ok) {
      const r = { traceId: u.traceId, seq: u.seq, code: v.code, reason: v.reason, at: now };
      state.reject(r);
      return [rejectedLine(o.audience, r)]; // a rejection is always reported
    }
    accepted++;
    if (!state.accept(u, now)) return [];
    return printNow(u.traceId) ? [acceptedLine(o.audience, u, now)] : [];
  }
  // forks and restarted chains of the audit feed (only records signed by a trusted key can raise one)
  const trustedNotes = (): string[] => ledger.status().flags.filter((n) => o.keys.has(n.signerKeyId)).map((n) => n.text);
  const notes = (): string[] => {
    const all = trustedNotes();
    const fresh = all.slice(notesShown).map((n) => `audit ${n}`);
    notesShown = all.length;
    return fresh;
  };

  return {
    /** A record read from audit.disclosures.<audience> (`written`: the bytes its hash covers, as
     *  written: partner/written-disclosure.ts); returns flag lines and lines for updates it decided. */
    audit(rec: Disclosure, now: number, auditCaughtUp: boolean, written?: Buffer): string[] {
      ledger.add(rec, written);
      return [...notes(), ...verifier.recheck(now, auditCaughtUp).flatMap((v) => decide(v, now))];
    },
    /** A signed update read from trace.updates.<audience>. */
    update(s: SignedTraceUpdate, now: number, ref: string): string[] {
      if (o.traceIds.length > 0 && !o.traceIds.includes(s.update.traceId)) return []; // --trace: other traces are not ours to report on
      const v = verifier.submit(o.audience, s, now, ref);
      return v ? decide(v, now) : [];
    },
    /** Periodic: decides waiting updates, ends the bootstrap once both topics are read and nothing waits. */
    tick(now: number, caughtUp: { updates: boolean; audit: boolean }): string[] {
      const lines = verifier.recheck(now, caughtUp.audit).flatMap((v) => decide(v, now));
      if (!state.bootstrapped && caughtUp.updates && caughtUp.audit && verifier.waiting() === 0) {
        state.endBootstrap();
        if (!o.fromBeginning) lines.push(...state.watchedTraces().map((e) => acceptedLine(o.audience, e.view, now)));
      }
      return lines;
    },
    screen(now: number): string {
      const st = ledger.status();
      return renderScreen({ audience: o.audience, topic: o.topic, accepted, notes: trustedNotes(), keyIds: [...o.keys.keys()], audit: st, waitingForAudit: verifier.waiting(), bootstrapped: state.bootstrapped },
        state.watchedTraces(), state.rejections(), state.rejectedTotal(), now);
    },
    done: (): boolean => state.bootstrapped && state.done(),
    notTerminal: (): string[] => state.notTerminal(),
    summary: (): string => `${accepted} verified, ${state.rejectedTotal()} rejected, ${state.watchedTraces().length} trace(s) watched`,
  };
}

export type WatchSession = ReturnType<typeof createWatchSession>;

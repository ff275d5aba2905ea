// What a partner knows of the disclosure audit chain on audit.disclosures: every record
// indexed by its hash, each verified or not (with the reason). A record is verified when its
// hash is right (verifyAuditChain over the record alone) and
// - it is a genesis record (auditSeq 1, prevHash 32 zero bytes), or
// - it is the first record read (earlier ones are past retention): it anchors the chain, with
//   a note, or
// - its prevHash is the hash of a verified record whose auditSeq is one less.
// The hash links fix the order, not the topic offsets: the tracer publishes concurrent batches,
// so a record can land before its predecessor; it waits (unverified, "not seen yet") and is
// verified when the predecessor arrives. An altered record (hash wrong) and everything linked
// after it stay unverified; a removed record leaves its successor waiting forever. Two
// records continuing the same predecessor (a fork: two tracer instances sharing one persisted
// head, or a batch re-made after a partial produce failure) are both verified, with a note.
import type { Disclosure } from '../../../schemas/types.gen.ts';
import { verifyAuditChain, type Encode } from './audit-chain.ts';

export type LedgerEntry =
  | { record: Disclosure; verified: true }
  | { record: Disclosure; verified: false; reason: string; /** the first problem this record depends on */ root: string };
export interface LedgerNote { signerKeyId: string; text: string }

const ZERO = Buffer.alloc(32);
const hex = (b: Buffer): string => b.toString('hex');

export function createAuditLedger(encode: Encode) {
  const byHash = new Map<string, LedgerEntry>();
  const waitingOn = new Map<string, Disclosure[]>(); // prevHash -> records whose predecessor is not seen yet
  const continued = new Set<string>(); // hashes a verified record continues
  const notes: LedgerNote[] = [];
  let verified = 0;
  let lastProblem: string | null = null;

  const bad = (r: Disclosure, reason: string, root = reason): LedgerEntry => ({ record: r, verified: false, reason, root });

  function judge(r: Disclosure): LedgerEntry | 'wait' {
    const self = verifyAuditChain([r], encode, { seq: r.auditSeq - 1, hash: r.prevHash });
    if (!self.ok) return bad(r, `record seq ${r.auditSeq}: ${self.reason}`);
    if (r.auditSeq === 1 && r.prevHash.equals(ZERO)) {
      if (byHash.size > 0) notes.push({ signerKeyId: r.signerKeyId, text: `a new audit chain starts at seq 1 (node ${r.signerKeyId})` });
      return { record: r, verified: true };
    }
    if (byHash.size === 0) {
      notes.push({ signerKeyId: r.signerKeyId, text: `audit chain read from seq ${r.auditSeq} (earlier records are past retention); verified from there` });
      return { record: r, verified: true };
    }
    const parent = byHash.get(hex(r.prevHash));
    if (!parent) return 'wait';
    if (!parent.verified) return bad(r, `record seq ${r.auditSeq} follows unverified record seq ${parent.record.auditSeq}`, parent.root);
    if (parent.record.auditSeq !== r.auditSeq - 1) return bad(r, `record seq ${r.auditSeq} follows seq ${parent.record.auditSeq} (a gap)`);
    if (continued.has(hex(r.prevHash))) notes.push({ signerKeyId: r.signerKeyId, text: `audit chain forks after seq ${parent.record.auditSeq} (two records continue it; node ${r.signerKeyId})` });
    return { record: r, verified: true };
  }

  function settle(first: Disclosure): LedgerEntry {
    let result: LedgerEntry | undefined;
    const todo = [first];
    while (todo.length) {
      const r = todo.pop()!;
      const key = hex(r.hash);
      const known = byHash.get(key);
      if (known?.verified) { result ??= known; continue; }
      const j = judge(r);
      if (j === 'wait') {
        const list = waitingOn.get(hex(r.prevHash)) ?? [];
        if (!list.includes(r)) list.push(r);
        waitingOn.set(hex(r.prevHash), list);
        result ??= bad(r, `record seq ${r.auditSeq} links to a record not seen yet (missing, or published out of order)`);
        continue;
      }
      if (known && !j.verified) { result ??= known; continue; }
      byHash.set(key, j);
      result ??= j;
      if (j.verified) { verified++; continued.add(hex(r.prevHash)); } else lastProblem = j.reason;
      const children = waitingOn.get(key);
      if (children) { waitingOn.delete(key); todo.push(...children); }
    }
    return result!;
  }

  return {
    add: settle,
    /** The record with this hash if it was read and its place in the chain decided. */
    find: (hash: Buffer): LedgerEntry | undefined => byHash.get(hex(hash)),
    status: () => ({
      records: byHash.size, verified, unverified: byHash.size - verified,
      waiting: [...waitingOn.values()].reduce((n, l) => n + l.length, 0), lastProblem, notes: [...notes],
    }),
  };
}

export type AuditLedger = ReturnType<typeof createAuditLedger>;

// What a partner knows of the disclosure audit chains: every record read (from its own feed
// audit.disclosures.<CC>, or every audience's from audit.disclosures) indexed by its hash,
// each verified or not (with the reason). There is one chain per audience. A record is
// verified when its hash is right, its signature verifies under a trusted node key (when keys
// are given) and that key's validity period (trust file) contains the record's disclosedAt (a
// rotated-out key extends no chain), and
// - it is its audience's genesis (auditSeq 1, prevHash 32 zero bytes) and the first genesis of
//   that audience read, or
// - its prevHash is the hash of a verified record of the same audience whose auditSeq is one
//   less, its disclosedAt is not earlier than that record's (time never goes backwards along a
//   chain: a record back-dated into a retired key's period cannot follow a newer one), and no
//   verified record continues that one already.
// The hash covers the record as WRITTEN: `add(record, written)` takes the bytes the hash covers
// (its Avro encoding under the writer's schema, hash and signature empty: written-disclosure.ts),
// so a record resolved to another (compatible) Disclosure schema on reading still verifies;
// without `written` the record is encoded with `encode` (the reader's schema: same-schema only).
// A record signed by a key this reader does not trust (another node, or this node's key before
// a rotation the reader was not given) is "foreign": its links are followed (the chain goes on
// through it) but it vouches for nothing. A record naming a trusted key whose signature does
// not verify is a forgery: it and everything linked after it are unverified.
// Everything else is flagged, never accepted silently: a SECOND genesis of an audience (the
// chain restarted: whatever it records is unverified) and a FORK (a second record continuing
// the same predecessor: the first one read stays, the second and all after it are
// unverified) each add a flag to `status().flags`. Audit topics keep records forever, so a
// feed that does not start at its genesis is missing records: its records wait, unverified.
// The hash links fix the order, not the topic offsets: a record read before its predecessor
// waits ("not seen yet") and is judged when the predecessor arrives. An altered record (hash
// or signature wrong) and everything linked after it stay unverified.
import type { Disclosure } from '../../../schemas/types.gen.ts';
import { createHash } from 'node:crypto';
import { isGenesis, verifyAuditChain, type Encode } from './audit-chain.ts';
import { verify } from './signing.ts';
import { periodOf, validAt, type TrustedKeys } from './trusted-keys.ts';

export type LedgerEntry =
  | { record: Disclosure; verified: true }
  | { record: Disclosure; verified: false; reason: string; /** the first problem this record depends on */ root: string; /** signed by an untrusted key: linked through, never vouching */ foreign?: true };
export interface LedgerFlag { kind: 'fork' | 'new-genesis'; audience: string; auditSeq: number; signerKeyId: string; text: string }

const hex = (b: Buffer): string => b.toString('hex');

/** `keys`: the trusted node keys; without them signatures are not checked (hash links only). */
export function createAuditLedger(encode: Encode, keys?: TrustedKeys) {
  const byHash = new Map<string, LedgerEntry>();
  const waitingOn = new Map<string, Disclosure[]>(); // prevHash -> records whose predecessor is not seen yet
  const continued = new Set<string>(); // audience + hash of each record a verified record continues
  const genesis = new Map<string, string>(); // audience -> hash of its verified genesis
  const flags: LedgerFlag[] = [];
  let verified = 0;
  let lastProblem: string | null = null;
  const writtenOf = new WeakMap<Disclosure, Buffer>(); // record -> the bytes its hash covers, as written

  /** Whether `r.hash` is right: over its bytes as written when given, else re-encoded. */
  function selfCheck(r: Disclosure): { ok: true } | { ok: false; reason: string } {
    const written = writtenOf.get(r);
    if (!written) return verifyAuditChain([r], encode, { seq: r.auditSeq - 1, hash: r.prevHash });
    return createHash('sha256').update(r.prevHash).update(written).digest().equals(r.hash) ? { ok: true } : { ok: false, reason: 'hash does not match the record (altered)' };
  }

  const bad = (r: Disclosure, reason: string, root = reason): LedgerEntry => ({ record: r, verified: false, reason, root });
  const flag = (r: Disclosure, kind: LedgerFlag['kind'], text: string): LedgerEntry => {
    flags.push({ kind, audience: r.audience, auditSeq: r.auditSeq, signerKeyId: r.signerKeyId, text });
    return bad(r, text);
  };

  function judge(r: Disclosure): LedgerEntry | 'wait' {
    const self = selfCheck(r);
    if (!self.ok) return bad(r, `${r.audience} record seq ${r.auditSeq}: ${self.reason}`);
    const key = keys?.get(r.signerKeyId);
    if (key && !verify(r.hash, r.signature, key.key)) return bad(r, `${r.audience} record seq ${r.auditSeq}: signature does not verify under key ${r.signerKeyId} (forged or altered)`);
    if (key && !validAt(key, r.disclosedAt)) {
      return bad(r, `${r.audience} record seq ${r.auditSeq}: key ${r.signerKeyId} signs for ${periodOf(key)}, not for a disclosure at ${new Date(r.disclosedAt).toISOString()} (a retired key)`);
    }
    const ok: LedgerEntry = keys && !key
      ? { record: r, verified: false, foreign: true, reason: `${r.audience} record seq ${r.auditSeq} is signed by key ${r.signerKeyId}, which is not trusted here`, root: `key ${r.signerKeyId} not trusted` }
      : { record: r, verified: true };
    if (isGenesis(r)) {
      const first = genesis.get(r.audience);
      if (first !== undefined && first !== hex(r.hash)) {
        return flag(r, 'new-genesis', `FLAGGED: a second audit chain for ${r.audience} starts at seq 1 (node ${r.signerKeyId}); the chain was restarted, its records are not verified`);
      }
      genesis.set(r.audience, hex(r.hash));
      return ok;
    }
    const parent = byHash.get(hex(r.prevHash));
    if (!parent) return 'wait';
    if (!parent.verified && !parent.foreign) return bad(r, `${r.audience} record seq ${r.auditSeq} follows unverified record seq ${parent.record.auditSeq}`, parent.root);
    if (parent.record.audience !== r.audience) return bad(r, `${r.audience} record seq ${r.auditSeq} continues ${parent.record.audience}'s chain`);
    if (parent.record.auditSeq !== r.auditSeq - 1) return bad(r, `${r.audience} record seq ${r.auditSeq} follows seq ${parent.record.auditSeq} (a gap)`);
    if (r.disclosedAt < parent.record.disclosedAt) {
      return bad(r, `${r.audience} record seq ${r.auditSeq} is dated ${new Date(r.disclosedAt).toISOString()}, before seq ${parent.record.auditSeq} (${new Date(parent.record.disclosedAt).toISOString()}): back-dated`);
    }
    if (continued.has(`${r.audience}/${hex(r.prevHash)}`)) {
      return flag(r, 'fork', `FLAGGED: the audit chain of ${r.audience} forks after seq ${parent.record.auditSeq} (a second record continues it; node ${r.signerKeyId}); the second branch is not verified`);
    }
    return ok;
  }

  function settle(first: Disclosure): LedgerEntry {
    let result: LedgerEntry | undefined;
    const todo = [first];
    while (todo.length) {
      const r = todo.pop()!;
      const key = hex(r.hash);
      const known = byHash.get(key);
      if (known) { result ??= known; continue; } // the same record again (a duplicate read) changes nothing
      const j = judge(r);
      if (j === 'wait') {
        const list = waitingOn.get(hex(r.prevHash)) ?? [];
        if (!list.includes(r)) list.push(r);
        waitingOn.set(hex(r.prevHash), list);
        result ??= bad(r, `${r.audience} record seq ${r.auditSeq} links to a record not seen yet (missing, or published out of order)`);
        continue;
      }
      byHash.set(key, j);
      result ??= j;
      if (j.verified || j.foreign) continued.add(`${r.audience}/${hex(r.prevHash)}`);
      if (j.verified) verified++; else if (!j.foreign) lastProblem = j.reason;
      const children = waitingOn.get(key);
      if (children) { waitingOn.delete(key); todo.push(...children); }
    }
    return result!;
  }

  return {
    /** Judges `record`; `written`: the bytes its hash covers as written (see above). */
    add: (record: Disclosure, written?: Buffer): LedgerEntry => { if (written) writtenOf.set(record, written); return settle(record); },
    /** The record with this hash if it was read and its place in the chain decided. */
    find: (hash: Buffer): LedgerEntry | undefined => byHash.get(hex(hash)),
    status: () => ({
      records: byHash.size, verified, unverified: byHash.size - verified,
      waiting: [...waitingOn.values()].reduce((n, l) => n + l.length, 0), lastProblem,
      /** Forks and restarted chains seen, oldest first. */
      flags: [...flags],
      /** The flags as text (what the gateway logs). */
      notes: flags.map((f) => ({ signerKeyId: f.signerKeyId, text: f.text })),
    }),
  };
}

export type AuditLedger = ReturnType<typeof createAuditLedger>;

// What a partner knows of the disclosure audit chains on audit.disclosures (read in offset
// order): every record indexed by its hash, each marked verified or not. Each publishing node
// (signerKeyId) keeps its own chain, so records of several nodes may interleave on the topic;
// a node's records are verified one by one against its running head with verifyAuditChain:
// - a node's first record read with auditSeq > 1 (earlier ones past retention, or the chain
//   continued from another node's head) anchors its chain at its prevHash, with a note;
// - a record that does not link breaks that node's chain: it and every later record of the
//   node stay unverified (with the reason) until a new genesis record (auditSeq 1, prevHash 32
//   zero bytes), which starts a new segment, with a note (the node lost its audit head);
// - a record delivered twice (same hash) is kept once.
import type { Disclosure } from '../../../schemas/types.gen.ts';
import { verifyAuditChain, type Encode } from '../../tracer/domain/audit-chain.ts';

export type LedgerEntry = { record: Disclosure; verified: true } | { record: Disclosure; verified: false; reason: string };

interface NodeChain { head: { seq: number; hash: Buffer } | undefined; broken: string | null }

const ZERO = Buffer.alloc(32);

export function createAuditLedger(encode: Encode) {
  const byHash = new Map<string, LedgerEntry>();
  const chains = new Map<string, NodeChain>();
  const notes: { node: string; text: string }[] = [];

  function add(record: Disclosure): LedgerEntry {
    const key = record.hash.toString('hex');
    const known = byHash.get(key);
    if (known) return known;
    const node = record.signerKeyId;
    let c = chains.get(node);
    if (!c) { c = { head: undefined, broken: null }; chains.set(node, c); }
    const genesis = record.auditSeq === 1 && record.prevHash.equals(ZERO);
    let start = c.head;
    if (genesis) {
      if (c.head) notes.push({ node, text: `audit chain of ${node} restarted at seq 1 after seq ${c.head.seq}${c.broken ? ` (was broken ${c.broken})` : ''}` });
      start = undefined;
      c.broken = null;
    } else if (!c.head && !c.broken) {
      start = { seq: record.auditSeq - 1, hash: record.prevHash };
      notes.push({ node, text: `audit chain of ${node} read from seq ${record.auditSeq} (earlier records past retention or another node's), verified from there` });
    }
    let entry: LedgerEntry;
    if (c.broken) {
      entry = { record, verified: false, reason: `audit chain of ${node} broken earlier (${c.broken})` };
    } else {
      const v = verifyAuditChain([record], encode, start);
      if (v.ok) {
        entry = { record, verified: true };
        c.head = { seq: record.auditSeq, hash: record.hash };
      } else {
        c.broken = `at seq ${v.atSeq}: ${v.reason}`;
        entry = { record, verified: false, reason: `audit chain of ${node} broken ${c.broken}` };
      }
    }
    byHash.set(key, entry);
    return entry;
  }

  return {
    add,
    find: (hash: Buffer): LedgerEntry | undefined => byHash.get(hash.toString('hex')),
    /** Verified head per node (signer key id), why a node's chain is broken, notes worth showing. */
    status: () => ({
      heads: Object.fromEntries([...chains].map(([k, c]) => [k, c.head?.seq ?? 0])),
      broken: Object.fromEntries([...chains].filter(([, c]) => c.broken).map(([k, c]) => [k, c.broken!])),
      notes: [...notes],
      records: byHash.size,
    }),
  };
}

export type AuditLedger = ReturnType<typeof createAuditLedger>;

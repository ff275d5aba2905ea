import { describe, expect, it } from 'vitest';
import type { Disclosure } from '../../../schemas/types.gen.ts';
import { createAuditChain } from './audit-chain.ts';
import { createAuditLedger } from './audit-ledger.ts';
import { sign } from './signing.ts';
import { encodeDisclosure, fullUpdate, makeNode } from '../test-fixtures.ts';

const records = (n: number, node = makeNode(), cc = 'GB') => Array.from({ length: n }, (_, i) => node.publish(fullUpdate({ seq: i + 1 }), cc).record);
const kinds = (l: ReturnType<typeof createAuditLedger>) => l.status().flags.map((f) => `${f.kind} ${f.audience} seq ${f.auditSeq}`);
/** A record continuing `after` made and signed by the node's own key (what a second tracer sharing the key would write). */
function continuing(node: ReturnType<typeof makeNode>, after: Disclosure | null, like: Disclosure): Disclosure {
  const { auditSeq: _s, prevHash: _p, hash: _h, signature: _g, ...fields } = like;
  return createAuditChain(after ? { seq: after.auditSeq, hash: after.hash } : undefined)
    .append({ ...fields, disclosedAt: fields.disclosedAt + 1 }, encodeDisclosure, (h) => sign(h, node.privateKey));
}

describe('audit ledger', () => {
  it('verifies a chain from genesis and finds records by hash; a redelivered record is kept once', () => {
    const node = makeNode();
    const l = createAuditLedger(encodeDisclosure, node.keys);
    const rs = records(3, node);
    for (const r of rs) expect(l.add(r).verified).toBe(true);
    expect(l.add(rs[1]!).verified).toBe(true);
    expect(l.find(rs[2]!.hash)?.record.auditSeq).toBe(3);
    expect(l.status()).toEqual({ records: 3, verified: 3, unverified: 0, waiting: 0, lastProblem: null, flags: [], notes: [] });
  });

  it('verifies each audience\'s chain on its own, interleaved on one topic', () => {
    const node = makeNode();
    const l = createAuditLedger(encodeDisclosure, node.keys);
    const gb = records(3, node, 'GB');
    const fr = records(2, node, 'FR');
    for (const r of [gb[0]!, fr[0]!, gb[1]!, fr[1]!, gb[2]!]) expect(l.add(r).verified).toBe(true);
    expect(fr.map((r) => r.auditSeq)).toEqual([1, 2]);
    expect(kinds(l)).toEqual([]);
  });

  it('does not anchor at a record past the start: audit topics keep everything, so an earlier record is missing', () => {
    const node = makeNode();
    const l = createAuditLedger(encodeDisclosure, node.keys);
    const rs = records(4, node);
    expect(l.add(rs[2]!)).toMatchObject({ verified: false, reason: expect.stringMatching(/links to a record not seen yet/) });
    expect(l.status()).toMatchObject({ verified: 0, waiting: 1 });
  });

  it('marks an altered record and everything linked after it unverified; the genuine record still verifies', () => {
    const node = makeNode();
    const l = createAuditLedger(encodeDisclosure, node.keys);
    const rs = records(3, node);
    l.add(rs[0]!);
    expect(l.add({ ...rs[1]!, caseReference: 'edited' })).toMatchObject({ verified: false, reason: expect.stringMatching(/seq 2: hash does not match the record \(altered\)/) });
    expect(l.add(rs[2]!)).toMatchObject({ verified: false, reason: expect.stringMatching(/seq 3 follows unverified record seq 2/), root: expect.stringMatching(/seq 2: hash does not match the record \(altered\)/) });
  });

  it('refuses records not signed by a trusted node key: unsigned, forged, or re-hashed by someone without the key', () => {
    const node = makeNode();
    const rs = records(2, node);
    const l = createAuditLedger(encodeDisclosure, node.keys);
    expect(l.add({ ...rs[0]!, signature: Buffer.alloc(0) })).toMatchObject({ verified: false, reason: expect.stringMatching(/signature does not verify/) });
    const stranger = makeNode();
    const rehashed = continuing(stranger, null, rs[0]!); // a valid chain record, but signed by another key claiming the node's id
    expect(createAuditLedger(encodeDisclosure, node.keys).add({ ...rehashed, signerKeyId: node.keyId })).toMatchObject({ verified: false });
  });

  it('links through records of a key it does not trust (another node\'s, or before a rotation) without vouching for them', () => {
    const [node, other] = [makeNode(), makeNode()];
    const l = createAuditLedger(encodeDisclosure, node.keys);
    const theirs = records(2, other); // the chain was begun by a node key this partner was not given
    const ours = continuing(node, theirs[1]!, { ...theirs[1]!, signerKeyId: node.keyId });
    expect(l.add(theirs[0]!)).toMatchObject({ verified: false, foreign: true, reason: expect.stringMatching(/not trusted here/) });
    l.add(theirs[1]!);
    expect(l.add(ours).verified).toBe(true);
    expect(l.status()).toMatchObject({ verified: 1, unverified: 2, lastProblem: null });
  });

  it('a record whose predecessor is missing never verifies; one published before its predecessor verifies when it arrives', () => {
    const node = makeNode();
    const removed = createAuditLedger(encodeDisclosure, node.keys);
    const rs = records(4, node);
    removed.add(rs[0]!);
    expect(removed.add(rs[2]!)).toMatchObject({ verified: false, reason: expect.stringMatching(/links to a record not seen yet/) });
    expect(removed.add(rs[3]!)).toMatchObject({ verified: false });
    expect(removed.find(rs[3]!.hash)).toBeUndefined();
    expect(removed.status()).toMatchObject({ verified: 1, waiting: 2 });
    const reordered = createAuditLedger(encodeDisclosure, node.keys);
    for (const i of [0, 3, 2, 1]) reordered.add(rs[i]!);
    expect(rs.map((r) => reordered.find(r.hash)?.verified)).toEqual([true, true, true, true]);
    expect(reordered.status()).toMatchObject({ verified: 4, waiting: 0 });
  });

  it('FLAGS a fork: the second record continuing a predecessor, and all after it, are not verified', () => {
    const node = makeNode();
    const l = createAuditLedger(encodeDisclosure, node.keys);
    const rs = records(3, node);
    for (const r of rs) l.add(r);
    const fork = continuing(node, rs[1]!, rs[2]!); // a second seq 3 after seq 2, signed by the node's own key
    expect(l.add(fork)).toMatchObject({ verified: false, reason: expect.stringMatching(/FLAGGED: the audit chain of GB forks after seq 2/) });
    expect(l.add(continuing(node, fork, rs[2]!))).toMatchObject({ verified: false, reason: expect.stringMatching(/follows unverified record seq 3/) });
    expect(kinds(l)).toEqual(['fork GB seq 3']);
    expect(l.find(rs[2]!.hash)?.verified).toBe(true); // the branch read first stays
  });

  it('FLAGS a new genesis of an audience (the chain restarted), never accepting it silently', () => {
    const node = makeNode();
    const l = createAuditLedger(encodeDisclosure, node.keys);
    const rs = records(2, node);
    for (const r of rs) l.add(r);
    const genesis = continuing(node, null, rs[0]!); // a tracer that lost its head starts again at seq 1, with the node's key
    const restart = [genesis, continuing(node, genesis, rs[1]!)];
    expect(l.add(restart[0]!)).toMatchObject({ verified: false, reason: expect.stringMatching(/FLAGGED: a second audit chain for GB starts at seq 1/) });
    expect(l.add(restart[1]!)).toMatchObject({ verified: false });
    expect(kinds(l)).toEqual(['new-genesis GB seq 1']);
    expect(l.add(records(1, node, 'FR')[0]!).verified).toBe(true); // another audience's first genesis is no restart
  });
});


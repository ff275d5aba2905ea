import { describe, expect, it } from 'vitest';
import { createAuditChain } from './audit-chain.ts';
import { createAuditLedger } from './audit-ledger.ts';
import { encodeDisclosure, fullUpdate, makeNode } from '../test-fixtures.ts';

const records = (n: number, node = makeNode()) => Array.from({ length: n }, (_, i) => node.publish(fullUpdate({ seq: i + 1 }), 'GB').record);
const texts = (l: ReturnType<typeof createAuditLedger>) => l.status().notes.map((n) => n.text);

describe('audit ledger', () => {
  it('verifies a chain from genesis and finds records by hash; a redelivered record is kept once', () => {
    const l = createAuditLedger(encodeDisclosure);
    const rs = records(3);
    for (const r of rs) expect(l.add(r).verified).toBe(true);
    expect(l.add(rs[1]!).verified).toBe(true);
    expect(l.find(rs[2]!.hash)?.record.auditSeq).toBe(3);
    expect(l.status()).toEqual({ records: 3, verified: 3, unverified: 0, waiting: 0, lastProblem: null, notes: [] });
  });

  it('anchors at the first record read when earlier ones are past retention, and says so', () => {
    const l = createAuditLedger(encodeDisclosure);
    const rs = records(4);
    expect(l.add(rs[2]!).verified).toBe(true);
    expect(l.add(rs[3]!).verified).toBe(true);
    expect(texts(l)).toEqual([expect.stringMatching(/read from seq 3/)]);
  });

  it('marks an altered record and everything linked after it unverified; the genuine record still verifies', () => {
    const l = createAuditLedger(encodeDisclosure);
    const rs = records(3);
    l.add(rs[0]!);
    expect(l.add({ ...rs[1]!, audience: 'FR' })).toMatchObject({ verified: false, reason: expect.stringMatching(/seq 2: hash does not match the record \(altered\)/) });
    expect(l.add(rs[2]!)).toMatchObject({ verified: false, reason: expect.stringMatching(/seq 3 follows unverified record seq 2/), root: expect.stringMatching(/seq 2: hash does not match the record \(altered\)/) });
    expect(l.add(rs[1]!).verified).toBe(true);
  });

  it('a record whose predecessor is missing never verifies; one published before its predecessor verifies when it arrives', () => {
    const removed = createAuditLedger(encodeDisclosure);
    const rs = records(4);
    removed.add(rs[0]!);
    expect(removed.add(rs[2]!)).toMatchObject({ verified: false, reason: expect.stringMatching(/links to a record not seen yet/) });
    expect(removed.add(rs[3]!)).toMatchObject({ verified: false });
    expect(removed.find(rs[3]!.hash)).toBeUndefined();
    expect(removed.status()).toMatchObject({ verified: 1, waiting: 2 });
    const reordered = createAuditLedger(encodeDisclosure);
    for (const i of [0, 3, 2, 1]) reordered.add(rs[i]!);
    expect(rs.map((r) => reordered.find(r.hash)?.verified)).toEqual([true, true, true, true]);
    expect(reordered.status()).toMatchObject({ verified: 4, waiting: 0 });
  });

  it('verifies interleaved chains of two nodes, a new genesis, and a fork, with notes', () => {
    const l = createAuditLedger(encodeDisclosure);
    const a = records(3);
    const b = records(2);
    for (const r of [a[0]!, b[0]!, a[1]!, b[1]!, a[2]!]) expect(l.add(r).verified).toBe(true);
    expect(texts(l)).toEqual([expect.stringMatching(/a new audit chain starts at seq 1/)]);
    const { auditSeq: _s, prevHash: _p, hash: _h, ...fields } = a[2]!;
    const fork = createAuditChain({ seq: 2, hash: a[1]!.hash }).append({ ...fields, disclosedAt: fields.disclosedAt + 1 }, encodeDisclosure);
    expect(l.add(fork).verified).toBe(true);
    expect(texts(l).at(-1)).toMatch(/forks after seq 2/);
  });
});

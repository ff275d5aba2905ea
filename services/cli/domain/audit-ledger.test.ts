import { describe, expect, it } from 'vitest';
import { createAuditChain } from '../../tracer/domain/audit-chain.ts';
import { createAuditLedger } from './audit-ledger.ts';
import { encodeDisclosure, fullUpdate, makeNode } from './test-fixtures.ts';

const records = (n: number, node = makeNode()) => Array.from({ length: n }, (_, i) => node.publish(fullUpdate({ seq: i + 1 }), 'GB').record);
const texts = (l: ReturnType<typeof createAuditLedger>) => l.status().notes.map((n) => n.text);

describe('audit ledger', () => {
  it('verifies a chain from genesis and finds records by hash; a redelivered record is kept once', () => {
    const l = createAuditLedger(encodeDisclosure);
    const rs = records(3);
    for (const r of rs) expect(l.add(r).verified).toBe(true);
    expect(l.add(rs[1]!).verified).toBe(true);
    expect(l.find(rs[2]!.hash)?.record.auditSeq).toBe(3);
    expect(l.status()).toMatchObject({ heads: { [rs[0]!.signerKeyId]: 3 }, broken: {}, notes: [], records: 3 });
  });

  it('anchors at the first record read when earlier ones are past retention, and says so', () => {
    const l = createAuditLedger(encodeDisclosure);
    const rs = records(4);
    expect(l.add(rs[2]!).verified).toBe(true);
    expect(l.add(rs[3]!).verified).toBe(true);
    expect(texts(l)).toEqual([expect.stringMatching(/read from seq 3/)]);
  });

  it('marks an altered record and everything after it unverified, until a new genesis', () => {
    const l = createAuditLedger(encodeDisclosure);
    const node = makeNode();
    const rs = records(3, node);
    l.add(rs[0]!);
    expect(l.add({ ...rs[1]!, audience: 'FR' })).toMatchObject({ verified: false, reason: expect.stringMatching(/altered/) });
    expect(l.add(rs[2]!)).toMatchObject({ verified: false, reason: expect.stringMatching(/broken earlier/) });
    expect(Object.keys(l.status().broken)).toEqual([node.keyId]);
    const { auditSeq: _s, prevHash: _p, hash: _h, ...fields } = rs[0]!;
    const genesis = createAuditChain().append({ ...fields, disclosedAt: fields.disclosedAt + 1 }, encodeDisclosure); // the node lost its audit head
    expect(l.add(genesis).verified).toBe(true);
    expect(texts(l).at(-1)).toMatch(/restarted at seq 1 after seq 1 \(was broken/);
  });

  it('detects a removed record (gap in auditSeq)', () => {
    const l = createAuditLedger(encodeDisclosure);
    const rs = records(3);
    l.add(rs[0]!);
    expect(l.add(rs[2]!)).toMatchObject({ verified: false, reason: expect.stringMatching(/expected auditSeq 2/) });
  });

  it('keeps one chain per publishing node: interleaved nodes both verify, a break in one leaves the other intact', () => {
    const l = createAuditLedger(encodeDisclosure);
    const a = records(3);
    const b = records(3);
    for (let i = 0; i < 3; i++) { expect(l.add(a[i]!).verified).toBe(true); if (i !== 1) l.add(b[i]!); }
    expect(Object.keys(l.status().broken)).toEqual([b[0]!.signerKeyId]);
    expect(l.find(a[2]!.hash)?.verified).toBe(true);
  });
});

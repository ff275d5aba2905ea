import { describe, expect, it } from 'vitest';
import { createAuditLedger } from './audit-ledger.ts';
import { checkUpdate } from './update-check.ts';
import { createUpdateVerifier } from './update-verifier.ts';
import { encodeDisclosure, encodeUpdate, fullUpdate, hop, makeNode } from '../test-fixtures.ts';

function setup() {
  const node = makeNode();
  const ledger = createAuditLedger(encodeDisclosure);
  const ctx = { audience: 'FR', keys: node.keys, encodeUpdate, findAudit: ledger.find };
  return { node, ledger, ctx };
}

describe('checkUpdate', () => {
  it('accepts a view signed by a trusted key whose audit record is in the verified chain', () => {
    const { node, ledger, ctx } = setup();
    const { signed, record } = node.publish(fullUpdate(), 'FR');
    ledger.add(record);
    expect(checkUpdate(signed, ctx)).toEqual({ kind: 'accepted' });
  });

  it('rejects a tampered view (any field changed after signing)', () => {
    const { node, ledger, ctx } = setup();
    const { signed, record } = node.publish(fullUpdate(), 'FR');
    ledger.add(record);
    const tampered = [
      { ...signed, update: { ...signed.update, caseReference: 'GB-NCA-2' } },
      { ...signed, update: { ...signed.update, hops: signed.update.hops.map((h) => ({ ...h, subscriberHandle: 'someone-else' })) } },
      { ...signed, update: { ...signed.update, status: 'CLOSED' as const } },
      { ...signed, signature: Buffer.from(signed.signature.map((b, i) => (i === 0 ? b ^ 1 : b))) },
    ];
    for (const t of tampered) expect(checkUpdate(t, ctx)).toMatchObject({ kind: 'rejected', code: 'bad-signature' });
  });

  it('rejects an update signed by an unknown key, and one claiming a trusted key id it was not signed with', () => {
    const { node, ledger, ctx } = setup();
    const forger = makeNode();
    const { signed, record } = forger.publish(fullUpdate(), 'FR');
    ledger.add(record);
    expect(checkUpdate(signed, ctx)).toMatchObject({ kind: 'rejected', code: 'unknown-key' });
    expect(checkUpdate({ ...signed, signerKeyId: node.keyId }, ctx)).toMatchObject({ kind: 'rejected', code: 'bad-signature' });
  });

  it('rejects a view made for another jurisdiction, though its signature is good', () => {
    const { node, ledger, ctx } = setup();
    const { signed, record } = node.publish(fullUpdate({ hops: [hop({ jurisdiction: 'DE' })] }), 'DE');
    ledger.add(record);
    expect(checkUpdate(signed, ctx)).toMatchObject({ kind: 'rejected', code: 'wrong-audience' });
  });

  it('waits for an audit record not seen yet, then accepts once it arrives', () => {
    const { node, ledger, ctx } = setup();
    const { signed, record } = node.publish(fullUpdate(), 'FR');
    expect(checkUpdate(signed, ctx)).toMatchObject({ kind: 'pending' });
    ledger.add(record);
    expect(checkUpdate(signed, ctx)).toEqual({ kind: 'accepted' });
  });

  it('rejects an update linked to the audit record of another disclosure', () => {
    const { node, ledger, ctx } = setup();
    const first = node.publish(fullUpdate(), 'FR');
    const second = node.publish(fullUpdate({ seq: 2 }), 'FR');
    const gb = node.publish(fullUpdate({ seq: 2 }), 'GB');
    [first, second, gb].forEach((p) => ledger.add(p.record));
    expect(checkUpdate({ ...second.signed, auditHash: first.record.hash }, ctx)).toMatchObject({ kind: 'rejected', code: 'audit-mismatch', reason: expect.stringMatching(/updateSeq 1.*updateDigest/) });
    expect(checkUpdate({ ...second.signed, auditHash: gb.record.hash }, ctx)).toMatchObject({ kind: 'rejected', code: 'audit-mismatch', reason: expect.stringMatching(/audience GB/) });
  });

  it('rejects an update whose audit record is not part of a verified chain', () => {
    const { node, ledger, ctx } = setup();
    const a = node.publish(fullUpdate(), 'FR');
    const b = node.publish(fullUpdate({ seq: 2 }), 'FR');
    ledger.add(a.record);
    ledger.add({ ...b.record, caseReference: 'edited' }); // the record was altered on the topic
    expect(checkUpdate(b.signed, ctx)).toMatchObject({ kind: 'rejected', code: 'audit-unverified' });
  });
});

describe('update verifier', () => {
  it('rejects an update whose audit record never comes, only once the audit topic is caught up and the grace has passed', () => {
    const { node, ledger } = setup();
    const v = createUpdateVerifier<string>({ keys: node.keys, encodeUpdate, findAudit: ledger.find, auditGraceMs: 5_000 });
    const { signed } = node.publish(fullUpdate(), 'FR');
    expect(v.submit('FR', signed, 1_000, 'off-1')).toBeNull();
    expect(v.recheck(60_000, false)).toEqual([]); // audit topic still being read
    expect(v.recheck(3_000, true)).toEqual([]); // within grace
    expect(v.recheck(6_000, true)).toMatchObject([{ ok: false, code: 'audit-missing', ref: 'off-1' }]);
    expect(v.waiting()).toBe(0);
  });

  it('accepts waiting updates when their audit records arrive, in arrival order', () => {
    const { node, ledger } = setup();
    const v = createUpdateVerifier<number>({ keys: node.keys, encodeUpdate, findAudit: ledger.find, auditGraceMs: 5_000 });
    const p1 = node.publish(fullUpdate(), 'FR');
    const p2 = node.publish(fullUpdate({ seq: 2 }), 'FR');
    expect(v.submit('FR', p1.signed, 0, 1)).toBeNull();
    expect(v.submit('FR', p2.signed, 0, 2)).toBeNull();
    ledger.add(p1.record);
    ledger.add(p2.record);
    expect(v.recheck(100, true).map((x) => [x.ok, x.ref])).toEqual([[true, 1], [true, 2]]);
  });
});

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { frame } from '../../common/wire-format.ts';
import { createAuditChain } from './audit-chain.ts';
import { createAuditLedger } from './audit-ledger.ts';
import { sign } from './signing.ts';
import { checkUpdate } from './update-check.ts';
import { createUpdateVerifier } from './update-verifier.ts';
import { encodeDisclosure, encodeUpdate, forged, fullUpdate, hop, makeNode, trustedKey, updateTypeWith } from '../test-fixtures.ts';

function setup() {
  const node = makeNode();
  const ledger = createAuditLedger(encodeDisclosure, node.keys);
  const ctx = { audience: 'FR', keys: node.keys, findAudit: ledger.find };
  return { node, ledger, ctx };
}

describe('checkUpdate', () => {
  it('accepts a view signed by a trusted key whose audit record is in the verified chain', () => {
    const { node, ledger, ctx } = setup();
    const { signed, record } = node.publish(fullUpdate(), 'FR');
    ledger.add(record);
    expect(checkUpdate(signed, ctx)).toEqual({ kind: 'accepted' });
  });

  it('rejects a forged view (any field changed after signing) and altered signed bytes or signature', () => {
    const { node, ledger, ctx } = setup();
    const { signed, record } = node.publish(fullUpdate(), 'FR');
    ledger.add(record);
    const tampered = [
      forged(signed, { caseReference: 'GB-NCA-2' }),
      forged(signed, { hops: signed.update.hops.map((h) => ({ ...h, subscriberHandle: 'someone-else' })) }),
      forged(signed, { status: 'CLOSED' }),
      { ...signed, signedBytes: Buffer.from(signed.signedBytes.map((b, i) => (i === signed.signedBytes.length - 1 ? b ^ 1 : b))) },
      { ...signed, signature: Buffer.from(signed.signature.map((b, i) => (i === 0 ? b ^ 1 : b))) },
    ];
    for (const t of tampered) expect(checkUpdate(t, ctx)).toMatchObject({ kind: 'rejected', code: 'bad-signature' });
  });

  it('rejects an update without signed bytes, or whose signed bytes do not decode, as malformed', () => {
    const { node, ledger, ctx } = setup();
    const { signed, record } = node.publish(fullUpdate(), 'FR');
    ledger.add(record);
    expect(checkUpdate({ ...signed, signedBytes: Buffer.alloc(0) }, ctx)).toMatchObject({ kind: 'rejected', code: 'malformed' });
    expect(checkUpdate({ ...signed, viewProblem: 'truncated' } as typeof signed, ctx)).toMatchObject({ kind: 'rejected', code: 'malformed', reason: 'truncated' });
  });

  it('verifies over the bytes carried, so a view written under an evolved TraceUpdate schema still verifies', () => {
    const { node, ledger, ctx } = setup();
    // a later schema adds a field with a default (as a path confidence would): the node signs
    // those bytes; re-encoding the decoded view under this reader's schema gives other bytes
    const evolved = updateTypeWith([{ name: 'pathConfidence', type: 'double', default: 0 }]);
    const { signed: plain } = node.publish(fullUpdate(), 'FR'); // its record is not added: the one below records the evolved bytes
    const bytes = frame(9, evolved.toBuffer({ ...plain.update, pathConfidence: 0.75 }));
    expect(encodeUpdate(plain.update).equals(bytes.subarray(5))).toBe(false);
    const record = createAuditChain().append({
      traceId: 't1', updateSeq: 1, audience: 'FR', legalBasis: plain.update.legalBasis, caseReference: plain.update.caseReference, hopIds: [], subscriberHandles: 0,
      updateDigest: createHash('sha256').update(bytes).digest(), disclosedAt: plain.update.publishedAt, signerKeyId: node.keyId,
    }, encodeDisclosure, (h) => sign(h, node.privateKey));
    expect(ledger.add(record).verified).toBe(true);
    expect(checkUpdate({ ...plain, signature: sign(bytes, node.privateKey), signedBytes: bytes, auditHash: record.hash }, ctx)).toEqual({ kind: 'accepted' });
  });

  it('rejects an update signed by an unknown key, and one claiming a trusted key id it was not signed with', () => {
    const { node, ledger, ctx } = setup();
    const forger = makeNode();
    const { signed, record } = forger.publish(fullUpdate(), 'FR');
    ledger.add(record);
    expect(checkUpdate(signed, ctx)).toMatchObject({ kind: 'rejected', code: 'unknown-key' });
    expect(checkUpdate({ ...signed, signerKeyId: node.keyId }, ctx)).toMatchObject({ kind: 'rejected', code: 'bad-signature' });
  });

  it('after a rotation: the old key verifies what it signed before its validity ended, nothing published after', () => {
    const { node, ledger } = setup();
    const key = node.keys.get(node.keyId)!;
    const rotatedAt = 1_700_000_000_000;
    const keys = new Map([[node.keyId, trustedKey(key.key, null, rotatedAt)]]);
    const before = node.publish(fullUpdate({ publishedAt: rotatedAt - 1 }), 'FR');
    const after = node.publish(fullUpdate({ seq: 2, publishedAt: rotatedAt }), 'FR');
    ledger.add(before.record);
    ledger.add(after.record);
    const ctx = { audience: 'FR', keys, findAudit: ledger.find };
    expect(checkUpdate(before.signed, ctx)).toEqual({ kind: 'accepted' });
    expect(checkUpdate(after.signed, ctx)).toMatchObject({ kind: 'rejected', code: 'key-not-valid' });
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
    const v = createUpdateVerifier<string>({ keys: node.keys, findAudit: ledger.find, auditGraceMs: 5_000 });
    const { signed } = node.publish(fullUpdate(), 'FR');
    expect(v.submit('FR', signed, 1_000, 'off-1')).toBeNull();
    expect(v.recheck(60_000, false)).toEqual([]); // audit topic still being read
    expect(v.recheck(3_000, true)).toEqual([]); // within grace
    expect(v.recheck(6_000, true)).toMatchObject([{ ok: false, code: 'audit-missing', ref: 'off-1' }]);
    expect(v.waiting()).toBe(0);
  });

  it('accepts waiting updates when their audit records arrive, in arrival order', () => {
    const { node, ledger } = setup();
    const v = createUpdateVerifier<number>({ keys: node.keys, findAudit: ledger.find, auditGraceMs: 5_000 });
    const p1 = node.publish(fullUpdate(), 'FR');
    const p2 = node.publish(fullUpdate({ seq: 2 }), 'FR');
    expect(v.submit('FR', p1.signed, 0, 1)).toBeNull();
    expect(v.submit('FR', p2.signed, 0, 2)).toBeNull();
    ledger.add(p1.record);
    ledger.add(p2.record);
    expect(v.recheck(100, true).map((x) => [x.ok, x.ref])).toEqual([[true, 1], [true, 2]]);
  });

  it('rejects a replayed update: an older seq of a trace after a newer one was verified; the same seq again is no replay', () => {
    const { node, ledger } = setup();
    const v = createUpdateVerifier<string>({ keys: node.keys, findAudit: ledger.find, auditGraceMs: 5_000 });
    const p1 = node.publish(fullUpdate(), 'FR');
    const p2 = node.publish(fullUpdate({ seq: 2 }), 'FR');
    const again = node.publish(fullUpdate({ seq: 2, publishedAt: 1_700_000_000_500 }), 'FR'); // a tracer restarted between publish and save
    for (const p of [p1, p2, again]) ledger.add(p.record);
    expect(v.submit('FR', p1.signed, 0, 'a')).toMatchObject({ ok: true });
    expect(v.submit('FR', p2.signed, 0, 'b')).toMatchObject({ ok: true });
    expect(v.submit('FR', p1.signed, 0, 'c')).toMatchObject({ ok: false, code: 'replayed', reason: expect.stringMatching(/seq 1 after seq 2/) });
    expect(v.submit('FR', again.signed, 0, 'd')).toMatchObject({ ok: true });
    expect(v.submit('FR', node.publish(fullUpdate({ traceId: 't2' }), 'FR').signed, 0, 'e')).toBeNull(); // another trace: its own order
  });
});

// A key that was rotated out (validUntil in the trust file) must not be able to extend the
// audit chain or sign an update that verifies, whatever publishedAt / disclosedAt it claims.
// (From the security review's failing test, made a unit test here.)
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { TraceUpdate } from '../../schemas/types.gen.ts';
import { createAuditChain } from './domain/audit-chain.ts';
import { createAuditLedger } from './domain/audit-ledger.ts';
import { keyIdOf, sign } from './domain/signing.ts';
import { createUpdateVerifier } from './domain/update-verifier.ts';
import { encodeDisclosure, framedUpdate, fullUpdate, trustedKey, viewFor } from './test-fixtures.ts';

const ROTATED_AT = 1_700_000_000_000;

/** k1 signed until ROTATED_AT, k2 since; one FR chain, its ledger and a verifier. `publish`
 *  appends a record dated `disclosedAt` (default: the update's publishedAt) signed by `priv`. */
function rotated() {
  const k1 = generateKeyPairSync('ed25519'); // old key, rotated out at ROTATED_AT (leaked later)
  const k2 = generateKeyPairSync('ed25519'); // current key
  const id1 = keyIdOf(k1.publicKey); const id2 = keyIdOf(k2.publicKey);
  const keys = new Map([[id1, trustedKey(k1.publicKey, null, ROTATED_AT)], [id2, trustedKey(k2.publicKey, ROTATED_AT, null)]]);
  const chain = createAuditChain();
  const ledger = createAuditLedger(encodeDisclosure, keys);
  const verifier = createUpdateVerifier<string>({ keys, findAudit: ledger.find, auditGraceMs: 0 });
  const publish = (full: TraceUpdate, key: 'k1' | 'k2', disclosedAt = full.publishedAt) => {
    const [priv, keyId]: [KeyObject, string] = key === 'k1' ? [k1.privateKey, id1] : [k2.privateKey, id2];
    const view = viewFor(full, 'FR');
    const bytes = framedUpdate(view);
    const rec = chain.append({ traceId: full.traceId, updateSeq: full.seq, audience: 'FR', legalBasis: full.legalBasis, caseReference: full.caseReference,
      hopIds: view.hops.map((h) => h.hopId), subscriberHandles: 0, updateDigest: createHash('sha256').update(bytes).digest(), disclosedAt, signerKeyId: keyId },
    encodeDisclosure, (h) => sign(h, priv));
    const entry = ledger.add(rec);
    return { rec, entry, signed: { update: view, signerKeyId: keyId, signature: sign(bytes, priv), auditHash: rec.hash, signedBytes: bytes } };
  };
  return { ledger, verifier, publish };
}

describe('retired (rotated-out) key', () => {
  it('cannot append an audit record after its validity ends, nor get a back-dated update VERIFIED', () => {
    const { ledger, verifier, publish } = rotated();
    // honest history: seq 1 under k1 before rotation, seq 2 under k2 after it
    const a = publish(fullUpdate({ seq: 1, publishedAt: ROTATED_AT - 60_000 }), 'k1');
    expect(verifier.submit('FR', a.signed, 0, 'a')).toMatchObject({ ok: true });
    const b = publish(fullUpdate({ seq: 2, publishedAt: ROTATED_AT + 60_000 }), 'k2');
    expect(verifier.submit('FR', b.signed, 0, 'b')).toMatchObject({ ok: true });
    // a week later, whoever holds the retired k1 appends seq 3 (back-dated) with a forged view
    const later = ROTATED_AT + 7 * 86_400_000;
    const f = publish(fullUpdate({ seq: 3, status: 'CLOSED', caseReference: 'FORGED', publishedAt: ROTATED_AT - 1 }), 'k1', later);
    expect(ledger.find(f.rec.hash), 'audit record signed by a key outside its validity').toMatchObject({ verified: false, reason: expect.stringContaining('retired key') });
    expect(verifier.submit('FR', f.signed, 0, 'f')).toMatchObject({ ok: false });
  });

  it('cannot back-date a record into its period once a newer record exists', () => {
    const { verifier, publish } = rotated();
    const b = publish(fullUpdate({ seq: 1, publishedAt: ROTATED_AT + 60_000 }), 'k2');
    expect(verifier.submit('FR', b.signed, 0, 'b')).toMatchObject({ ok: true });
    // the retired key's holder dates record and update inside its period: the chain's time goes backwards
    const f = publish(fullUpdate({ seq: 2, caseReference: 'FORGED', publishedAt: ROTATED_AT - 1 }), 'k1');
    expect(f.entry).toMatchObject({ verified: false, reason: expect.stringContaining('back-dated') });
    expect(verifier.submit('FR', f.signed, 0, 'f')).toMatchObject({ ok: false, code: 'audit-unverified' });
  });

  it('an audit record dated apart from its update\'s publishedAt does not vouch for it', () => {
    const { verifier, publish } = rotated();
    const b = publish(fullUpdate({ seq: 1, publishedAt: ROTATED_AT + 120_000 }), 'k2', ROTATED_AT + 60_000);
    expect(b.entry).toMatchObject({ verified: true });
    expect(verifier.submit('FR', b.signed, 0, 'b')).toMatchObject({ ok: false, code: 'audit-mismatch', reason: expect.stringContaining('disclosedAt') });
  });

  it('refuses an update of a trace published earlier than one accepted', () => {
    const { verifier, publish } = rotated();
    const submit = (seq: number, at: number) => verifier.submit('FR', publish(fullUpdate({ seq, publishedAt: at }), 'k2').signed, 0, String(seq));
    expect(submit(1, ROTATED_AT)).toMatchObject({ ok: true });
    expect(submit(2, ROTATED_AT)).toMatchObject({ ok: true });
    expect(submit(3, ROTATED_AT - 1)).toMatchObject({ ok: false });
  });
});

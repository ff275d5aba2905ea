// Audit records are hashed over their Avro encoding with the WRITER's schema; a reader whose
// Disclosure schema differs (the registry resolves to the reader's) must still verify them.
// The TS ledger used to re-encode with its own compiled schema, so one added field (with a
// default: a compatible evolution) made every record "altered" and every update REJECTED
// (security review defect 5; clients/python/verify_feed.py hashes under the writer schema).
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { loadSchemas } from '../../schemas/catalog.ts';
import type { Disclosure } from '../../schemas/types.gen.ts';
import { createAuditChain } from './domain/audit-chain.ts';
import { createAuditLedger } from './domain/audit-ledger.ts';
import { sign } from './domain/signing.ts';
import { disclosureType, encodeDisclosure, makeNode } from './test-fixtures.ts';
import { hashedBytes } from './written-disclosure.ts';

const base = loadSchemas().get('Disclosure') as { fields: unknown[] };
const v2 = avro.Type.forSchema({ ...base, fields: [...base.fields, { name: 'note', type: 'string', default: '' }] } as avro.Schema);
const fields = (keyId: string) => ({
  traceId: 't1', updateSeq: 1, audience: 'FR', legalBasis: 'ART33_REALTIME_TRAFFIC' as const, caseReference: 'GB-1', hopIds: ['h1'], subscriberHandles: 0,
  updateDigest: Buffer.alloc(32, 7), disclosedAt: 1, signerKeyId: keyId,
});

describe('audit ledger and Disclosure schema evolution', () => {
  it('verifies a record written under a newer Disclosure schema (one optional field added), hashed as written', () => {
    const node = makeNode();
    const rec = createAuditChain().append({ ...fields(node.keyId), note: 'v2' } as never, (d) => v2.toBuffer(d), (h) => sign(h, node.privateKey));
    const body = v2.toBuffer(rec); // the value's Avro body as the node wrote it (frame stripped)
    // what registry.decode gives a v1 reader: the v2 bytes resolved to v1
    const asRead = disclosureType.fromBuffer(body, disclosureType.createResolver(v2)) as Disclosure;
    expect(createAuditLedger(encodeDisclosure, node.keys).add(asRead), 're-encoded under the reader schema').toMatchObject({ verified: false, reason: expect.stringContaining('altered') });
    expect(createAuditLedger(encodeDisclosure, node.keys).add(asRead, hashedBytes(v2, body))).toMatchObject({ verified: true });
    // a field this reader does not know is still covered by the hash
    const altered = v2.toBuffer({ ...rec, note: 'v3' });
    expect(createAuditLedger(encodeDisclosure, node.keys).add(asRead, hashedBytes(v2, altered))).toMatchObject({ verified: false });
  });

  it('gives the very bytes the tracer hashes for a record of the same schema', () => {
    const node = makeNode();
    const rec = createAuditChain().append(fields(node.keyId), encodeDisclosure, (h) => sign(h, node.privateKey));
    expect(hashedBytes(disclosureType, encodeDisclosure(rec)).equals(encodeDisclosure({ ...rec, hash: Buffer.alloc(0), signature: Buffer.alloc(0) }))).toBe(true);
    expect(createAuditLedger(encodeDisclosure, node.keys).add(rec, hashedBytes(disclosureType, encodeDisclosure(rec)))).toMatchObject({ verified: true });
  });

  it('refuses a body that is cut short or has bytes after its last field, and a writer that is not a Disclosure', () => {
    const node = makeNode();
    const body = encodeDisclosure(createAuditChain().append(fields(node.keyId), encodeDisclosure));
    expect(() => hashedBytes(disclosureType, body.subarray(0, body.length - 3))).toThrow(/ends early/);
    expect(() => hashedBytes(disclosureType, Buffer.concat([body, Buffer.of(0)]))).toThrow(/after its last field/);
    expect(() => hashedBytes(avro.Type.forSchema({ type: 'record', name: 'X', fields: [{ name: 'a', type: 'int' }] }), Buffer.of(2))).toThrow(/not a Disclosure/);
  });
});

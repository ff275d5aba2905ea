// The publisher's dating of disclosures and its key-rotation records, against a producer, admin
// and registry held in memory (the transaction itself is test/publisher-transaction's, on the
// real broker). A disclosure is dated when it is made (the publisher's clock): never before its
// audit chain's head (partners refuse a back-dated record), and never moved forward to a head
// dated after the clock (one record's clock must not move every later date).
import { generateKeyPairSync } from 'node:crypto';
import avro from 'avsc';
import type { Admin, Producer } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { loadSchemas } from '../../schemas/catalog.ts';
import type { Disclosure, SignedTraceUpdate, TraceUpdate } from '../../schemas/types.gen.ts';
import type { RegistryClient } from '../common/registry.ts';
import { TOPICS, auditTopic, jurisdictionTopic } from '../common/topics.ts';
import { createAuditLedger } from '../partner/domain/audit-ledger.ts';
import { createAuditChain, isRotationRecord } from '../partner/domain/audit-chain.ts';
import { keyIdOf, sign } from '../partner/domain/signing.ts';
import type { AuditHead } from './audit-head.ts';
import { H, dir, runHops } from './domain/four-jurisdictions.fixture.ts';
import { createTracerMetrics } from './metrics.ts';
import { createPublisher } from './publisher.ts';

const disclosureType = avro.Type.forSchema(loadSchemas().get('Disclosure') as avro.Schema);
const HOUR = 3_600_000;

/** A stack in memory: what was committed, per topic (records as the publisher handed them to encode). */
function memoryStack(heads: Record<string, AuditHead> = {}) {
  const topics = new Set<string>(Object.keys(heads));
  const committed: { topic: string; record: unknown }[] = [];
  const encoded = new Map<Buffer, { topic: string; record: unknown }>();
  const registry = {
    ensureSubjects: async () => undefined,
    encode: (topic: string, record: unknown) => { const b = Buffer.from(`${encoded.size}`); encoded.set(b, { topic, record }); return b; },
    typeOf: () => disclosureType,
  } as unknown as RegistryClient;
  const admin = {
    listTopics: async () => [...topics],
    createTopics: async ({ topics: t }: { topics: { topic: string }[] }) => { t.forEach((x) => topics.add(x.topic)); return true; },
  } as unknown as Admin;
  const producer = {
    transaction: async () => {
      const pending: Buffer[] = [];
      return {
        sendBatch: async ({ topicMessages }: { topicMessages: { topic: string; messages: { value: Buffer }[] }[] }) => {
          for (const t of topicMessages) pending.push(...t.messages.map((m) => m.value));
        },
        commit: async () => { committed.push(...pending.map((b) => encoded.get(b)!)); },
        abort: async () => undefined,
      };
    },
    disconnect: async () => undefined,
  } as unknown as Producer;
  const readHead = async (topic: string): Promise<AuditHead | undefined> => {
    const own = committed.filter((c) => c.topic === topic).map((c) => c.record as Disclosure).at(-1);
    return own ? { seq: own.auditSeq, hash: own.hash, at: own.disclosedAt, signerKeyId: own.signerKeyId } : heads[topic];
  };
  const records = (topic: string) => committed.filter((c) => c.topic === topic).map((c) => c.record);
  return { registry, admin, producer, readHead, topics, records, audit: (cc: string) => records(auditTopic(cc)) as Disclosure[], views: (cc: string) => records(jurisdictionTopic(cc)) as SignedTraceUpdate[] };
}

function node() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey, publicKey, keyId: keyIdOf(publicKey) };
}

/** Updates of a fixture trace (GB requests, FR hops), made by an engine whose clock is `madeAt`. */
const gbFrUpdates = (traceId: string, madeAt: number): TraceUpdate[] =>
  runHops([H.pb, H.fr]).updates.map((u) => ({ ...u, traceId, publishedAt: madeAt, hops: u.hops.map((h) => ({ ...h, traceId })) }));
/** An update whose only audience is the requester (GB): no hops, nothing awaited. */
const gbOnly = (traceId: string, madeAt: number): TraceUpdate => ({ ...gbFrUpdates(traceId, madeAt)[0]!, hops: [], awaiting: [] });

async function publisherOn(s: ReturnType<typeof memoryStack>, o: { now: () => number; key?: ReturnType<typeof node>; retiredKeyIds?: string[] }) {
  const key = o.key ?? node();
  return createPublisher({
    newProducer: async () => s.producer, readHead: s.readHead, admin: s.admin, registry: s.registry, directory: dir,
    key, metrics: createTracerMetrics(), now: o.now, retiredKeyIds: o.retiredKeyIds ?? [],
  });
}

describe('dating a disclosure', () => {
  it('one record dated in the future does not date every later disclosure forward (the suite failure of redis-lost)', async () => {
    const now = Date.now();
    // a test with a fixed clock left FR's chain with a head dated an hour ahead
    const future = node();
    const s = memoryStack({ [auditTopic('FR')]: { seq: 7, hash: Buffer.alloc(32, 1), at: now + HOUR, signerKeyId: future.keyId } });
    const publisher = await publisherOn(s, { now: () => now });
    // a disclosure to FR (and GB) now, then one to GB only
    const toFr = await publisher.publish(gbFrUpdates('t-fr', now)).then(() => 'published', (e: Error) => e.message);
    await publisher.publish([gbOnly('t-gb', now)]);
    // GB's chain is not moved by FR's future head: its disclosure is dated now, not an hour ahead
    expect(s.audit('GB').at(-1)!.disclosedAt - now).toBe(0);
    expect(s.views('GB').at(-1)!.update.publishedAt - now).toBe(0);
    // the disclosure to FR would be dated before FR's head: refused (nothing of that publish written), not dated forward
    expect(toFr).toMatch(/behind/);
    expect(s.audit('FR')).toHaveLength(0);
    expect(s.audit('GB')).toHaveLength(1);
    expect(publisher.health(now).publisher).toBe('ok');
  });

  it('dates every disclosure of a publish at the publisher\'s clock, not at the engine\'s times (the fixture\'s are in 2027)', async () => {
    const now = Date.now();
    const s = memoryStack();
    const publisher = await publisherOn(s, { now: () => now });
    const updates = gbFrUpdates('t-1', 1_800_000_000_000);
    await publisher.publish(updates);
    expect(s.audit('GB').map((r) => r.disclosedAt)).toEqual([now, now]);
    expect(s.audit('FR').map((r) => r.disclosedAt)).toEqual([now, now]);
    expect(s.views('FR').map((v) => v.update.publishedAt)).toEqual([now, now]); // disclosedAt = the view's publishedAt
    expect(new Set((s.records(TOPICS.traceUpdates) as TraceUpdate[]).map((u) => u.publishedAt))).toEqual(new Set([now]));
  });

  it('waits out a clock a little behind its chain (a step back of the clock), then dates after the head', async () => {
    let skew = 0;
    const s = memoryStack();
    const publisher = await publisherOn(s, { now: () => Date.now() - skew });
    await publisher.publish([gbOnly('t-a', Date.now())]);
    skew = 300; // the clock stepped back 300 ms
    await publisher.publish([gbOnly('t-b', Date.now())]);
    const dates = s.audit('GB').map((r) => r.disclosedAt);
    expect(dates).toHaveLength(2);
    expect(dates[1]).toBeGreaterThanOrEqual(dates[0]!);
  });

  it('never writes a back-dated record: with the clock far behind its chain the publish fails and the tracer is unhealthy', async () => {
    const t0 = Date.now();
    let now = t0;
    const s = memoryStack();
    const publisher = await publisherOn(s, { now: () => now });
    await publisher.publish([gbOnly('t-a', now)]);
    now -= HOUR;
    await expect(publisher.publish([gbOnly('t-b', now)])).rejects.toMatchObject({ code: 'CT_AUDIT_CLOCK_BEHIND', retriable: true });
    expect(s.audit('GB')).toHaveLength(1);
    expect(publisher.health(Date.now() + 60_000).ok).toBe(false);
    now += HOUR + 1; // the clock is right again
    await publisher.publish([gbOnly('t-b', now)]);
    expect(s.audit('GB').map((r) => r.disclosedAt)).toEqual([t0, t0 + 1]);
  });
});

describe('key rotation', () => {
  /** FR and DE chains with heads the old key signed before the rotation at `rotatedAt`. */
  function rotatedStack(rotatedAt: number) {
    const old = node();
    const fresh = node();
    const heads = Object.fromEntries(['FR', 'DE'].map((cc) => [auditTopic(cc), { seq: 3, hash: Buffer.alloc(32, cc.charCodeAt(0)), at: rotatedAt - HOUR, signerKeyId: old.keyId }]));
    return { old, fresh, s: memoryStack(heads) };
  }

  it('at start, the new key writes a rotation record to every chain whose head a retired key signed, so the retired key cannot back-date into one', async () => {
    const rotatedAt = Date.now() - 60_000;
    const { old, fresh, s } = rotatedStack(rotatedAt);
    const now = Date.now();
    const publisher = await publisherOn(s, { now: () => now, key: fresh, retiredKeyIds: [old.keyId] });
    expect((await publisher.sealChains()).sort()).toEqual(['DE', 'FR']);
    for (const cc of ['FR', 'DE']) {
      const [r] = s.audit(cc);
      expect(r).toMatchObject({ auditSeq: 4, signerKeyId: fresh.keyId, disclosedAt: now, audience: cc });
      expect(isRotationRecord(r!)).toBe(true);
      expect(r!.caseReference).toContain(old.keyId);
    }
    expect(await publisher.sealChains()).toEqual([]); // once: the heads are the new key's now
  });

  it('a retired key appending to a sealed chain is refused by the partner\'s ledger (dated in its period after the seal: back-dated; continuing the old head: a fork); unsealed, it was accepted', async () => {
    const rotatedAt = Date.now() - 60_000;
    const old = node();
    const fresh = node();
    const keys = new Map([
      [old.keyId, { key: old.publicKey, keyId: old.keyId, validFrom: null, validUntil: rotatedAt }],
      [fresh.keyId, { key: fresh.publicKey, keyId: fresh.keyId, validFrom: rotatedAt, validUntil: null }],
    ]);
    const encode = (d: Disclosure): Buffer => disclosureType.toBuffer(d);
    const signer = (k: ReturnType<typeof node>) => (h: Buffer) => Buffer.from(sign(h, k.privateKey));
    const fields = (disclosedAt: number, signerKeyId: string) => ({
      traceId: 't-x', updateSeq: 1, audience: 'FR', legalBasis: 'ART33_REALTIME_TRAFFIC' as const, caseReference: 'C', hopIds: [], subscriberHandles: 0,
      updateDigest: Buffer.alloc(32), disclosedAt, signerKeyId,
    });
    // the old key's last honest record, before the rotation
    const pre = createAuditChain().append(fields(rotatedAt - HOUR, old.keyId), encode, signer(old));
    const forged = { ...fields(rotatedAt - 1, old.keyId), traceId: 't-forged', caseReference: 'FORGED' };
    // the gap: no record since the rotation, so the retired key appends one dated inside its period
    const open = createAuditLedger(encode, keys);
    open.add(pre);
    expect(open.add(createAuditChain({ seq: pre.auditSeq, hash: pre.hash }).append(forged, encode, signer(old)))).toMatchObject({ verified: true });
    // sealed: the new key's rotation record follows the old head
    const s = memoryStack({ [auditTopic('FR')]: { seq: pre.auditSeq, hash: pre.hash, at: pre.disclosedAt, signerKeyId: old.keyId } });
    const now = Date.now();
    const publisher = await publisherOn(s, { now: () => now, key: fresh, retiredKeyIds: [old.keyId] });
    await publisher.sealChains();
    const [seal] = s.audit('FR');
    const ledger = createAuditLedger(encode, keys);
    ledger.add(pre);
    expect(ledger.add(seal!)).toMatchObject({ verified: true });
    expect(ledger.add(createAuditChain({ seq: seal!.auditSeq, hash: seal!.hash }).append(forged, encode, signer(old))))
      .toMatchObject({ verified: false, reason: expect.stringContaining('back-dated') });
    expect(ledger.add(createAuditChain({ seq: pre.auditSeq, hash: pre.hash }).append(forged, encode, signer(old))))
      .toMatchObject({ verified: false, reason: expect.stringContaining('FLAGGED') });
    expect(ledger.status().flags.map((f) => f.kind)).toEqual(['fork']);
  });

  it('a chain first touched by a disclosure gets its rotation record in the same publish, before the disclosure', async () => {
    const rotatedAt = Date.now() - 60_000;
    const { old, fresh, s } = rotatedStack(rotatedAt);
    const now = Date.now();
    const publisher = await publisherOn(s, { now: () => now, key: fresh, retiredKeyIds: [old.keyId] });
    await publisher.publish(gbFrUpdates('t-1', now));
    const fr = s.audit('FR');
    expect(fr.map((r) => [r.auditSeq, isRotationRecord(r)])).toEqual([[4, true], [5, false], [6, false]]);
    expect(s.audit('GB').some(isRotationRecord)).toBe(false); // a new chain: nothing of the old key to end
  });
});

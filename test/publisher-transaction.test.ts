// The tracer's publish is one Kafka transaction on the real broker: a produce that fails after
// its records reached the broker is aborted, so a consumer (kafkajs reads committed records
// only) never sees them, and the publish made again appends the audit chain once — no
// duplicate views, no fork.
import { generateKeyPairSync } from 'node:crypto';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Disclosure, SignedTraceUpdate, TraceUpdate } from '../schemas/types.gen.ts';
import { createKafka, createTransactionalProducer, ensureTopics } from '../services/common/kafka.ts';
import { resolveKafkaSecurity } from '../services/common/kafka-security.ts';
import { createLogger } from '../services/common/logger.ts';
import { createRegistryClient, type RegistryClient } from '../services/common/registry.ts';
import { TOPICS, jurisdictionTopic } from '../services/common/topics.ts';
import { H, dir, runHops } from '../services/tracer/domain/four-jurisdictions.fixture.ts';
import { createTracerMetrics } from '../services/tracer/metrics.ts';
import { readAuditHead } from '../services/tracer/audit-head.ts';
import { createPublisher } from '../services/tracer/publisher.ts';
import { stackEndpoints } from './support/stack.ts';
import { uniqueGroup } from './support/services.ts';

/** Every record of `topic` keyed `key`, read committed, until the topic is idle for 3 s. */
/** Each audience's records (one chain per audience) in order: no seq twice (a fork), no gap, each linked to the one before. */
function expectUnforkedChains(audit: Disclosure[]): void {
  for (const cc of new Set(audit.map((d) => d.audience))) {
    const chain = audit.filter((d) => d.audience === cc);
    const seqs = chain.map((d) => d.auditSeq);
    expect(new Set(seqs).size, `${cc} audit seqs ${seqs.join(',')}: a seq twice is a fork`).toBe(seqs.length);
    for (let i = 1; i < chain.length; i++) {
      expect(chain[i]!.auditSeq).toBe(chain[i - 1]!.auditSeq + 1);
      expect(chain[i]!.prevHash.equals(chain[i - 1]!.hash)).toBe(true);
    }
  }
}

async function recordsFor(kafka: Kafka, registry: RegistryClient, topic: string, key: string): Promise<unknown[]> {
  const out: unknown[] = [];
  const c = kafka.consumer({ groupId: uniqueGroup('tx-reader') });
  await c.connect();
  await c.subscribe({ topic, fromBeginning: true });
  let last = Date.now();
  await c.run({ eachMessage: async ({ message }) => {
    last = Date.now();
    if (message.key?.toString() === key && message.value) out.push(await registry.decode(topic, message.value));
  } });
  while (Date.now() - last < 3000) await new Promise((r) => setTimeout(r, 250));
  await c.disconnect();
  return out;
}

describe('publishing trace updates as Kafka transactions', () => {
  let kafka: Kafka;
  let registry: RegistryClient;
  const producers: Producer[] = [];
  let admin: Admin;
  beforeAll(async () => {
    const stack = stackEndpoints();
    kafka = createKafka({ brokers: stack.kafkaBrokers, clientId: 'tx-test', logger: createLogger('test', 'silent'),
      security: resolveKafkaSecurity({ KAFKA_CLIENT_PROPERTIES: stack.kafkaClientProperties ?? '' }) });
    registry = createRegistryClient({ url: stack.schemaRegistryUrl });
    admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [{ topic: TOPICS.traceUpdates, numPartitions: 3 }, { topic: TOPICS.traceState, numPartitions: 3, compacted: true }, { topic: TOPICS.audit, numPartitions: 1 }]);
  });
  afterAll(async () => {
    for (const p of producers) await p.disconnect().catch(() => undefined);
    await admin.disconnect();
  });
  const { privateKey } = generateKeyPairSync('ed25519');
  const publisherWith = (newProducer: () => Promise<Producer>) => createPublisher({
    newProducer, readHead: (topic) => readAuditHead({ kafka, admin, registry, topic }), admin, registry, directory: dir,
    key: { privateKey, keyId: 'tx-test-key' }, metrics: createTracerMetrics(),
  });
  type Tx = Awaited<ReturnType<Producer['transaction']>>;
  /** A producer factory like the tracer's (one transactional id): the first producer's first
   *  transaction goes through `fault`; producers made after a failure are plain. */
  function producerFactory(fault: (tx: Tx) => Tx) {
    const txId = uniqueGroup('tx-pub');
    let made = 0;
    const factory = async (): Promise<Producer> => {
      const real = await createTransactionalProducer(kafka, txId);
      producers.push(real);
      if (made++ > 0) return real;
      let first = true;
      return { ...real, transaction: async () => { const tx = await real.transaction(); if (!first) return tx; first = false; return fault(tx); } } as Producer;
    };
    return Object.assign(factory, { made: () => made });
  }
  // This file's own audiences (user-assigned ISO codes: no real jurisdiction), so its chains are
  // shared with no other test on the stack: the fixture's GB requester and FR hops become QG and QF.
  const AS: Record<string, string> = { GB: 'QG', FR: 'QF' };
  const traceUpdates = (traceId: string): TraceUpdate[] =>
    runHops([H.pb, H.fr]).updates.map((u) => ({ ...u, traceId, requestingJurisdiction: AS[u.requestingJurisdiction]!,
      hops: u.hops.map((h) => ({ ...h, traceId, jurisdiction: AS[h.jurisdiction]! })), awaiting: u.awaiting.map((a) => ({ ...a, jurisdiction: a.jurisdiction && AS[a.jurisdiction]! })) }));

  it('a publish that fails after its records reached the broker is invisible, and its retry appends the audit chain once', async () => {
    await registry.ensureSubjects([TOPICS.traceUpdates, TOPICS.traceState, TOPICS.audit]);
    const traceId = uniqueGroup('tx-trace');
    const updates = traceUpdates(traceId);
    expect(updates).toHaveLength(2);
    // the first transaction's sends reach the broker, then the produce "fails"
    const factory = producerFactory((tx) => ({ ...tx, sendBatch: async (b) => { await tx.sendBatch(b); throw new Error('connection lost after the request was sent'); } }));
    const publisher = await publisherWith(factory);

    await expect(publisher.publish(updates)).rejects.toThrow(/publishing trace updates failed/);
    await publisher.publish(updates);

    const full = await recordsFor(kafka, registry, TOPICS.traceUpdates, traceId) as TraceUpdate[];
    expect(full.map((u) => u.seq)).toEqual([2, 3]); // once each: the aborted copies are not read
    const audit = await recordsFor(kafka, registry, TOPICS.audit, traceId) as Disclosure[];
    const views = await recordsFor(kafka, registry, jurisdictionTopic('QG'), traceId);
    expect(views).toHaveLength(2);
    expect(audit.length).toBeGreaterThanOrEqual(2);
    expectUnforkedChains(audit);
  });
  it('a commit that succeeded but answered an error does not fork the chain: the head comes back from Kafka', async () => {
    await registry.ensureSubjects([TOPICS.traceUpdates, TOPICS.traceState, TOPICS.audit]);
    const a = uniqueGroup('fork-a');
    const b = uniqueGroup('fork-b');
    const factory = producerFactory((tx) => ({ ...tx, commit: async () => { await tx.commit(); throw new Error('request timed out (the commit went through)'); } }));
    const publisher = await publisherWith(factory);
    await expect(publisher.publish(traceUpdates(a))).rejects.toThrow(/publishing trace updates failed/);
    await publisher.publish(traceUpdates(b)); // a new producer, the head re-read from the topic
    expect(factory.made()).toBe(2);
    const audit = [...await recordsFor(kafka, registry, TOPICS.audit, a), ...await recordsFor(kafka, registry, TOPICS.audit, b)] as Disclosure[];
    expect(audit.length).toBeGreaterThanOrEqual(4);
    expectUnforkedChains(audit);
    expect(publisher.health().ok).toBe(true);
  });

  it('disclosures are dated when published, not at the updates\' own times (the fixture\'s clock is fixed in 2027): nothing dated ahead lands in a chain', async () => {
    await registry.ensureSubjects([TOPICS.traceUpdates, TOPICS.traceState, TOPICS.audit]);
    const c = uniqueGroup('dated');
    const publisher = await publisherWith(producerFactory((tx) => tx));
    const updates = traceUpdates(c);
    expect(updates.every((u) => u.publishedAt > Date.now())).toBe(true); // the fixture's clock is ahead
    const before = Date.now();
    await publisher.publish(updates);
    const after = Date.now();
    const audit = await recordsFor(kafka, registry, TOPICS.audit, c) as Disclosure[];
    expect(audit.length).toBe(4); // QG and QF, 2 updates each
    for (const r of audit) expect(r.disclosedAt >= before && r.disclosedAt <= after, new Date(r.disclosedAt).toISOString()).toBe(true);
    const views = await recordsFor(kafka, registry, jurisdictionTopic('QF'), c) as SignedTraceUpdate[];
    expect(views.map((v) => v.update.publishedAt)).toEqual(audit.filter((r) => r.audience === 'QF').map((r) => r.disclosedAt));
  });
});


// The tracer's publish is one Kafka transaction on the real broker: a produce that fails after
// its records reached the broker is aborted, so a consumer (kafkajs reads committed records
// only) never sees them, and the publish made again appends the audit chain once — no
// duplicate views, no fork.
import { generateKeyPairSync } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Kafka, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Disclosure, TraceUpdate } from '../schemas/types.gen.ts';
import { createKafka, createTransactionalProducer } from '../services/common/kafka.ts';
import { resolveKafkaSecurity } from '../services/common/kafka-security.ts';
import { createLogger } from '../services/common/logger.ts';
import { createRegistryClient, type RegistryClient } from '../services/common/registry.ts';
import { TOPICS, jurisdictionTopic } from '../services/common/topics.ts';
import { H, dir, runHops } from '../services/tracer/domain/four-jurisdictions.fixture.ts';
import { createTracerMetrics } from '../services/tracer/metrics.ts';
import { createPublisher } from '../services/tracer/publisher.ts';
import { stackEndpoints } from './support/stack.ts';
import { uniqueGroup } from './support/services.ts';

/** Every record of `topic` keyed `key`, read committed, until the topic is idle for 3 s. */
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
  let redis: Redis;
  const producers: Producer[] = [];
  beforeAll(() => {
    const stack = stackEndpoints();
    kafka = createKafka({ brokers: stack.kafkaBrokers, clientId: 'tx-test', logger: createLogger('test', 'silent'),
      security: resolveKafkaSecurity({ KAFKA_CLIENT_PROPERTIES: stack.kafkaClientProperties ?? '' }) });
    registry = createRegistryClient({ url: stack.schemaRegistryUrl });
    redis = new Redis(stack.redisUrl);
  });
  afterAll(async () => {
    for (const p of producers) await p.disconnect().catch(() => undefined);
    redis.disconnect();
  });

  it('a publish that fails after its records reached the broker is invisible, and its retry appends the audit chain once', async () => {
    await registry.ensureSubjects([TOPICS.traceUpdates, TOPICS.traceState, TOPICS.audit]);
    const traceId = uniqueGroup('tx-trace');
    const updates: TraceUpdate[] = runHops([H.pb, H.fr]).updates.map((u) => ({ ...u, traceId, hops: u.hops.map((h) => ({ ...h, traceId })) }));
    expect(updates).toHaveLength(2);
    const real = await createTransactionalProducer(kafka, uniqueGroup('tx-pub'));
    producers.push(real);
    // the first transaction's sends reach the broker, then the produce "fails"
    let failNext = true;
    const producer = {
      ...real,
      transaction: async () => {
        const tx = await real.transaction();
        if (!failNext) return tx;
        failNext = false;
        return { ...tx, sendBatch: async (b: Parameters<typeof tx.sendBatch>[0]) => { await tx.sendBatch(b); throw new Error('connection lost after the request was sent'); } };
      },
    } as Producer;
    const { privateKey } = generateKeyPairSync('ed25519');
    const publisher = await createPublisher({ producer, admin: kafka.admin(), redis, registry, directory: dir, key: { privateKey, keyId: 'tx-test-key' }, metrics: createTracerMetrics() });

    await expect(publisher.publish(updates, Date.now())).rejects.toThrow(/publishing trace updates failed/);
    await publisher.publish(updates, Date.now());

    const full = await recordsFor(kafka, registry, TOPICS.traceUpdates, traceId) as TraceUpdate[];
    expect(full.map((u) => u.seq)).toEqual([2, 3]); // once each: the aborted copies are not read
    const audit = await recordsFor(kafka, registry, TOPICS.audit, traceId) as Disclosure[];
    const views = await recordsFor(kafka, registry, jurisdictionTopic('GB'), traceId);
    expect(views).toHaveLength(2);
    expect(audit.length).toBeGreaterThanOrEqual(2);
    const seqs = audit.map((d) => d.auditSeq);
    expect(new Set(seqs).size).toBe(seqs.length); // no audit seq twice: no fork
    for (let i = 1; i < audit.length; i++) {
      expect(audit[i]!.auditSeq).toBe(audit[i - 1]!.auditSeq + 1);
      expect(audit[i]!.prevHash.equals(audit[i - 1]!.hash)).toBe(true);
    }
  });
});


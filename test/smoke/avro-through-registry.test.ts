// Avro through the schema registry and Kafka: a schema is registered, records are encoded in the
// Confluent wire format (magic byte, schema id, Avro body), produced with keys that spread over a
// 3-partition topic, consumed by a group and decoded back to exactly what was sent.
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumeMessages } from '../support/consume.ts';
import { createTopics, stackEndpoints, testKafka, uniqueTopic } from '../support/stack.ts';

const SCHEMA = {
  type: 'record',
  name: 'SmokeFlow',
  namespace: 'org.crosstrace.smoke',
  fields: [
    { name: 'eventId', type: 'string' },
    { name: 'srcAddr', type: 'string' },
    { name: 'srcPort', type: ['null', 'int'], default: null },
    { name: 'startMs', type: 'long' },
    { name: 'octets', type: 'long' },
    { name: 'endReason', type: { type: 'enum', name: 'SmokeEndReason', symbols: ['ACTIVE_TIMEOUT', 'IDLE', 'END'] } },
  ],
};
const COUNT = 24;

describe('avro through the registry', () => {
  const topic = uniqueTopic('smoke.avro');
  const kafka = testKafka('smoke-avro');
  const admin = kafka.admin();

  beforeAll(async () => {
    await admin.connect();
    await createTopics(admin, [topic], 3);
  });
  afterAll(async () => {
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect();
  });

  it('registers, encodes, produces, consumes and decodes every record on more than one partition', async () => {
    const registry = new SchemaRegistry({ host: stackEndpoints().schemaRegistryUrl });
    const { id } = await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(SCHEMA) },
      { subject: `${topic}-value` },
    );
    expect(id).toBeGreaterThan(0);

    const sent = new Map(
      Array.from({ length: COUNT }, (_, i) => {
        const value = {
          eventId: `ev-${i}`,
          srcAddr: i % 2 ? `2001:db8::${i.toString(16)}` : `198.51.100.${i}`,
          srcPort: i % 3 ? 40000 + i : null,
          startMs: 1_700_000_000_000 + i * 1000,
          octets: 2 ** 40 + i,
          endReason: (['ACTIVE_TIMEOUT', 'IDLE', 'END'] as const)[i % 3],
        };
        return [value.eventId, value] as const;
      }),
    );

    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true });
    await producer.connect();
    await producer.send({
      topic,
      messages: await Promise.all([...sent].map(async ([key, value]) => ({ key, value: await registry.encode(id, value) }))),
    });
    await producer.disconnect();

    const received = new Map<string, { partition: number; value: unknown; magic: number | undefined; schemaId: number }>();
    for (const { partition, message } of await consumeMessages(kafka, topic, COUNT)) {
      if (!message.value) throw new Error(`record ${String(message.key)} has no value`);
      received.set(String(message.key), { partition, value: await registry.decode(message.value), magic: message.value[0], schemaId: message.value.readInt32BE(1) });
    }

    for (const [key, value] of sent) {
      const got = received.get(key);
      expect(got?.magic, key).toBe(0);
      expect(got?.schemaId, key).toBe(id);
      expect(got?.value, key).toEqual(value);
    }
    const partitions = new Set([...received.values()].map((r) => r.partition));
    expect(partitions.size).toBeGreaterThan(1);
  });
});

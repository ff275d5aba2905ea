// The ceiling of a consume->produce stage: bare kafkajs with the consumer loop's settings
// (services/common/kafka.ts CONSUMER_DEFAULTS: fetch sizes, maxWaitTimeInMs, partitions at once;
// eachBatch, resolve + commit after each batch) and the stage's producer (createProducer +
// sendChunked), copying every value to bench.passthrough.<topic>. No decode, no Redis, no
// chunking. Runs until SIGTERM. Env: KAFKA_BROKERS, PASS_GROUP_ID, PASS_TOPICS (comma list);
// PASS_MAX_BYTES / PASS_MAX_BYTES_PER_PARTITION / PASS_CONCURRENCY (settings under trial).
import { resolveKafkaSecurity } from '../services/common/kafka-security.ts';
import { CONSUMER_DEFAULTS, createKafka, createProducer, ensureTopics, sendChunked } from '../services/common/kafka.ts';
import { createLogger } from '../services/common/logger.ts';

const topics = (process.env.PASS_TOPICS ?? 'flows.raw,sessions.raw').split(',');
const out = (t: string) => `bench.passthrough.${t}`;
const logger = createLogger('bench-passthrough', 'error');
const kafka = createKafka({ brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(','), clientId: 'bench-passthrough', logger, security: resolveKafkaSecurity(process.env) });
const admin = kafka.admin();
await admin.connect();
await ensureTopics(admin, topics.map((t) => ({ topic: out(t), numPartitions: Number(process.env.PASS_PARTITIONS ?? 6), retentionMs: 3_600_000 })));
await admin.disconnect();
const producer = await createProducer(kafka);
const consumer = kafka.consumer({ groupId: process.env.PASS_GROUP_ID ?? `bench-pass-${Date.now()}`, maxBytesPerPartition: Number(process.env.PASS_MAX_BYTES_PER_PARTITION ?? CONSUMER_DEFAULTS.maxBytesPerPartition), maxBytes: Number(process.env.PASS_MAX_BYTES ?? CONSUMER_DEFAULTS.maxBytes), maxWaitTimeInMs: CONSUMER_DEFAULTS.maxWaitTimeInMs, allowAutoTopicCreation: false });
await consumer.connect();
await consumer.subscribe({ topics, fromBeginning: false });
await consumer.run({
  eachBatchAutoResolve: false, autoCommit: true, partitionsConsumedConcurrently: Number(process.env.PASS_CONCURRENCY ?? CONSUMER_DEFAULTS.partitionsConcurrently),
  async eachBatch({ batch, resolveOffset, commitOffsetsIfNecessary, heartbeat }) {
    if (batch.messages.length === 0) return;
    await sendChunked(producer, [{ topic: out(batch.topic), messages: batch.messages.map((m) => ({ key: m.key, value: m.value })) }]);
    resolveOffset(batch.lastOffset());
    await commitOffsetsIfNecessary();
    await heartbeat();
  },
});
process.once('SIGTERM', () => { void consumer.disconnect().then(() => producer.disconnect()).then(() => process.exit(0)); });
console.log('passthrough running');

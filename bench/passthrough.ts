// The ceiling of a consume->produce stage: bare kafkajs with the consumer loop's settings
// (services/common/kafka.ts CONSUMER_DEFAULTS: fetch sizes, maxWaitTimeInMs, partitions at once;
// eachBatch, resolve + commit after each batch) and the stage's producer (createProducer +
// sendChunked). No decode, no Redis, no chunking. Runs until SIGTERM. Env: KAFKA_BROKERS,
// PASS_GROUP_ID, PASS_TOPICS (comma list); PASS_MAX_BYTES / PASS_MAX_BYTES_PER_PARTITION /
// PASS_CONCURRENCY (settings under trial).
// What it writes: by default a copy of every consumed record (key and value) to
// bench.passthrough.<topic>. With PASS_REPLAY=<file> (bench/replay-file.ts: the records the stage
// itself wrote for this backlog, a sample per input topic), each record consumed from a topic is
// answered by the next of the stage's records for it, cycling (same keys, values and headers:
// the stage's record sizes, partitions and count) to bench.passthrough.<the stage's topic>.
import { resolveKafkaSecurity } from '../services/common/kafka-security.ts';
import { CONSUMER_DEFAULTS, createKafka, createProducer, ensureTopics, sendChunked, type OutTopicMessages } from '../services/common/kafka.ts';
import { createLogger } from '../services/common/logger.ts';
import { readReplayFile } from './replay-file.ts';

const topics = (process.env.PASS_TOPICS ?? 'flows.raw,sessions.raw').split(',');
const out = (t: string) => `bench.passthrough.${t}`;
const replay = process.env.PASS_REPLAY ? readReplayFile(process.env.PASS_REPLAY) : null;
// a topic the replay holds nothing for (every record of it dead-lettered or deduplicated) would
// throw in every batch and kafkajs would retry it until the drain gave up: refused here, at once
const unanswered = replay ? topics.filter((t) => !replay.get(t)?.messages.length) : [];
if (unanswered.length > 0) { console.error(`passthrough: PASS_REPLAY has no records for ${unanswered.join(', ')}`); process.exit(2); }
const logger = createLogger('bench-passthrough', 'error');
const kafka = createKafka({ brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(','), clientId: 'bench-passthrough', logger, security: resolveKafkaSecurity(process.env) });
const admin = kafka.admin();
await admin.connect();
const outTopics = replay ? [...new Set([...replay.values()].map((r) => r.topic))] : topics;
await ensureTopics(admin, outTopics.map((t) => ({ topic: out(t), numPartitions: Number(process.env.PASS_PARTITIONS ?? 6), retentionMs: 3_600_000 })));
await admin.disconnect();
const producer = await createProducer(kafka);
const consumer = kafka.consumer({ groupId: process.env.PASS_GROUP_ID ?? `bench-pass-${Date.now()}`, maxBytesPerPartition: Number(process.env.PASS_MAX_BYTES_PER_PARTITION ?? CONSUMER_DEFAULTS.maxBytesPerPartition), maxBytes: Number(process.env.PASS_MAX_BYTES ?? CONSUMER_DEFAULTS.maxBytes), maxWaitTimeInMs: CONSUMER_DEFAULTS.maxWaitTimeInMs, allowAutoTopicCreation: false });
await consumer.connect();
await consumer.subscribe({ topics, fromBeginning: false });
/** Next replay record per input topic. */
const cursor = new Map<string, number>();
function answer(topic: string, n: number): OutTopicMessages {
  const r = replay!.get(topic);
  if (!r || r.messages.length === 0) throw new Error(`PASS_REPLAY has no records for ${topic}`);
  let at = cursor.get(topic) ?? 0;
  const messages = new Array<(typeof r.messages)[number]>(n);
  for (let i = 0; i < n; i++) {
    const m = r.messages[at]!; // a new message object per record, as a stage builds its own
    messages[i] = { key: m.key, value: m.value, headers: m.headers };
    at = at + 1 === r.messages.length ? 0 : at + 1;
  }
  cursor.set(topic, at);
  return { topic: out(r.topic), messages };
}
await consumer.run({
  eachBatchAutoResolve: false, autoCommit: true, partitionsConsumedConcurrently: Number(process.env.PASS_CONCURRENCY ?? CONSUMER_DEFAULTS.partitionsConcurrently),
  async eachBatch({ batch, resolveOffset, commitOffsetsIfNecessary, heartbeat }) {
    if (batch.messages.length === 0) return;
    await sendChunked(producer, [replay ? answer(batch.topic, batch.messages.length)
      : { topic: out(batch.topic), messages: batch.messages.map((m) => ({ key: m.key, value: m.value })) }]);
    resolveOffset(batch.lastOffset());
    await commitOffsetsIfNecessary();
    await heartbeat();
  },
});
process.once('SIGTERM', () => { void consumer.disconnect().then(() => producer.disconnect()).then(() => process.exit(0)); });
console.log('passthrough running');

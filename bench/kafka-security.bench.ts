// What TLS + SASL/SCRAM cost the project's own Kafka client (kafkajs): new-connection time
// (TCP + TLS handshake + SCRAM-SHA-512 login + ApiVersions), produce throughput and the
// latency of one acknowledged batch, and consume throughput, on the secured broker
// (KAFKA_BROKERS + KAFKA_CLIENT_PROPERTIES, as every service connects) and — when
// BENCH_PLAINTEXT_BROKERS names a PLAINTEXT broker on the same machine — on that one too.
// The local stack has no PLAINTEXT listener (security on by default): start a throw-away one
// for the comparison. Figures only; nothing here asserts speed.
//   node bench/kafka-security.bench.ts [MESSAGES=100000] [BATCH=500]
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import '../services/common/kafkajs-patch.ts';
import { describeKafkaSecurity, kafkajsSecurity, resolveKafkaSecurity } from '../services/common/kafka-security.ts';
import { fmt, result, summarise } from './lib.ts';

const total = Number(process.argv[2] ?? 100_000);
const batch = Number(process.argv[3] ?? 500);
const value = Buffer.alloc(200, 'x'); // about a raw flow record's size

async function run(label: string, kafka: Kafka): Promise<void> {
  const topic = `bench.security.${label}.${Date.now().toString(36)}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 3 }] });
  await admin.disconnect();

  const connects: number[] = [];
  for (let i = 0; i < 10; i++) {
    const a = kafka.admin();
    const t = performance.now();
    await a.connect();
    await a.describeCluster(); // the first request on a fresh connection: handshake and login included
    connects.push(performance.now() - t);
    await a.disconnect();
  }

  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const lat: number[] = [];
  const t0 = performance.now();
  for (let sent = 0; sent < total; sent += batch) {
    const messages = Array.from({ length: Math.min(batch, total - sent) }, (_, i) => ({ key: String((sent + i) % 997), value }));
    const t = performance.now();
    await producer.send({ topic, messages, acks: -1 });
    lat.push(performance.now() - t);
  }
  const produceS = (performance.now() - t0) / 1000;
  await producer.disconnect();

  const consumer = kafka.consumer({ groupId: `bench-security-${label}-${Date.now().toString(36)}`, maxBytesPerPartition: 4 << 20 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let got = 0;
  let c0 = 0;
  const consumeS = await new Promise<number>((resolve) => {
    void consumer.run({ eachBatch: async ({ batch: b }) => {
      if (c0 === 0) c0 = performance.now();
      got += b.messages.length;
      if (got >= total) resolve((performance.now() - c0) / 1000);
    } });
  });
  await consumer.disconnect();
  const admin2 = kafka.admin();
  await admin2.connect();
  await admin2.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin2.disconnect();

  const c = summarise(connects);
  const l = summarise(lat);
  console.log(`  ${label.padEnd(9)} connect p50 ${c.p50.toFixed(1)} ms (max ${c.max.toFixed(1)}); produce ${fmt(total / produceS)} msg/s, batch of ${batch} acked p50 ${l.p50.toFixed(1)} ms p99 ${l.p99.toFixed(1)} ms; consume ${fmt(total / consumeS)} msg/s`);
  result(`kafka-${label}`, { connectP50Ms: +c.p50.toFixed(1), produceMsgPerSec: Math.round(total / produceS), batchAckP50Ms: +l.p50.toFixed(1), batchAckP99Ms: +l.p99.toFixed(1), consumeMsgPerSec: Math.round(total / consumeS) });
}

const security = resolveKafkaSecurity(process.env);
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
console.log(`kafka-security bench: ${total} messages of ${value.length} bytes in batches of ${batch}; secured: ${describeKafkaSecurity(security)}`);
await run(security.protocol.toLowerCase().replace('_', '-'), new Kafka({ clientId: 'bench-security', brokers, logLevel: logLevel.NOTHING, ...kafkajsSecurity(security) }));
if (process.env.BENCH_PLAINTEXT_BROKERS) {
  await run('plaintext', new Kafka({ clientId: 'bench-plain', brokers: process.env.BENCH_PLAINTEXT_BROKERS.split(','), logLevel: logLevel.NOTHING }));
}

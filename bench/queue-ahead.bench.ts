// The consumer loop's fetch cycle in isolation (kafka.ts `queueAhead`, partition-queues.ts): one
// createConsumerLoop on a 12-partition topic of the stack's Kafka, a background of R records/s
// spread over the partitions, a handler that stands in for a stage (per batch an async wait, the
// Redis round trip and produce, exponential around its mean; per record some CPU), and a marker record every 250 ms into one
// partition: the time from its produce to the start of its handling. Each mode runs for
// BENCH_QA_SECONDS (default 30), alternated (false, true, false, true) in one process, each with
// a fresh group at the topic's end. Printed per run: marker wait p50/p99, fetches/s (kafkajs'
// FETCH events: what the queues cost the broker), batches/s and records per batch, this
// process's CPU per background record (the load generator included: the same in both modes),
// the load average.
//   node bench/queue-ahead.bench.ts [rate=2000[,5000,...]] [meanBatchWaitMs=5] [cpuUsPerRecord=20]   (stack env)
import { loadavg } from 'node:os';
import type { Kafka } from 'kafkajs';
import { resolveKafkaSecurity } from '../services/common/kafka-security.ts';
import { createConsumerLoop, createKafka, createProducer, ensureTopics } from '../services/common/kafka.ts';
import { createLogger } from '../services/common/logger.ts';
import { createStageMetrics } from '../services/common/metrics.ts';
import { percentile } from './lib.ts';

const RATES = (process.argv[2] ?? '2000').split(',').map(Number);
const BATCH_WAIT_MS = Number(process.argv[3] ?? 5);
const CPU_US = Number(process.argv[4] ?? 20);
const SECONDS = Number(process.env.BENCH_QA_SECONDS ?? 30);
const PARTITIONS = 12;
const run = Date.now().toString(36);
const topic = `bench-queue-ahead-${run}`;
const logger = createLogger('bench', 'error');
const kafka = createKafka({ brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(','), clientId: 'bench-qa', logger, security: resolveKafkaSecurity(process.env) });
const admin = kafka.admin();
await admin.connect();
await ensureTopics(admin, [{ topic, numPartitions: PARTITIONS }]);
const producer = await createProducer(kafka);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const load = () => loadavg().map((x) => x.toFixed(1)).join(' ');
const value = Buffer.alloc(200, 1);

async function measure(rate: number, queueAhead: boolean, n: number): Promise<void> {
  let fetches = 0;
  // counts kafkajs' fetches of the loop's consumer
  const counted = { ...kafka, consumer: (o: Parameters<Kafka['consumer']>[0]) => { const c = kafka.consumer(o); c.on(c.events.FETCH, () => { fetches++; }); return c; } } as unknown as Kafka;
  const waits: number[] = [];
  let batches = 0;
  let records = 0;
  const loop = createConsumerLoop({
    kafka: counted, groupId: `${topic}-${n}`, topics: [topic], fromBeginning: false, logger, metrics: createStageMetrics(`qa${n}`), stage: 'qa', queueAhead,
    deadLetter: async () => undefined,
    handle: async (ms) => {
      const at = Date.now();
      batches++;
      records += ms.length;
      for (const m of ms) if (m.key?.toString() === 'marker') waits.push(at - Number(m.value!.toString()));
      const until = process.hrtime.bigint() + BigInt(Math.round(CPU_US * 1000 * ms.length));
      while (process.hrtime.bigint() < until) { /* the stage's CPU per record */ }
      // exponential around the mean: a stage's batches differ (a wake, a hop to produce, a slow
      // Redis reply), and kafkajs' cycle waits for the slowest of a fetch's
      await sleep(-Math.log(1 - Math.random()) * BATCH_WAIT_MS);
    },
  });
  await loop.start();
  for (let i = 0; i < 300 && !loop.running(); i++) await sleep(100);
  await sleep(3000); // the group's first fetches
  let stop = false;
  let sent = 0;
  const bg = (async () => {
    const t0 = Date.now();
    let k = 0;
    while (!stop) {
      const due = Math.floor(((Date.now() - t0) / 1000) * rate);
      const messages = [];
      for (; k < due; k++) messages.push({ partition: k % PARTITIONS, key: 'bg', value });
      if (messages.length) { await producer.send({ topic, messages }); sent += messages.length; }
      await sleep(20);
    }
  })();
  const markers = (async () => {
    for (let j = 0; !stop; j++) {
      await producer.send({ topic, messages: [{ partition: j % PARTITIONS, key: 'marker', value: String(Date.now()) }] });
      await sleep(250);
    }
  })();
  await sleep(2000);
  waits.length = 0;
  const f0 = fetches; const b0 = batches; const r0 = records; const s0 = sent; const c0 = process.cpuUsage(); const t0 = Date.now(); const l0 = load();
  await sleep(SECONDS * 1000);
  const secs = (Date.now() - t0) / 1000;
  const c1 = process.cpuUsage(c0);
  const f1 = fetches; const b1 = batches; const r1 = records; const s1 = sent;
  stop = true;
  await Promise.all([bg, markers]);
  await loop.stop();
  const xs = [...waits].sort((a, b) => a - b);
  const bgRate = (s1 - s0) / secs;
  console.log(`queueAhead ${queueAhead} at ${Math.round(bgRate)} records/s (asked ${rate}; batch wait ${BATCH_WAIT_MS} ms mean, ${CPU_US} µs CPU/record): marker produce -> handled p50 ${percentile(xs, 50)} / p99 ${percentile(xs, 99)} / max ${xs.at(-1)} ms over ${xs.length}; ${(
    (f1 - f0) / secs).toFixed(1)} fetches/s, ${((b1 - b0) / secs).toFixed(1)} batches/s of ${Math.round((r1 - r0) / Math.max(1, b1 - b0))} records; this process ${((c1.user + c1.system) / (r1 - r0)).toFixed(1)} µs CPU per record handled; load ${l0} -> ${load()}`);
}

for (const rate of RATES) {
  let n = 0;
  for (const qa of [false, true, false, true]) await measure(rate, qa, n++);
}
await producer.disconnect();
await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
await admin.disconnect();
process.exit(0);

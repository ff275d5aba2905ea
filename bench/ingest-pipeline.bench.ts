// Events/s through the ingest service on the running local stack: starts ingest in-process
// with a fresh consumer group positioned at the end, produces a realistic mix (75% flows,
// 25% port-block / RADIUS sessions) to flows.raw and sessions.raw as fast as kafkajs can,
// and times until the group's committed offsets reach the end. Needs the stack env
// (eval "$(make -s stack-env)").   node bench/ingest-pipeline.bench.ts [events=200000]
import { resolveKafkaSecurity } from '../services/common/kafka-security.ts';
import { createKafka, createProducer } from '../services/common/kafka.ts';
import { createLogger } from '../services/common/logger.ts';
import { createRegistryClient } from '../services/common/registry.ts';
import { TOPICS } from '../services/common/topics.ts';
import { startIngest } from '../services/ingest/main.ts';
import { fmt, mem, result } from './lib.ts';
import { rawLoad } from './raw-load.ts';

const N = Number(process.argv[2] ?? 200_000);
const env = { ...process.env, LOG_LEVEL: 'error', CROSSTRACE_INGEST_HTTP_PORT: '0', CROSSTRACE_INGEST_GROUP_ID: `bench-ingest-${Date.now()}`, CROSSTRACE_INGEST_FROM_BEGINNING: 'false' };
const logger = createLogger('bench', 'error');
const kafka = createKafka({ brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(','), clientId: 'bench', logger, security: resolveKafkaSecurity(process.env) });
const registry = createRegistryClient({ url: process.env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:18081/apis/ccompat/v7' });
const svc = await startIngest(env);
await registry.ensureSubjects([TOPICS.flowsRaw, TOPICS.sessionsRaw]);
const admin = kafka.admin();
await admin.connect();
await new Promise((r) => setTimeout(r, 3000)); // group joined and positioned at the end
const producer = await createProducer(kafka);
// the same mix and keys (12 exporters' worth, spread over partitions) as bench/profile
const { flows, sessions } = rawLoad(registry, N);

const t0 = performance.now();
for (let i = 0; i < Math.max(flows.length, sessions.length); i += 2000) {
  await producer.sendBatch({ topicMessages: [
    { topic: TOPICS.flowsRaw, messages: flows.slice(i, i + 2000) },
    { topic: TOPICS.sessionsRaw, messages: sessions.slice(i, i + 2000) },
  ] });
}
const produced = (performance.now() - t0) / 1000;
const ends = new Map<string, number>();
for (const topic of [TOPICS.flowsRaw, TOPICS.sessionsRaw]) for (const p of await admin.fetchTopicOffsets(topic)) ends.set(`${topic}/${p.partition}`, Number(p.high));
for (;;) {
  const offs = await admin.fetchOffsets({ groupId: env.CROSSTRACE_INGEST_GROUP_ID, topics: [TOPICS.flowsRaw, TOPICS.sessionsRaw] });
  const behind = offs.flatMap((t) => t.partitions.map((p) => (ends.get(`${t.topic}/${p.partition}`) ?? 0) - Math.max(0, Number(p.offset)))).reduce((a, b) => a + b, 0);
  if (behind <= 0) break;
  if (performance.now() - t0 > 300_000) { console.error(`gave up: ${behind} still behind after 300 s`); break; }
  await new Promise((r) => setTimeout(r, 200));
}
const total = (performance.now() - t0) / 1000;
console.log(`ingest pipeline (local stack, 1 ingest instance): ${fmt(N / total)} events/s end to end (${N} events in ${total.toFixed(1)} s; producing alone took ${produced.toFixed(1)} s = ${fmt(N / produced)} events/s); ${mem()}`);
result('ingest-pipeline', { eventsPerSec: Math.round(N / total), events: N, produceOnlyEventsPerSec: Math.round(N / produced), rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20) });
await producer.disconnect();
await admin.disconnect();
await svc.stop();
process.exit(0);

// Events/s through the ingest service on the running local stack: starts ingest in-process
// with a fresh consumer group positioned at the end, produces a realistic mix (75% flows,
// 25% port-block / RADIUS sessions) to flows.raw and sessions.raw as fast as kafkajs can,
// and times until the group's committed offsets reach the end. Needs the stack env
// (eval "$(make -s stack-env)").   node bench/ingest-pipeline.bench.ts [events=200000]
import type { FlowEvent, SessionEvent } from '../schemas/types.gen.ts';
import { resolveKafkaSecurity } from '../services/common/kafka-security.ts';
import { createKafka, createProducer } from '../services/common/kafka.ts';
import { createLogger } from '../services/common/logger.ts';
import { createRegistryClient } from '../services/common/registry.ts';
import { TOPICS } from '../services/common/topics.ts';
import { startIngest } from '../services/ingest/main.ts';
import { fmt, mem, result } from './lib.ts';

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
const run = Date.now().toString(36);
const now = Date.now();

const flows: { key: string; value: Buffer }[] = [];
const sessions: { key: string; value: Buffer }[] = [];
for (let i = 0; i < N; i++) {
  const inside = `100.64.${(i >> 8) & 255}.${i & 255}`;
  if (i % 4 !== 0) {
    const f: FlowEvent = {
      eventId: `${run}-f${i}`, exporterId: 'fr-flow-1', exportTime: now, srcAddr: inside, srcPort: 1024 + (i % 60000), dstAddr: '192.0.2.10', dstPort: 443,
      protocol: 6, startTime: now - 20_000, endTime: now - 1000, octets: 1000 + i, packets: 10, postNatSrcAddr: null, postNatSrcPort: null,
      endReason: 'ACTIVE_TIMEOUT', jurisdiction: null, providerId: null, clockOffsetMs: 0,
    };
    flows.push({ key: 'fr-flow-1', value: registry.encode(TOPICS.flowsRaw, f) });
  } else {
    const s: SessionEvent = {
      eventId: `${run}-s${i}`, exporterId: 'fr-cgn-1', exportTime: now, kind: 'PORT_BLOCK', action: 'START', natEvent: 14, eventTime: now - 5000, protocol: null,
      outsideAddr: `198.51.100.${i % 250}`, outsidePort: null, portRangeStart: 1024 + (i % 120) * 512, portRangeEnd: 1535 + (i % 120) * 512, insideAddr: inside,
      insidePort: null, framedIpAddress: null, framedIpv6Prefix: null, delegatedIpv6Prefix: null, acctSessionId: null, acctDelayTime: null,
      subscriberHandle: null, jurisdiction: null, providerId: null, clockOffsetMs: 0,
    };
    sessions.push({ key: 'fr-telecom', value: registry.encode(TOPICS.sessionsRaw, s) });
  }
}
// spread keys over partitions like many exporters would
flows.forEach((m, i) => { m.key = `fr-flow-${i % 12}`; });
sessions.forEach((m, i) => { m.key = `fr-cgn-${i % 12}`; });

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

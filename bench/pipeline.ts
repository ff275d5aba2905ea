// The pipeline the accuracy benchmarks run: ingest + correlator + tracer in-process on an
// emptied Redis database (a fresh deployment: earlier runs' records on the same addresses
// would be evidence too), and a reader keeping the latest full view of every trace.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { Kafka } from 'kafkajs';
import type { TraceUpdate } from '../schemas/types.gen.ts';
import type { RegistryClient } from '../services/common/registry.ts';
import { TOPICS } from '../services/common/topics.ts';
import { startCorrelator } from '../services/correlator/main.ts';
import { startIngest } from '../services/ingest/main.ts';
import { startTracer } from '../services/tracer/main.ts';

export async function startPipeline(o: { kafka: Kafka; registry: RegistryClient; run: string; redisUrl: string }) {
  const flush = new Redis(o.redisUrl);
  await flush.flushdb();
  flush.disconnect();
  const common = { ...process.env, LOG_LEVEL: 'error', REDIS_URL: o.redisUrl };
  const run = o.run;
  const svc = [
    await startTracer({ ...common, CROSSTRACE_TRACER_HTTP_PORT: '0', CROSSTRACE_TRACER_GROUP_ID: `${run}-t`, CROSSTRACE_TRACER_TRANSACTIONAL_ID: `${run}-tx`, CROSSTRACE_TRACER_FROM_BEGINNING: 'false', CROSSTRACE_TRACER_TICK_MS: '200', CROSSTRACE_DEMO: '1', CROSSTRACE_TRACER_SIGNING_KEY_FILE: join(mkdtempSync(join(tmpdir(), 'ct-')), 'k.pem') }),
    await startCorrelator({ ...common, CROSSTRACE_CORRELATOR_HTTP_PORT: '0', CROSSTRACE_CORRELATOR_GROUP_ID: `${run}-c`, CROSSTRACE_CORRELATOR_FROM_BEGINNING: 'false', CROSSTRACE_CORRELATOR_REBUILD_EMPTY_REDIS: 'false' }),
    await startIngest({ ...common, CROSSTRACE_INGEST_HTTP_PORT: '0', CROSSTRACE_INGEST_GROUP_ID: `${run}-i`, CROSSTRACE_INGEST_FROM_BEGINNING: 'false' }),
  ];
  for (const s of svc) for (let i = 0; i < 300 && !(await fetch(`http://127.0.0.1:${s.port()}/healthz`).then((r) => r.ok, () => false)); i++) await new Promise((r) => setTimeout(r, 100));
  const latest = new Map<string, TraceUpdate>();
  const consumer = o.kafka.consumer({ groupId: `${run}-reader`, maxWaitTimeInMs: 50 });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPICS.traceUpdates, fromBeginning: false });
  await consumer.run({ eachMessage: async ({ message }) => {
    const u = await o.registry.decode<TraceUpdate>(TOPICS.traceUpdates, message.value);
    if ((latest.get(u.traceId)?.seq ?? 0) < u.seq) latest.set(u.traceId, u);
  } });
  await new Promise((r) => setTimeout(r, 2000));
  return {
    /** The newest full view of each trace. */
    latest,
    env: common,
    async stop() { await consumer.disconnect(); for (const s of svc) await s.stop(); },
  };
}

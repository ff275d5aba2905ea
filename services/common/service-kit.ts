// What every pipeline service (ingest, correlator, tracer) opens at start-up, in one place:
// logger, lifecycle, provider directory (seed file + live feed), Kafka client, admin (topics
// created when missing), registry (subjects ensured), Redis and a producer. Everything opened
// is registered with the lifecycle, so stop() closes it in reverse order. serveStage() then
// runs the service's consumer stage with its /metrics and /healthz.
import { Redis } from 'ioredis';
import { resolveKafkaSecurity, type KafkaSecuritySettings } from './kafka-security.ts';
import { createConsumerLoop, createKafka, createProducer, ensureTopics, type ConsumerLoopOptions } from './kafka.ts';
import { startOpsServer } from './http-server.ts';
import type { StageMetrics } from './metrics.ts';
import { createLifecycle } from './lifecycle.ts';
import { createLogger } from './logger.ts';
import { createProviderDirectory, loadProvidersFile } from './provider-directory.ts';
import { followProviderFeed } from './provider-feed.ts';
import { createRegistryClient } from './registry.ts';
import { deadLetterOne } from './stage.ts';
import { createStateGuardCheck, type StateGuard } from './state-guard.ts';
import { TOPICS, pipelineTopics } from './topics.ts';

export interface ServiceKitOptions {
  service: string;
  cfg: Readonly<{ KAFKA_BROKERS: string[]; SCHEMA_REGISTRY_URL: string; REDIS_URL: string; LOG_LEVEL: string; CROSSTRACE_OPS_HOST?: string; CROSSTRACE_CONSUMER_QUEUE_AHEAD?: boolean } & Partial<KafkaSecuritySettings>>;
  providersFile: string;
  /** Partitions of the pipeline topics created when missing. */
  partitions: number;
  /** Topics whose value subjects this service encodes or decodes. */
  subjects: string[];
  /** False for a service that keeps nothing in Redis (the archive): the client is created
   *  lazily and never connects, and /healthz does not ask for it. Default true. */
  usesRedis?: boolean;
}

export async function startServiceKit(o: ServiceKitOptions) {
  const logger = createLogger(o.service, o.cfg.LOG_LEVEL);
  const life = createLifecycle(logger);
  const directory = createProviderDirectory(loadProvidersFile(o.providersFile));
  const kafka = createKafka({ brokers: o.cfg.KAFKA_BROKERS, clientId: `crosstrace-${o.service}`, logger, security: resolveKafkaSecurity(o.cfg) });
  const registry = createRegistryClient({ url: o.cfg.SCHEMA_REGISTRY_URL });
  const usesRedis = o.usesRedis ?? true;
  const redis = new Redis(o.cfg.REDIS_URL, { maxRetriesPerRequest: 2, lazyConnect: !usesRedis });
  life.onStop('redis', () => { redis.disconnect(); });
  const admin = kafka.admin();
  await admin.connect();
  life.onStop('admin', () => admin.disconnect());
  await ensureTopics(admin, pipelineTopics(o.partitions, []));
  await registry.ensureSubjects([...new Set([...o.subjects, TOPICS.providers])]);
  const producer = await createProducer(kafka);
  life.onStop('producer', () => producer.disconnect());
  const feed = await followProviderFeed({ kafka, registry, directory, logger, service: o.service });
  life.onStop('provider-feed', () => feed.stop());
  return { service: o.service, logger, life, directory, kafka, registry, redis, usesRedis, admin, producer, opsHost: o.cfg.CROSSTRACE_OPS_HOST, queueAhead: o.cfg.CROSSTRACE_CONSUMER_QUEUE_AHEAD };
}

export interface StageOptions {
  groupId: string;
  topics: string[];
  fromBeginning: boolean;
  handle: ConsumerLoopOptions['handle'];
  metrics: StageMetrics;
  stage: string;
  /** Port of /metrics and /healthz. */
  port: number;
  /** Extra /healthz details; `ok: false` among them makes /healthz answer 503. */
  health?: () => Record<string, unknown> & { ok?: boolean };
  /** A partition with lag and no progress for this long, held by its handler or with the
   *  whole stage idle (stage-health.ts), makes /healthz 503, ms. Default 30 s. */
  stallAfterMs?: number;
  /** State this stage keeps in Redis, built from Kafka (windows, chains): checked at start and
   *  every 5 s; when `lost()`, `recover()` rebuilds it (the consumer keeps running: writes
   *  are idempotent) and /healthz is 503 until it is done. */
  stateGuard?: StateGuard;
  /** Most bytes fetched per partition and batch, and per fetch (defaults: the consumer loop's, kafka.ts). */
  maxBytesPerPartition?: number;
  maxBytes?: number;
  /** Partitions handled at once, records per chunk (defaults: the consumer loop's, kafka.ts). */
  partitionsConcurrently?: number;
  maxBatchRecords?: number;
  /** A fetch returns once it has minBytes or after maxWaitTimeInMs (defaults: the consumer loop's, kafka.ts). */
  minBytes?: number;
  maxWaitTimeInMs?: number;
}

/** Runs a service's consumer stage: the consumer loop, /metrics and /healthz, both closed on
 *  stop, consumer first. Records the handler fails on (not retriably) are dead-lettered to
 *  dlq.<service>, counted and logged by the stage wrapper (stage.ts deadLetterOne). /healthz is 200
 *  while the consumer is in its group, Redis is ready, no partition is stalled (stage-health.ts:
 *  stuck, not busy, for stallAfterMs) and the stage's own health has no `ok: false`. */
export async function serveStage(kit: Awaited<ReturnType<typeof startServiceKit>>, o: StageOptions) {
  const { kafka, logger, redis, usesRedis, life, producer, service } = kit;
  const loop = createConsumerLoop({
    kafka, groupId: o.groupId, topics: o.topics, fromBeginning: o.fromBeginning, handle: o.handle, logger, metrics: o.metrics, stage: o.stage,
    stallAfterMs: o.stallAfterMs, maxBytesPerPartition: o.maxBytesPerPartition, maxBytes: o.maxBytes, partitionsConcurrently: o.partitionsConcurrently, maxBatchRecords: o.maxBatchRecords,
    minBytes: o.minBytes, maxWaitTimeInMs: o.maxWaitTimeInMs, queueAhead: kit.queueAhead,
    deadLetter: (m, err) => deadLetterOne({ stage: service, producer, metrics: o.metrics, logger }, m, err),
  });
  const guard = o.stateGuard ? createStateGuardCheck(o.stateGuard, logger, () => life.stopping) : undefined;
  const stateLost = () => guard?.status();
  if (guard) {
    void guard.check();
    const timer = setInterval(() => { void guard.check(); }, 5_000);
    timer.unref();
    life.onStop('redis-state-check', () => clearInterval(timer));
  }
  const ops = await startOpsServer({
    port: o.port, host: kit.opsHost, registry: o.metrics.registry,
    health: () => {
      const extra = o.health?.() ?? {};
      const stalled = loop.stalled();
      const ok = loop.running() && (!usesRedis || redis.status === 'ready') && stalled.length === 0 && stateLost() === undefined && extra.ok !== false;
      return { ...extra, ok, consumer: loop.running(), redis: usesRedis ? redis.status : 'unused', ...(stateLost() ? { [o.stateGuard!.what]: stateLost() } : {}), stalled };
    },
  });
  life.onStop('ops-server', () => ops.close());
  life.onStop('consumer', () => loop.stop());
  await loop.start();
  return { port: ops.port };
}

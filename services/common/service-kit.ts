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
import { TOPICS, pipelineTopics } from './topics.ts';

export interface ServiceKitOptions {
  service: string;
  cfg: Readonly<{ KAFKA_BROKERS: string[]; SCHEMA_REGISTRY_URL: string; REDIS_URL: string; LOG_LEVEL: string } & Partial<KafkaSecuritySettings>>;
  providersFile: string;
  /** Partitions of the pipeline topics created when missing. */
  partitions: number;
  /** Topics whose value subjects this service encodes or decodes. */
  subjects: string[];
}

export async function startServiceKit(o: ServiceKitOptions) {
  const logger = createLogger(o.service, o.cfg.LOG_LEVEL);
  const life = createLifecycle(logger);
  const directory = createProviderDirectory(loadProvidersFile(o.providersFile));
  const kafka = createKafka({ brokers: o.cfg.KAFKA_BROKERS, clientId: `crosstrace-${o.service}`, logger, security: resolveKafkaSecurity(o.cfg) });
  const registry = createRegistryClient({ url: o.cfg.SCHEMA_REGISTRY_URL });
  const redis = new Redis(o.cfg.REDIS_URL, { maxRetriesPerRequest: 2 });
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
  return { logger, life, directory, kafka, registry, redis, admin, producer };
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
  /** Extra /healthz details. */
  health?: () => Record<string, unknown>;
}

/** Runs a service's consumer stage: the consumer loop, /metrics and /healthz (healthy while
 *  the consumer is in its group and Redis is ready), both closed on stop, consumer first. */
export async function serveStage(kit: Awaited<ReturnType<typeof startServiceKit>>, o: StageOptions) {
  const { kafka, logger, redis, life } = kit;
  const loop = createConsumerLoop({ kafka, groupId: o.groupId, topics: o.topics, fromBeginning: o.fromBeginning, handle: o.handle, logger, metrics: o.metrics, stage: o.stage });
  const ops = await startOpsServer({
    port: o.port, registry: o.metrics.registry,
    health: () => ({ ok: loop.running() && redis.status === 'ready', consumer: loop.running(), redis: redis.status, ...o.health?.() }),
  });
  life.onStop('ops-server', () => ops.close());
  life.onStop('consumer', () => loop.stop());
  await loop.start();
  return { port: ops.port };
}

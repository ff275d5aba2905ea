// What every pipeline service (ingest, correlator, tracer) opens at start-up, in one place:
// logger, lifecycle, provider directory (seed file + live feed), Kafka client, admin (topics
// created when missing), registry (subjects ensured), Redis and a producer. Everything opened
// is registered with the lifecycle, so stop() closes it in reverse order.
import { Redis } from 'ioredis';
import { createKafka, createProducer, ensureTopics } from './kafka.ts';
import { createLifecycle } from './lifecycle.ts';
import { createLogger } from './logger.ts';
import { createProviderDirectory, loadProvidersFile } from './provider-directory.ts';
import { followProviderFeed } from './provider-feed.ts';
import { createRegistryClient } from './registry.ts';
import { TOPICS, pipelineTopics } from './topics.ts';

export interface ServiceKitOptions {
  service: string;
  cfg: Readonly<{ KAFKA_BROKERS: string[]; SCHEMA_REGISTRY_URL: string; REDIS_URL: string; LOG_LEVEL: string }>;
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
  const kafka = createKafka({ brokers: o.cfg.KAFKA_BROKERS, clientId: `crosstrace-${o.service}`, logger });
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

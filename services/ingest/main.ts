// ingest: flows.raw / sessions.raw -> validate, normalise, dedupe -> flows.norm / sessions.norm,
// bad input -> dlq.ingest. Reads config, builds adapters, wires the stage, handles SIGTERM.
import { Redis } from 'ioredis';
import { createProviderDirectory, loadProvidersFile } from '../common/provider-directory.ts';
import { createKafka, createConsumerLoop, createProducer, ensureTopics } from '../common/kafka.ts';
import { createLifecycle } from '../common/lifecycle.ts';
import { createLogger } from '../common/logger.ts';
import { startOpsServer } from '../common/http-server.ts';
import { followProviderFeed } from '../common/provider-feed.ts';
import { createRegistryClient } from '../common/registry.ts';
import { TOPICS, pipelineTopics } from '../common/topics.ts';
import { ingestConfig } from './config.ts';
import { createClockSkewEstimator, DEFAULT_CLOCK_SKEW } from './domain/clock-skew.ts';
import { createIngestMetrics } from './metrics.ts';
import { createIngestPipeline } from './pipeline.ts';

export async function startIngest(env: Record<string, string | undefined> = process.env) {
  const cfg = ingestConfig.parse(env);
  const logger = createLogger('ingest', cfg.LOG_LEVEL);
  const life = createLifecycle(logger);
  const metrics = createIngestMetrics();
  const directory = createProviderDirectory(loadProvidersFile(cfg.CROSSTRACE_INGEST_PROVIDERS_FILE));
  const skew = createClockSkewEstimator({ ...DEFAULT_CLOCK_SKEW, flagAboveMs: cfg.CROSSTRACE_INGEST_CLOCK_FLAG_MS });
  const kafka = createKafka({ brokers: cfg.KAFKA_BROKERS, clientId: 'crosstrace-ingest', logger });
  const registry = createRegistryClient({ url: cfg.SCHEMA_REGISTRY_URL });
  const redis = new Redis(cfg.REDIS_URL, { maxRetriesPerRequest: 2, enableOfflineQueue: true, lazyConnect: false });
  life.onStop('redis', () => { redis.disconnect(); });

  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, pipelineTopics(cfg.CROSSTRACE_INGEST_PARTITIONS, []));
  await admin.disconnect();
  await registry.ensureSubjects([TOPICS.flowsNorm, TOPICS.sessionsNorm, TOPICS.providers]);

  const producer = await createProducer(kafka);
  life.onStop('producer', () => producer.disconnect());
  const feed = await followProviderFeed({ kafka, registry, directory, logger, service: 'ingest' });
  life.onStop('provider-feed', () => feed.stop());

  const pipeline = createIngestPipeline({
    registry, redis, producer, metrics, logger,
    ctx: { byExporter: directory.byExporter, byAddress: directory.byAddress, skew, opts: {
      futureToleranceMs: cfg.CROSSTRACE_INGEST_FUTURE_TOLERANCE_MS, retentionMs: cfg.CROSSTRACE_INGEST_RETENTION_MS, maxAcctDelaySeconds: 3600,
    } },
    maxMessageBytes: cfg.CROSSTRACE_INGEST_MAX_MESSAGE_BYTES,
    dedupeWindowMs: cfg.CROSSTRACE_INGEST_DEDUPE_WINDOW_MS,
  });
  const loop = createConsumerLoop({
    kafka, groupId: cfg.CROSSTRACE_INGEST_GROUP_ID, topics: [TOPICS.flowsRaw, TOPICS.sessionsRaw],
    fromBeginning: cfg.CROSSTRACE_INGEST_FROM_BEGINNING, handle: pipeline.handle, logger, metrics: metrics.stage, stage: 'ingest',
  });
  const ops = await startOpsServer({
    port: cfg.CROSSTRACE_INGEST_HTTP_PORT, registry: metrics.stage.registry,
    health: () => ({ ok: loop.running() && redis.status === 'ready', consumer: loop.running(), redis: redis.status }),
  });
  life.onStop('ops-server', () => ops.close());
  // refresh the exporter-skew gauge once a second
  const collect = setInterval(() => { for (const [id, v] of skew.estimates()) metrics.exporterSkew.set({ exporter: id }, v); }, 1000);
  collect.unref();
  life.onStop('consumer', () => loop.stop());
  await loop.start();
  logger.info({ port: ops.port(), brokers: cfg.KAFKA_BROKERS, registry: cfg.SCHEMA_REGISTRY_URL }, 'ingest started');
  return { stop: life.stop, port: ops.port, lifecycle: life };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  startIngest().then((s) => s.lifecycle.installSignalHandlers(), (e: unknown) => {
    console.error(`ingest failed to start: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}

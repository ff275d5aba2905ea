// ingest: flows.raw / sessions.raw -> validate, normalise, dedupe -> flows.norm / sessions.norm,
// bad input -> dlq.ingest. Reads config, builds adapters, wires the stage, handles SIGTERM.
import { serveStage, startServiceKit } from '../common/service-kit.ts';
import { ensureTopics } from '../common/kafka.ts';
import { EXPORTER_RAW_PARTITIONS, exporterRawTopics, TOPICS } from '../common/topics.ts';
import { ingestConfig } from './config.ts';
import { createClockSkewEstimator, DEFAULT_CLOCK_SKEW } from './domain/clock-skew.ts';
import { DEFAULT_NORMALISE } from './domain/normalise.ts';
import { createIngestMetrics } from './metrics.ts';
import { createIngestPipeline } from './pipeline.ts';
import { runService } from '../common/lifecycle.ts';

export async function startIngest(env: Record<string, string | undefined> = process.env) {
  const cfg = ingestConfig.parse(env);
  const metrics = createIngestMetrics();
  const skew = createClockSkewEstimator({ ...DEFAULT_CLOCK_SKEW, flagAboveMs: cfg.CROSSTRACE_INGEST_CLOCK_FLAG_MS });
  const kit = await startServiceKit({
    service: 'ingest', cfg, providersFile: cfg.CROSSTRACE_INGEST_PROVIDERS_FILE, partitions: cfg.CROSSTRACE_INGEST_PARTITIONS,
    subjects: [TOPICS.flowsRaw, TOPICS.sessionsRaw, TOPICS.flowsNorm, TOPICS.sessionsNorm],
  });
  const { logger, life, directory, registry, redis, producer } = kit;

  // flows.norm's partition count, read again every minute (partitions added meanwhile): where
  // the exporters' watermark records go (pipeline.ts)
  let normPartitions = 0;
  const readPartitions = async (): Promise<void> => {
    try {
      const meta = await kit.admin.fetchTopicMetadata({ topics: [TOPICS.flowsNorm] });
      normPartitions = meta.topics[0]?.partitions.length ?? 0;
    } catch (e) { logger.warn({ err: e }, `could not read ${TOPICS.flowsNorm}'s partitions: flow watermark records wait for the next try`); }
  };
  await readPartitions();
  const partitionsTimer = setInterval(() => { void readPartitions(); }, 60_000);
  partitionsTimer.unref();
  life.onStop('flows.norm partitions', () => clearInterval(partitionsTimer));
  const pipeline = createIngestPipeline({
    registry, redis, producer, metrics, logger, flowsNormPartitions: () => (cfg.CROSSTRACE_INGEST_FLOW_MARKS ? normPartitions : 0), flowMarkLagMs: cfg.CROSSTRACE_INGEST_FLOW_MARK_LAG_MS,
    ctx: { byExporter: directory.byExporter, byAddress: directory.byAddress, skew, opts: {
      futureToleranceMs: cfg.CROSSTRACE_INGEST_FUTURE_TOLERANCE_MS, retentionMs: cfg.CROSSTRACE_INGEST_RETENTION_MS, maxSessionAgeMs: cfg.CROSSTRACE_INGEST_MAX_SESSION_AGE_MS, maxAcctDelaySeconds: DEFAULT_NORMALISE.maxAcctDelaySeconds,
      historyMs: cfg.CROSSTRACE_INGEST_HISTORY_DAYS * 86_400_000,
    } },
    maxMessageBytes: cfg.CROSSTRACE_INGEST_MAX_MESSAGE_BYTES,
    dedupeWindowMs: cfg.CROSSTRACE_INGEST_DEDUPE_WINDOW_MS,
    dedupePerKey: cfg.CROSSTRACE_INGEST_DEDUPE_PER_KEY,
  });
  // each exporter's own raw topics (only its principal writes there: the topic says who speaks),
  // for the exporters known at start; `admin acl apply` creates them (here only where this principal may)
  const ownRaw = exporterRawTopics(directory.list().flatMap((p) => p.exporters.map((exporterId) => ({ exporterId, providerId: p.providerId }))));
  await ensureTopics(kit.admin, ownRaw.map((topic) => ({ topic, numPartitions: EXPORTER_RAW_PARTITIONS })));
  const existing = new Set(await kit.admin.listTopics());
  const missing = ownRaw.filter((t) => !existing.has(t));
  if (missing.length > 0) logger.warn({ missing }, 'exporter raw topics not created yet (bin/crosstrace admin acl apply): not read until ingest restarts');
  const { port } = await serveStage(kit, {
    groupId: cfg.CROSSTRACE_INGEST_GROUP_ID, topics: [TOPICS.flowsRaw, TOPICS.sessionsRaw, ...ownRaw.filter((t) => existing.has(t))], fromBeginning: cfg.CROSSTRACE_INGEST_FROM_BEGINNING,
    handle: pipeline.handle, metrics: metrics.stage, stage: 'ingest', port: cfg.CROSSTRACE_INGEST_HTTP_PORT,
    partitionsConcurrently: cfg.CROSSTRACE_INGEST_PARTITIONS_CONCURRENTLY, maxBytesPerPartition: cfg.CROSSTRACE_INGEST_FETCH_BYTES_PER_PARTITION, maxBytes: cfg.CROSSTRACE_INGEST_FETCH_BYTES,
    maxBatchRecords: cfg.CROSSTRACE_INGEST_CHUNK_RECORDS,
  });
  // refresh the exporter-skew gauge once a second
  const collect = setInterval(() => { for (const [id, v] of skew.estimates()) metrics.exporterSkew.set({ exporter: id }, v); }, 1000);
  collect.unref();
  logger.info({ port: port(), brokers: cfg.KAFKA_BROKERS, registry: cfg.SCHEMA_REGISTRY_URL }, 'ingest started');
  return { stop: life.stop, port, lifecycle: life };
}

if (import.meta.url === `file://${process.argv[1]}`) runService('ingest', () => startIngest());

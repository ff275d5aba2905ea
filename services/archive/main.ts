// archive: sessions.norm / flows.norm -> PostgreSQL history (COPY in batches, offsets committed
// after the database commit, idempotent on the record uid).
import { serveStage, startServiceKit } from '../common/service-kit.ts';
import { TOPICS } from '../common/topics.ts';
import { archiveConfig } from './config.ts';
import { openHistoryDb } from '../history/history-db.ts';
import { createHistoryWriter } from './history-writer.ts';
import { createWriteGroup } from './write-group.ts';
import { createArchiveMetrics } from './metrics.ts';
import { createArchivePipeline } from './pipeline.ts';
import { loadProvidersFile } from '../common/provider-directory.ts';
import { retentionPlanOf } from '../history/domain/retention-plan.ts';
import { scheduleRetention } from './retention-schedule.ts';
import { runService } from '../common/lifecycle.ts';

export async function startArchive(env: Record<string, string | undefined> = process.env) {
  const cfg = archiveConfig.parse(env);
  // retention per provider: the registry file's retentionDays, the setting's overrides on top; bad config fails before anything starts
  const plan = retentionPlanOf(loadProvidersFile(cfg.CROSSTRACE_ARCHIVE_PROVIDERS_FILE), cfg.CROSSTRACE_ARCHIVE_PROVIDER_RETENTION, cfg.CROSSTRACE_ARCHIVE_RETENTION_DAYS);
  const metrics = createArchiveMetrics();
  const kit = await startServiceKit({
    service: 'archive', cfg, providersFile: cfg.CROSSTRACE_ARCHIVE_PROVIDERS_FILE, partitions: cfg.CROSSTRACE_ARCHIVE_PARTITIONS,
    subjects: [TOPICS.flowsNorm, TOPICS.sessionsNorm], usesRedis: false,
  });
  const { logger, life, registry, producer } = kit;
  const { pool, applied } = await openHistoryDb({ url: cfg.DATABASE_URL, max: cfg.CROSSTRACE_ARCHIVE_POOL_SIZE, applicationName: 'crosstrace-archive', migrate: true })
    .catch(async (e: unknown) => { await life.stop(); throw e; });
  life.onStop('postgres', () => pool.end());
  if (applied.length > 0) logger.info({ applied }, 'history store migrations applied');
  // /healthz is truthful about the database: a ping every 5 s, and every batch write, set it
  let dbOk = true;
  const ping = setInterval(() => {
    pool.query('SELECT 1').then(() => { dbOk = true; metrics.databaseUp.set(1); }, () => { dbOk = false; metrics.databaseUp.set(0); });
  }, 5_000);
  ping.unref();
  life.onStop('database-ping', () => clearInterval(ping));
  metrics.databaseUp.set(1);
  const retention = scheduleRetention({
    pool, plan,
    everyMs: cfg.CROSSTRACE_ARCHIVE_RETENTION_EVERY_MS, firstAfterMs: 60_000, metrics, logger,
  });
  life.onStop('retention', () => retention.stop());
  const writer = createHistoryWriter(pool);
  const grouped = cfg.CROSSTRACE_ARCHIVE_TRANSACTION_ROWS > 0
    ? createWriteGroup({ writeMany: (bs) => writer.writeMany(bs), maxRows: cfg.CROSSTRACE_ARCHIVE_TRANSACTION_ROWS, inFlight: cfg.CROSSTRACE_ARCHIVE_TRANSACTIONS })
    : writer;
  const pipeline = createArchivePipeline({ writer: grouped, registry, producer, metrics, logger });
  const { port } = await serveStage(kit, {
    groupId: cfg.CROSSTRACE_ARCHIVE_GROUP_ID, topics: [TOPICS.sessionsNorm, TOPICS.flowsNorm], fromBeginning: cfg.CROSSTRACE_ARCHIVE_FROM_BEGINNING,
    handle: pipeline.handle, metrics: metrics.stage, stage: 'archive', port: cfg.CROSSTRACE_ARCHIVE_HTTP_PORT,
    maxBytesPerPartition: cfg.CROSSTRACE_ARCHIVE_FETCH_BYTES_PER_PARTITION, maxBytes: cfg.CROSSTRACE_ARCHIVE_FETCH_BYTES, minBytes: cfg.CROSSTRACE_ARCHIVE_FETCH_MIN_BYTES,
    maxWaitTimeInMs: cfg.CROSSTRACE_ARCHIVE_FETCH_WAIT_MS, maxBatchRecords: cfg.CROSSTRACE_ARCHIVE_BATCH_RECORDS,
    health: () => ({ database: dbOk ? 'ready' : 'unreachable', ...(dbOk ? {} : { ok: false }) }),
  });
  logger.info({ port: port() }, 'archive started');
  return { stop: life.stop, port, lifecycle: life, pool, runRetention: retention.runNow };
}

if (import.meta.url === `file://${process.argv[1]}`) runService('archive', () => startArchive());

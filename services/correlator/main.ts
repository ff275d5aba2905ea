// correlator: flows.norm / sessions.norm -> Redis windows (index + probe waiters) -> trace.hops.
import { serveStage, startServiceKit } from '../common/service-kit.ts';
import { TOPICS } from '../common/topics.ts';
import { createWindowStore } from '../join/window-store.ts';
import { createFlowMarks } from '../join/flow-marks.ts';
import { joinSettingsOf } from '../join/join-config.ts';
import { markStateBuilt, rebuildWindows, redisStateLost, takeWindowsAsBuilt } from '../join/state-rebuild.ts';
import { correlatorConfig } from './config.ts';
import { createCorrelatorMetrics } from './metrics.ts';
import { createCorrelatorPipeline } from './pipeline.ts';
import { runService } from '../common/lifecycle.ts';

export async function startCorrelator(env: Record<string, string | undefined> = process.env) {
  const cfg = correlatorConfig.parse(env);
  const join = joinSettingsOf(cfg, 'CROSSTRACE_CORRELATOR_');
  const metrics = createCorrelatorMetrics();
  const kit = await startServiceKit({
    service: 'correlator', cfg, providersFile: cfg.CROSSTRACE_CORRELATOR_PROVIDERS_FILE, partitions: cfg.CROSSTRACE_CORRELATOR_PARTITIONS,
    subjects: [TOPICS.flowsNorm, TOPICS.sessionsNorm, TOPICS.traceHops],
  });
  const { logger, life, directory, registry, redis, producer, kafka, admin } = kit;
  const store = createWindowStore(redis, { retentionMs: join.retentionMs, sessionRetentionMs: join.settings.maxSessionAgeMs });
  const marks = createFlowMarks(redis);
  // a Redis that lost its windows (FLUSHALL, no AOF, a new instance) gets them back from Kafka
  const rebuild = cfg.CROSSTRACE_CORRELATOR_REBUILD_EMPTY_REDIS
    ? async () => { await rebuildWindows({ kafka, admin, redis, store, flowMarks: { registry, marks }, retentionMs: join.retentionMs, sessionRetentionMs: join.settings.maxSessionAgeMs,
      fetchBytes: cfg.CROSSTRACE_CORRELATOR_REBUILD_FETCH_BYTES, flushEvents: cfg.CROSSTRACE_CORRELATOR_REBUILD_BATCH_EVENTS, onProgress: (p) => {
      metrics.rebuildEvents.set(p.events); metrics.rebuildRemaining.set(p.done ? 0 : p.remaining); metrics.rebuildRate.set(p.perSecond);
      logger.info(p, p.done ? 'windows rebuilt' : 'rebuilding windows');
    } }); }
    : () => takeWindowsAsBuilt(redis);
  if (!(await redisStateLost(redis, admin))) await markStateBuilt(redis);
  const pipeline = createCorrelatorPipeline({
    store, marks,
    registry, producer, directory, metrics, logger,
    settings: join.settings, hopsRemembered: cfg.CROSSTRACE_CORRELATOR_HOPS_REMEMBERED,
    liveRetention: { flowMs: join.retentionMs, sessionMs: Math.max(join.retentionMs, join.settings.maxSessionAgeMs) },
    ...(cfg.CROSSTRACE_CORRELATOR_ARCHIVE_ANSWERS_OLD ? { archiveAnswersOlderThanMs: join.retentionMs } : {}),
  });
  const { port } = await serveStage(kit, {
    groupId: cfg.CROSSTRACE_CORRELATOR_GROUP_ID, topics: [TOPICS.flowsNorm, TOPICS.sessionsNorm], fromBeginning: cfg.CROSSTRACE_CORRELATOR_FROM_BEGINNING,
    handle: pipeline.handle, metrics: metrics.stage, stage: 'correlate', port: cfg.CROSSTRACE_CORRELATOR_HTTP_PORT,
    maxBytesPerPartition: cfg.CROSSTRACE_CORRELATOR_FETCH_BYTES_PER_PARTITION, maxBytes: cfg.CROSSTRACE_CORRELATOR_FETCH_BYTES,
    stateGuard: { what: 'windows', lost: () => redisStateLost(redis, admin), recover: rebuild },
  });
  const sample = setInterval(() => {
    void Promise.all([redis.info('memory'), redis.dbsize()]).then(([info, keys]) => {
      metrics.redisMemory.set(Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0));
      metrics.redisKeys.set(keys);
    }, () => undefined);
  }, 5_000);
  sample.unref();
  life.onStop('redis-sampler', () => clearInterval(sample));
  logger.info({ port: port() }, 'correlator started');
  return { stop: life.stop, port, lifecycle: life };
}

if (import.meta.url === `file://${process.argv[1]}`) runService('correlator', () => startCorrelator());

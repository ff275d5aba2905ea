// correlator: flows.norm / sessions.norm -> Redis windows (index + probe waiters) -> trace.hops.
import { createConsumerLoop } from '../common/kafka.ts';
import { startServiceKit } from '../common/service-kit.ts';
import { startOpsServer } from '../common/http-server.ts';
import { TOPICS } from '../common/topics.ts';
import { createWindowStore } from '../common/window-store.ts';
import { joinSettingsOf } from '../common/join-config.ts';
import { correlatorConfig } from './config.ts';
import { createCorrelatorMetrics } from './metrics.ts';
import { createCorrelatorPipeline } from './pipeline.ts';

export async function startCorrelator(env: Record<string, string | undefined> = process.env) {
  const cfg = correlatorConfig.parse(env);
  const join = joinSettingsOf(cfg, 'CROSSTRACE_CORRELATOR_');
  const metrics = createCorrelatorMetrics();
  const { logger, life, directory, kafka, registry, redis, producer } = await startServiceKit({
    service: 'correlator', cfg, providersFile: cfg.CROSSTRACE_CORRELATOR_PROVIDERS_FILE, partitions: cfg.CROSSTRACE_CORRELATOR_PARTITIONS,
    subjects: [TOPICS.flowsNorm, TOPICS.sessionsNorm, TOPICS.traceHops],
  });
  const pipeline = createCorrelatorPipeline({
    store: createWindowStore(redis, { retentionMs: join.retentionMs }),
    registry, producer, directory, metrics, logger,
    settings: join.settings,
  });
  const loop = createConsumerLoop({
    kafka, groupId: cfg.CROSSTRACE_CORRELATOR_GROUP_ID, topics: [TOPICS.flowsNorm, TOPICS.sessionsNorm],
    fromBeginning: cfg.CROSSTRACE_CORRELATOR_FROM_BEGINNING, handle: pipeline.handle, logger, metrics: metrics.stage, stage: 'correlate',
  });
  const ops = await startOpsServer({
    port: cfg.CROSSTRACE_CORRELATOR_HTTP_PORT, registry: metrics.stage.registry,
    health: () => ({ ok: loop.running() && redis.status === 'ready', consumer: loop.running(), redis: redis.status }),
  });
  life.onStop('ops-server', () => ops.close());
  const sample = setInterval(() => {
    void Promise.all([redis.info('memory'), redis.dbsize()]).then(([info, keys]) => {
      metrics.redisMemory.set(Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0));
      metrics.redisKeys.set(keys);
    }, () => undefined);
  }, 5_000);
  sample.unref();
  life.onStop('redis-sampler', () => clearInterval(sample));
  life.onStop('consumer', () => loop.stop());
  await loop.start();
  logger.info({ port: ops.port() }, 'correlator started');
  return { stop: life.stop, port: ops.port, lifecycle: life };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  startCorrelator().then((s) => s.lifecycle.installSignalHandlers(), (e: unknown) => {
    console.error(`correlator failed to start: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}

// tracer: trace.requests / trace.hops -> chain state (Redis) -> trace.updates, trace.state,
// signed trace.updates.<CC>, audit.disclosures.
import { serveStage, startServiceKit } from '../common/service-kit.ts';
import { createTransactionalProducer } from '../common/kafka.ts';
import { TOPICS } from '../common/topics.ts';
import { createWindowStore } from '../join/window-store.ts';
import { joinSettingsOf } from '../join/join-config.ts';
import { createChainStore } from './chain-store.ts';
import { tracerConfig } from './config.ts';
import { loadSigningKeyFile, retiredKeyIds } from './signing-key-file.ts';
import { createTracerEngine } from './engine.ts';
import { createFlowMarks } from '../join/flow-marks.ts';
import { createTracerMetrics } from './metrics.ts';
import { createPublisher } from './publisher.ts';
import { readAuditHead } from './audit-head.ts';
import { chainStateLost, markChainsBuiltUnlessLost, recoverChains } from './chain-rebuild.ts';
import { createTracerPipeline } from './pipeline.ts';
import { openHistoryDb } from '../history/history-db.ts';
import { createHistorySource } from './history-lookup.ts';
import { runService } from '../common/lifecycle.ts';

export async function startTracer(env: Record<string, string | undefined> = process.env) {
  const cfg = tracerConfig.parse(env);
  const join = joinSettingsOf(cfg, 'CROSSTRACE_TRACER_');
  const metrics = createTracerMetrics();
  const key = loadSigningKeyFile(cfg.CROSSTRACE_TRACER_SIGNING_KEY_FILE, { create: cfg.CROSSTRACE_DEMO, trustFile: cfg.CROSSTRACE_TRACER_TRUST_FILE });
  const kit = await startServiceKit({
    service: 'tracer', cfg, providersFile: cfg.CROSSTRACE_TRACER_PROVIDERS_FILE, partitions: cfg.CROSSTRACE_TRACER_PARTITIONS,
    subjects: [TOPICS.traceRequests, TOPICS.traceHops, TOPICS.traceUpdates, TOPICS.traceState, TOPICS.audit, TOPICS.flowsNorm, TOPICS.sessionsNorm],
  });
  const { logger, life, directory, registry, redis, admin, producer, kafka } = kit;
  // the publisher writes views and audit records in transactions, one writer per node
  const txId = cfg.CROSSTRACE_TRACER_TRANSACTIONAL_ID || `crosstrace-tracer-${cfg.CROSSTRACE_TRACER_NODE_ID}`;
  const publisher = await createPublisher({
    newProducer: () => createTransactionalProducer(kafka, txId), readHead: (topic) => readAuditHead({ kafka, admin, registry, topic }),
    admin, registry, directory, key, metrics,
    retiredKeyIds: retiredKeyIds(cfg.CROSSTRACE_TRACER_SIGNING_KEY_FILE, key.keyId, cfg.CROSSTRACE_TRACER_TRUST_FILE),
  });
  // closed after the consumer and the ticker (closers run last-registered first): no new
  // publish starts; the ones under way finish their transaction before the producer goes
  life.onStop('transactional producer', async () => { await publisher.drain(); await publisher.close(); });
  // after a key rotation: every audit chain a retired key signed last gets a rotation record
  // before anything else is published (a chain with no disclosure since is closed to it too)
  const sealed = await publisher.sealChains().catch(async (e: unknown) => { await life.stop(); throw e; });
  if (sealed.length > 0) logger.info({ audiences: sealed, signerKeyId: key.keyId }, 'key rotation recorded in the audit chains');
  const chains = createChainStore(redis);
  // the archive, when configured: migrations applied here too (idempotent), so either service may start first
  let archive;
  if (cfg.DATABASE_URL) {
    const { pool } = await openHistoryDb({ url: cfg.DATABASE_URL, max: 4, applicationName: 'crosstrace-tracer', migrate: true })
      .catch(async (e: unknown) => { await life.stop(); throw e; });
    life.onStop('postgres', () => pool.end());
    archive = {
      source: createHistorySource(pool), liveRetentionMs: join.retentionMs, recheckEveryMs: cfg.CROSSTRACE_TRACER_ARCHIVE_RECHECK_MS, rechecked: new Map<string, number>(),
      reads: metrics.archiveReads, readSeconds: metrics.archiveReadSeconds, hops: metrics.archiveHops,
    };
  }
  const engine = createTracerEngine({
    chains,
    store: createWindowStore(redis, { retentionMs: join.retentionMs, sessionRetentionMs: join.settings.maxSessionAgeMs, maxWaitersPerKey: cfg.CROSSTRACE_TRACER_MAX_WAITERS_PER_KEY }),
    registry, directory, publisher, metrics, logger, stallAfterMs: cfg.CROSSTRACE_TRACER_STALL_AFTER_MS, liveRefreshMs: cfg.CROSSTRACE_TRACER_LIVE_REFRESH_MS,
    flowExportLagMs: cfg.CROSSTRACE_TRACER_FLOW_EXPORT_LAG_MS, marks: createFlowMarks(redis),
    settings: join.settings, archive,
  });
  await markChainsBuiltUnlessLost(redis, admin);
  const pipeline = createTracerPipeline({ engine, registry, producer, metrics, logger });
  let ticking = false;
  const ticker = setInterval(() => {
    if (ticking || life.stopping) return;
    ticking = true;
    engine.tick().catch((e: unknown) => logger.warn({ err: e }, 'tick failed; retrying next tick')).finally(() => { ticking = false; });
  }, cfg.CROSSTRACE_TRACER_TICK_MS);
  life.onStop('ticker', () => clearInterval(ticker));
  const { port } = await serveStage(kit, {
    groupId: cfg.CROSSTRACE_TRACER_GROUP_ID, topics: [TOPICS.traceRequests, TOPICS.traceHops], fromBeginning: cfg.CROSSTRACE_TRACER_FROM_BEGINNING,
    handle: pipeline.handle, metrics: metrics.stage, stage: 'trace', port: cfg.CROSSTRACE_TRACER_HTTP_PORT,
    health: () => ({ ...publisher.health(), ...engine.health(), node: cfg.CROSSTRACE_TRACER_NODE_ID, signerKeyId: key.keyId }),
    stateGuard: {
      what: 'chains', lost: () => chainStateLost(redis, admin),
      recover: () => recoverChains({ kafka, admin, redis, registry, chains, engine, directory, logger, stopping: () => life.stopping }),
    },
  });
  logger.info({ port: port(), node: cfg.CROSSTRACE_TRACER_NODE_ID, signerKeyId: key.keyId }, 'tracer started');
  return { stop: life.stop, port, lifecycle: life, keyId: key.keyId, publicKey: key.publicKey };
}

if (import.meta.url === `file://${process.argv[1]}`) runService('tracer', () => startTracer());

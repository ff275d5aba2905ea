// gateway: HTTPS API for partner nodes: open / extend / close traces (TraceRequests on
// trace.requests), each jurisdiction's verified views (GET and a server-sent event stream),
// preservation orders, OpenAPI at /openapi.json; /metrics and /healthz on a separate ops port.
// Reads config, builds adapters, wires the follower and the API server, handles SIGTERM.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { TraceRequest } from '../../schemas/types.gen.ts';
import { resolveKafkaSecurity } from '../common/kafka-security.ts';
import { createKafka, createProducer, ensureTopics } from '../common/kafka.ts';
import { createLifecycle, runService } from '../common/lifecycle.ts';
import { createLogger } from '../common/logger.ts';
import { startOpsServer } from '../common/http-server.ts';
import { createRegistryClient } from '../common/registry.ts';
import { TOPICS, jurisdictionTopic, pipelineTopics } from '../common/topics.ts';
import { createReloadingTrust } from '../partner/trust-file.ts';
import { gatewayConfig } from './config.ts';
import { createRequestQuota } from './request-quota.ts';
import { followTraces } from './follower.ts';
import { createGatewayMetrics } from './metrics.ts';
import { DEFAULT_OPEN_LIMITS } from '../partner/domain/open-request.ts';
import { preservationFromEnv } from './preservation-store.ts';
import { buildApi } from './api-server.ts';
import { requestLogFields } from './request-log.ts';
import { assertNoPrivateKey, loadTokenFile, reloadingTokenTable } from './token-file.ts';
import { createTokenTable, type TokenTable } from './tokens.ts';
import { createTraceBook } from './trace-book.ts';

export async function startGateway(env: Record<string, string | undefined> = process.env) {
  const cfg = gatewayConfig.parse(env);
  const logger = createLogger('gateway', cfg.LOG_LEVEL);
  const life = createLifecycle(logger);
  const metrics = createGatewayMetrics();
  let tokens: TokenTable;
  if (cfg.CROSSTRACE_GATEWAY_TOKENS) tokens = createTokenTable(cfg.CROSSTRACE_GATEWAY_TOKENS);
  else {
    const file = loadTokenFile(cfg.CROSSTRACE_GATEWAY_TOKENS_FILE, { demo: cfg.CROSSTRACE_DEMO, jurisdictions: cfg.CROSSTRACE_GATEWAY_JURISDICTIONS });
    if (file.created) logger.warn({ file: cfg.CROSSTRACE_GATEWAY_TOKENS_FILE }, 'demo: created a token per jurisdiction; hand each partner its own line');
    // re-read on change: `admin partner remove` revokes at once, open streams included
    tokens = reloadingTokenTable(cfg.CROSSTRACE_GATEWAY_TOKENS_FILE, file.entries, (problem) => logger.warn({ problem }, 'tokens file'));
  }
  const ccs = tokens.jurisdictions();
  assertNoPrivateKey(cfg.CROSSTRACE_GATEWAY_TRUSTED_KEYS_FILE);
  const tls = cfg.CROSSTRACE_GATEWAY_TLS_CERT_FILE
    ? { cert: readFileSync(cfg.CROSSTRACE_GATEWAY_TLS_CERT_FILE), key: readFileSync(cfg.CROSSTRACE_GATEWAY_TLS_KEY_FILE) } : undefined;
  const trust = createReloadingTrust(cfg.CROSSTRACE_GATEWAY_TRUSTED_KEYS_FILE);
  if (trust.problem()) logger.warn({ problem: trust.problem() }, 'no trusted node key yet; updates stay unserved until the key file appears');

  const kafka = createKafka({ brokers: cfg.KAFKA_BROKERS, clientId: 'crosstrace-gateway', logger, security: resolveKafkaSecurity(cfg) });
  const registry = createRegistryClient({ url: cfg.SCHEMA_REGISTRY_URL });
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, pipelineTopics(cfg.CROSSTRACE_GATEWAY_PARTITIONS, ccs));
  await admin.disconnect();
  await registry.ensureSubjects([TOPICS.traceRequests, TOPICS.traceState, TOPICS.audit, ...ccs.map(jurisdictionTopic)]);
  const producer = await createProducer(kafka);
  life.onStop('producer', () => producer.disconnect());

  const book = createTraceBook();
  const pruner = setInterval(() => {
    const n = book.prune(Date.now(), cfg.CROSSTRACE_GATEWAY_KEEP_ENDED_MS);
    if (n > 0) logger.info({ dropped: n, held: book.size() }, 'dropped traces ended longer ago than CROSSTRACE_GATEWAY_KEEP_ENDED_MS');
  }, 60_000);
  life.onStop('pruner', () => clearInterval(pruner));
  const follower = await followTraces({
    kafka, registry, book, trust, jurisdictions: ccs, auditGraceMs: cfg.CROSSTRACE_GATEWAY_AUDIT_GRACE_MS, metrics, logger,
    groupId: `crosstrace-gateway-${process.pid}-${Date.now().toString(36)}`,
  });
  life.onStop('follower', () => follower.stop());

  const submit = async (req: TraceRequest): Promise<void> => {
    await producer.send({ topic: TOPICS.traceRequests, messages: [{ key: req.traceId, value: registry.encode(TOPICS.traceRequests, req) }] });
    metrics.traceRequests.inc({ action: req.action, jurisdiction: req.requestingJurisdiction });
    metrics.stage.messagesOut.inc({ topic: TOPICS.traceRequests });
    logger.info(requestLogFields(req), 'trace request queued');
  };
  const preservation = await preservationFromEnv(cfg.DATABASE_URL, life).catch(async (e: unknown) => { await life.stop(); throw e; });
  const api = await buildApi({
    tokens, book, submit, preservation, now: Date.now, newTraceId: randomUUID, tls, logger,
    openQuota: createRequestQuota({ perMinute: cfg.CROSSTRACE_GATEWAY_OPENS_PER_MINUTE, burst: cfg.CROSSTRACE_GATEWAY_OPEN_BURST, now: Date.now }),
    changeQuota: createRequestQuota({ perMinute: cfg.CROSSTRACE_GATEWAY_CHANGES_PER_MINUTE, burst: cfg.CROSSTRACE_GATEWAY_CHANGE_BURST, now: Date.now }), maxBodyBytes: cfg.CROSSTRACE_GATEWAY_MAX_BODY_BYTES, heartbeatMs: cfg.CROSSTRACE_GATEWAY_HEARTBEAT_MS,
    maxStreamsPerToken: cfg.CROSSTRACE_GATEWAY_MAX_STREAMS_PER_TOKEN, maxPendingPerStream: cfg.CROSSTRACE_GATEWAY_STREAM_MAX_PENDING,
    limits: { ...DEFAULT_OPEN_LIMITS, futureToleranceMs: cfg.CROSSTRACE_GATEWAY_FUTURE_TOLERANCE_MS, defaultTtlMs: cfg.CROSSTRACE_GATEWAY_DEFAULT_TTL_MS, maxTtlMs: cfg.CROSSTRACE_GATEWAY_MAX_TTL_MS },
    observe: (r, status) => metrics.httpRequests.inc({ route: r, status: String(status) }),
    onStream: (cc, delta) => metrics.streams.inc({ jurisdiction: cc }, delta),
    onStreamOverflow: (cc) => metrics.streamsCut.inc({ jurisdiction: cc }),
  });
  await api.listen({ port: cfg.CROSSTRACE_GATEWAY_API_PORT, host: cfg.CROSSTRACE_GATEWAY_HOST });
  life.onStop('api', () => api.close());
  const ops = await startOpsServer({
    port: cfg.CROSSTRACE_GATEWAY_HTTP_PORT, host: cfg.CROSSTRACE_OPS_HOST, registry: metrics.stage.registry,
    health: () => ({ ok: follower.running(), follower: follower.running(), caughtUp: follower.caughtUp(), lagging: follower.lagging(), trustedKeys: trust.keys.size, jurisdictions: ccs, ...book.size() }),
  });
  life.onStop('ops', () => ops.close());
  const apiPort = () => (api.server.address() as AddressInfo).port;
  const apiUrl = () => `${tls ? 'https' : 'http'}://${cfg.CROSSTRACE_GATEWAY_HOST.includes(':') ? `[${cfg.CROSSTRACE_GATEWAY_HOST}]` : cfg.CROSSTRACE_GATEWAY_HOST}:${apiPort()}`;
  logger.info({ api: apiUrl(), tls: Boolean(tls), opsPort: ops.port(), jurisdictions: ccs, trustedKeys: [...trust.keys.keys()] }, 'gateway started');
  return { stop: life.stop, port: apiPort, url: apiUrl, opsPort: ops.port, lifecycle: life, caughtUp: () => follower.caughtUp() };
}

if (import.meta.url === `file://${process.argv[1]}`) runService('gateway', () => startGateway());

// simulator: realistic multi-jurisdiction provider traffic with ground truth. Reads config and
// the scenario, builds the world and timeline, writes the ground truth, produces raw events
// to flows.raw / sessions.raw (and, if configured, the TraceRequests to trace.requests) in
// real time, prints a progress line every second, stops after the run or on SIGTERM.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { resolveKafkaSecurity } from '../common/kafka-security.ts';
import { createKafka, createProducer, ensureTopics } from '../common/kafka.ts';
import { createLifecycle } from '../common/lifecycle.ts';
import { createLogger } from '../common/logger.ts';
import { startOpsServer } from '../common/http-server.ts';
import { createProviderDirectory, loadProvidersFile } from '../common/provider-directory.ts';
import { createRegistryClient } from '../common/registry.ts';
import { TOPICS, pipelineTopics } from '../common/topics.ts';
import { simulatorConfig } from './config.ts';
import { groundTruthOf, type GroundTruth } from './ground-truth.ts';
import { createSimulatorMetrics } from './metrics.ts';
import { createProduceLoop } from './produce-loop.ts';
import { createProgressWriter, formatProgress } from './progress.ts';
import { loadScenarioFile } from './scenario-validate.ts';
import { handedOver } from './handover.ts';
import { createTimeline } from './timeline.ts';
import { buildWorld, runSeed } from './world.ts';
import { loadWireDevices } from './wire-devices.ts';
import { createWireOutput } from './wire-output.ts';
import { wireTruth } from './wire-truth.ts';

function writeJson(path: string, data: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.tmp`, `${JSON.stringify(data, null, 2)}\n`);
  renameSync(`${path}.tmp`, path); // readers never see a half-written file
}

export async function startSimulator(env: Record<string, string | undefined> = process.env) {
  const cfg = simulatorConfig.parse(env);
  const logger = createLogger('simulator', cfg.LOG_LEVEL);
  const life = createLifecycle(logger);
  const metrics = createSimulatorMetrics();
  const directory = createProviderDirectory(loadProvidersFile(cfg.CROSSTRACE_SIMULATOR_PROVIDERS_FILE));
  const seedChoice = cfg.CROSSTRACE_SIMULATOR_SEED;
  const loaded = loadScenarioFile(cfg.CROSSTRACE_SIMULATOR_SCENARIO_FILE, directory, {
    seed: typeof seedChoice === 'number' ? seedChoice : undefined,
    durationMs: cfg.CROSSTRACE_SIMULATOR_DURATION_MS > 0 ? cfg.CROSSTRACE_SIMULATOR_DURATION_MS : undefined,
    eventsPerSecond: cfg.CROSSTRACE_SIMULATOR_RATE >= 0 ? cfg.CROSSTRACE_SIMULATOR_RATE : undefined,
  });
  const truthPath = cfg.CROSSTRACE_SIMULATOR_GROUND_TRUTH_FILE || `.stack/ground-truth/${loaded.name}.json`;
  const kafka = createKafka({ brokers: cfg.KAFKA_BROKERS, clientId: 'crosstrace-simulator', logger, security: resolveKafkaSecurity(cfg) });
  const registry = createRegistryClient({ url: cfg.SCHEMA_REGISTRY_URL });
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, pipelineTopics(cfg.CROSSTRACE_SIMULATOR_PARTITIONS, []));
  await admin.disconnect();
  await registry.ensureSubjects([TOPICS.flowsRaw, TOPICS.sessionsRaw, TOPICS.traceRequests]);
  const producer = await createProducer(kafka);
  life.onStop('producer', () => producer.disconnect());

  // Event time starts now (or PAST_MS ago: a handover of past records): the world is built for this instant.
  const past = cfg.CROSSTRACE_SIMULATOR_PAST_MS;
  const t0 = Date.now() - past;
  const runId = t0.toString(36);
  const scenario = seedChoice === 'run' ? { ...loaded, seed: runSeed(loaded.seed, runId) } : loaded;
  const world = buildWorld(scenario, directory, t0, runId);
  const timeline = past > 0 ? handedOver(createTimeline(world), world) : createTimeline(world);
  const rate = timeline.background.rate;
  const wiring = cfg.CROSSTRACE_SIMULATOR_OUTPUT === 'wire' ? loadWireDevices(cfg.CROSSTRACE_SIMULATOR_WIRE_DEVICES_FILE) : null;
  const avroTruth: GroundTruth = groundTruthOf({ scenario, runId, t0, rate, traces: timeline.chains.map((c) => c.truth) });
  const truth = wiring ? wireTruth(avroTruth, wiring) : avroTruth;
  writeJson(truthPath, truth);
  const wire = wiring && await createWireOutput({
    ...wiring, collectorHost: cfg.CROSSTRACE_SIMULATOR_COLLECTOR_HOST, ipfixPort: cfg.CROSSTRACE_SIMULATOR_IPFIX_PORT, radiusPort: cfg.CROSSTRACE_SIMULATOR_RADIUS_PORT,
    deviceClock: (id, ms) => ms + (world.exporters.get(id)?.clockSkewMs ?? 0), logger,
  });
  if (wire) {
    life.onStop('wire', async () => { // RADIUS answers still due come in before the sockets close
      for (let i = 0; i < 100 && wire.unanswered() > 0; i++) await new Promise((r) => setTimeout(r, 100));
      logger.info({ wire: wire.stats(), unanswered: wire.unanswered() }, 'wire output closed');
      await wire.close();
    });
  }
  metrics.targetRate.set(rate);

  const until = t0 + scenario.durationMs;
  const loop = createProduceLoop({
    producer, registry, timeline, requests: cfg.CROSSTRACE_SIMULATOR_OPEN_TRACE && past === 0 ? truth.traces.map((t) => t.request) : [], until,
    tickMs: cfg.CROSSTRACE_SIMULATOR_TICK_MS, maxBatch: cfg.CROSSTRACE_SIMULATOR_MAX_BATCH, maxInFlight: cfg.CROSSTRACE_SIMULATOR_MAX_IN_FLIGHT, metrics, logger,
    ...(past > 0 ? { clock: () => until, drainMs: 120_000 } : {}), // a handover: the whole run at once, all of it delivered
    ...(wire ? { wire } : {}),
  });
  const ops = await startOpsServer({
    port: cfg.CROSSTRACE_SIMULATOR_HTTP_PORT, host: cfg.CROSSTRACE_OPS_HOST, registry: metrics.stage.registry,
    health: () => { const s = loop.stats(); return { ok: !s.failing, scenario: scenario.name, runId, lagMs: s.lagMs, produced: s.produced, ...(wire ? { wire: wire.stats() } : {}) }; },
  });
  life.onStop('ops-server', () => ops.close());

  const progress = createProgressWriter(cfg.CROSSTRACE_SIMULATOR_PROGRESS);
  const startedAt = Date.now();
  let last = { at: startedAt, total: 0 };
  /** One progress line: the rate over the last second, or over the whole run for the final line. */
  const report = (final = false): void => {
    const s = loop.stats();
    const total = Object.values(s.produced).reduce((a, b) => a + b, 0);
    const now = Date.now();
    const from = final ? { at: startedAt, total: 0 } : last;
    progress.write(formatProgress({
      scenario: scenario.name, elapsedMs: now - startedAt, durationMs: scenario.durationMs, rate: ((total - from.total) * 1000) / Math.max(1, now - from.at),
      targetRate: rate, total, byTopic: s.produced, lagMs: s.lagMs, backlog: s.backlog, tracesOpened: s.tracesOpened,
    }));
    last = { at: now, total };
  };
  const progressTimer = setInterval(() => report(), 1000);
  let finished: Promise<void> | undefined;
  const finish = (): Promise<void> => (finished ??= (async () => {
    clearInterval(progressTimer);
    await loop.stop();
    report(true);
    progress.end();
    const s = loop.stats();
    writeJson(truthPath, { ...truth, run: { stoppedAt: Date.now(), produced: s.produced, traceRequestsProduced: s.tracesOpened } });
  })());
  life.onStop('produce-loop', finish);

  logger.info({ scenario: scenario.name, runId, seed: scenario.seed, rate, durationMs: scenario.durationMs, groundTruth: truthPath, traces: truth.traces.map((t) => t.traceId),
    openTrace: cfg.CROSSTRACE_SIMULATOR_OPEN_TRACE, port: ops.port(), brokers: cfg.KAFKA_BROKERS,
    output: wire ? `wire: IPFIX to ${cfg.CROSSTRACE_SIMULATOR_COLLECTOR_HOST}:${cfg.CROSSTRACE_SIMULATOR_IPFIX_PORT}, RADIUS to :${cfg.CROSSTRACE_SIMULATOR_RADIUS_PORT}` : 'avro' }, 'simulator started');
  const done = loop.run().then(async () => {
    logger.info({ produced: loop.stats().produced }, life.stopping ? 'run stopped before its end' : 'run complete');
    if (cfg.CROSSTRACE_SIMULATOR_EXIT_WHEN_DONE) await life.stop();
    else await finish();
  });
  return { stop: life.stop, port: ops.port, lifecycle: life, done, truthPath, truth };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  startSimulator().then((s) => {
    s.lifecycle.installSignalHandlers();
    void s.done.then(() => { if (s.lifecycle.stopping) process.exit(0); });
  }, (e: unknown) => {
    console.error(`simulator failed to start: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}

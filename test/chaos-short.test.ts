// `make chaos` in short, inside `make test`: the simulator's traffic with three traced attack
// chains and ground truth; meanwhile a kill -9 of the tracer (a process of its own, started
// again) and a restart of Redis (its own, with the AOF every stack form runs: a container under
// testcontainers, a redis-server process otherwise). Then the same checks as make chaos
// (deploy/chaos/checks.ts) on what trace.updates, trace.updates.<CC> and audit.disclosures hold:
// every chain the true one, no update lost, none duplicated, no audit fork.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import { afterAll, describe, expect, it } from 'vitest';
import { judge, type Verdict } from '../deploy/chaos/checks.ts';
import { endOffsets, observedTopics, readObserved } from '../deploy/chaos/observe.ts';
import { chaosScenario } from '../deploy/chaos/scenario.ts';
import { commitAtEnd } from '../services/common/group-start.ts';
import { STATE_MARKER } from '../services/join/state-rebuild.ts';
import { TOPICS } from '../services/common/topics.ts';
import { startCorrelator } from '../services/correlator/main.ts';
import { startIngest } from '../services/ingest/main.ts';
import { startSimulator } from '../services/simulator/main.ts';
import { CHAINS_MARKER } from '../services/tracer/chain-rebuild.ts';
import { pipelineReady, serviceEnv, uniqueGroup, waitHealthy } from './support/services.ts';
import { stackEndpoints } from './support/stack.ts';

const ROOT = resolve(import.meta.dirname, '..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const freePort = () => new Promise<number>((ok) => { const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address() as { port: number }; s.close(() => ok(port)); }); });

/** A Redis of this test's own (AOF on), which it can restart: the stack's is shared. */
async function ownRedis(dir: string): Promise<{ url: string; restart(): Promise<void>; stop(): Promise<void> }> {
  const port = await freePort();
  const args = ['--port', '6379', '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '', '--protected-mode', 'no'];
  if (stackEndpoints().mode === 'testcontainers') {
    // a fixed host port: a restarted container keeps it, so the services' REDIS_URL stays right
    const c: StartedTestContainer = await new GenericContainer(process.env.CROSSTRACE_REDIS_IMAGE || 'redis:7')
      .withCommand(['redis-server', '--bind', '0.0.0.0', ...args]).withExposedPorts({ container: 6379, host: port })
      .withLabels({ 'org.crosstrace.stack': 'integration' }).withWaitStrategy(Wait.forLogMessage(/Ready to accept connections/)).start();
    return { url: `redis://127.0.0.1:${port}`, restart: () => c.restart(), stop: async () => { await c.stop(); } };
  }
  let proc: ChildProcess | undefined;
  const start = async () => {
    proc = spawn('redis-server', ['--bind', '127.0.0.1', ...args.map((a) => (a === '6379' ? String(port) : a)), '--dir', dir], { stdio: 'ignore' });
    const r = new Redis(`redis://127.0.0.1:${port}`, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    for (let i = 0; i < 100; i++) { try { await r.connect(); await r.ping(); break; } catch { await sleep(100); } }
    r.disconnect();
  };
  const stop = async () => { const p = proc; if (p && p.exitCode === null) { p.kill('SIGTERM'); await new Promise((ok) => p.once('exit', ok)); } };
  await start();
  return { url: `redis://127.0.0.1:${port}`, restart: async () => { await stop(); await start(); }, stop };
}

describe.skipIf(stackEndpoints().mode === 'external')('chaos, short: kill -9 of the tracer and a Redis restart under simulated traffic', () => {
  const stops: (() => Promise<void>)[] = [];
  afterAll(async () => { for (const s of stops.reverse()) await s().catch(() => undefined); });

  it('every chain is the true one; nothing lost, duplicated or forked', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ct-chaos-'));
    const redis = await ownRedis(dir);
    stops.push(redis.stop);
    // a new deployment: this Redis starts empty on purpose, nothing to rebuild from earlier tests
    const r = new Redis(redis.url);
    await r.mset(STATE_MARKER, new Date().toISOString(), CHAINS_MARKER, new Date().toISOString());
    r.disconnect();

    const stack = stackEndpoints();
    const { kafka, registry } = await pipelineReady(stack, 'chaos-short', [TOPICS.flowsRaw, TOPICS.sessionsRaw, TOPICS.traceRequests, TOPICS.traceUpdates, TOPICS.audit]);
    const admin = kafka.admin();
    await admin.connect();
    stops.push(() => admin.disconnect());
    // every group starts at the end of its topics (earlier tests' records are not this run's),
    // and a restarted tracer resumes from its commits
    const groups = { INGEST: uniqueGroup('chaos-ingest'), CORRELATOR: uniqueGroup('chaos-correlator'), TRACER: uniqueGroup('chaos-tracer') };
    const reads = { INGEST: [TOPICS.flowsRaw, TOPICS.sessionsRaw], CORRELATOR: [TOPICS.flowsNorm, TOPICS.sessionsNorm], TRACER: [TOPICS.traceRequests, TOPICS.traceHops] };
    for (const [svc, topics] of Object.entries(reads)) await commitAtEnd(admin, groups[svc as keyof typeof groups], topics);
    const from = await endOffsets(admin, await observedTopics(admin));

    const env = (svc: keyof typeof groups, extra: Record<string, string> = {}) => serviceEnv(stack, {
      REDIS_URL: redis.url, [`CROSSTRACE_${svc}_HTTP_PORT`]: '0', [`CROSSTRACE_${svc}_GROUP_ID`]: groups[svc], [`CROSSTRACE_${svc}_MAX_SESSION_AGE_MS`]: '14400000', ...extra,
    });
    const ingest = await startIngest(env('INGEST'));
    const correlator = await startCorrelator(env('CORRELATOR'));
    stops.push(() => ingest.stop(), () => correlator.stop());
    const logFile = join(dir, 'tracer.log');
    const tracerEnv = { CROSSTRACE_TRACER_SIGNING_KEY_FILE: join(dir, 'node.pem'), CROSSTRACE_TRACER_TRANSACTIONAL_ID: uniqueGroup('chaos-tx') };
    let tracer: ChildProcess | undefined;
    const startTracer = async () => {
      const port = await freePort();
      const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', 'services/tracer/main.ts'], {
        cwd: ROOT, env: { ...process.env, ...env('TRACER', { ...tracerEnv, CROSSTRACE_TRACER_HTTP_PORT: String(port) }), KAFKAJS_NO_PARTITIONER_WARNING: '1' },
        stdio: ['ignore', openSync(logFile, 'a'), openSync(logFile, 'a')],
      });
      tracer = child;
      // a tracer that dies starting says why at once, instead of a /healthz that never answers
      const died = new Promise<never>((_, fail) => child.once('exit', (code) => fail(new Error(`the tracer exited (${code}) while starting: ${readFileSync(logFile, 'utf8').slice(-2000)}`))));
      died.catch(() => undefined); // the kill -9 below ends it on purpose
      await Promise.race([waitHealthy(port, 240_000), died]);
    };
    stops.push(async () => { tracer?.kill('SIGKILL'); });
    await startTracer();
    for (const p of [ingest.port(), correlator.port()]) await waitHealthy(p);

    const scenarioFile = join(dir, 'scenario.json');
    writeFileSync(scenarioFile, JSON.stringify(chaosScenario({ chains: 3, rate: 300, firstAttackMs: 10_000, spacingMs: 20_000, durationMs: 100_000, baseFile: join(ROOT, 'deploy/scenarios/default.json') })));
    const sim = await startSimulator(serviceEnv(stack, {
      CROSSTRACE_SIMULATOR_SCENARIO_FILE: scenarioFile, CROSSTRACE_SIMULATOR_GROUND_TRUTH_FILE: join(dir, 'truth.json'), CROSSTRACE_SIMULATOR_OPEN_TRACE: 'true',
      CROSSTRACE_SIMULATOR_HTTP_PORT: '0', CROSSTRACE_SIMULATOR_PROGRESS: 'off', CROSSTRACE_SIMULATOR_EXIT_WHEN_DONE: 'false',
    }));
    stops.push(() => sim.stop());
    const t0 = Date.now();

    // kill -9 of the tracer once the first trace is open (10 s attack + 20 s until it opens)
    await sleep(40_000 - (Date.now() - t0));
    const killed = tracer!;
    killed.kill('SIGKILL');
    await new Promise((ok) => killed.once('exit', ok));
    await startTracer();
    console.log(`chaos-short: tracer killed at ${((Date.now() - t0) / 1000).toFixed(0)} s and healthy again`);
    // Redis restarted at once, while the later traces open and wait for their records
    await redis.restart();
    console.log(`chaos-short: Redis restarted at ${((Date.now() - t0) / 1000).toFixed(0)} s`);

    await sim.done;
    let v: Verdict | undefined;
    for (const until = Date.now() + 150_000; Date.now() < until;) {
      v = judge(sim.truth, await readObserved({ kafka, admin, registry, from }));
      if (v.opened === sim.truth.traces.length && v.correct === v.opened) break;
      await sleep(5_000);
    }
    console.log(`chaos-short: ${v?.correct}/${sim.truth.traces.length} chains correct ${((Date.now() - t0) / 1000).toFixed(0)} s after the start; lost ${v?.lost}, duplicate ${v?.duplicate} (replayed ${v?.replayed}), forks ${v?.forks}`);
    expect({ wrong: Object.fromEntries(v!.wrong), problems: v!.problems }).toEqual({ wrong: {}, problems: [] });
    expect(v).toMatchObject({ opened: sim.truth.traces.length, correct: sim.truth.traces.length, lost: 0, duplicate: 0, forks: 0 });
  }, 420_000);
});

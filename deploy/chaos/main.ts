// make chaos: a fault-injection run on the local-process stack. The services run with their
// own consumer groups; the simulator produces CHAOS_RATE background events/s with CHAOS_CHAINS
// traced attack chains (ground truth in .stack/chaos/ground-truth.json); meanwhile, one at a
// time, each fault of FAULTS hits the stack and the run waits until it recovered (every
// /healthz 200 and the groups' lag back near where it was). After each fault it reads
// trace.updates, trace.updates.<CC> and audit.disclosures (read committed, since the run began)
// and judges them against the ground truth (checks.ts); at the end every chain must be the
// true one, and nothing lost, duplicated, forked or stalled. Prints one row per fault and
//   chaos: F faults, lost 0, duplicate 0, forks 0, stalled 0
// exit 0 when all hold, 1 otherwise.
// Settings (environment): CHAOS_RATE (5000), CHAOS_CHAINS (24), CHAOS_DURATION_MS (the
// simulator's run, the attacks spread over it; default 60 s + 95 s per fault, about as long as
// the faults take),
// CHAOS_FAULTS (all, comma-separated names), CHAOS_SETTLE_MS (30000: traffic between faults,
// also the window a partition must progress in; never under 30 s), CHAOS_RECOVERY_TIMEOUT_MS (180000: from the moment the faulted process answers again),
// CHAOS_FINAL_TIMEOUT_MS (240000: for the last chains to terminate after the faults),
// CHAOS_KEEP_HISTORY (0: flows.norm and sessions.norm are emptied at the start, see below).
import '../../services/common/kafkajs-patch.ts';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { commitAtEnd } from '../../services/common/group-start.ts';
import { kafkajsSecurity, resolveKafkaSecurity } from '../../services/common/kafka-security.ts';
import { readDeadLetter } from '../../services/common/dead-letter.ts';
import { createRegistryClient } from '../../services/common/registry.ts';
import { replayTopics } from '../../services/common/topic-replay.ts';
import { dlqTopic, SERVICE_INPUTS, TOPICS } from '../../services/common/topics.ts';
import type { GroundTruth } from '../../services/simulator/ground-truth.ts';
import { judge, sortUndecided, type Rescored, type Verdict } from './checks.ts';
import { rescoreRun } from './complete-records.ts';
import { createProviderDirectory, loadProvidersFile } from '../../services/common/provider-directory.ts';
import { INPUT_TOPICS, flushRedis, killService, restartComponent, sendPoison, servicesDown, servicesUp, type StackHandles } from './faults.ts';
import { deleteUpToEnd, endOffsets, groupProgress, observedTopics, readObserved, stalledBetween, totalLag, type GroupProgress } from './observe.ts';
import { chaosScenario } from './scenario.ts';

const root = resolve(import.meta.dirname, '../..');
const num = (k: string, d: number): number => {
  const v = process.env[k];
  if (v === undefined || v === '') return d;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${k}=${v} must be a non-negative number`);
  return n;
};
const RATE = num('CHAOS_RATE', 5000);
const CHAINS = num('CHAOS_CHAINS', 24);
const DURATION = num('CHAOS_DURATION_MS', 0);
const SETTLE = num('CHAOS_SETTLE_MS', 30_000);
const RECOVERY_TIMEOUT = num('CHAOS_RECOVERY_TIMEOUT_MS', 180_000);
const FINAL_TIMEOUT = num('CHAOS_FINAL_TIMEOUT_MS', 240_000);
const KEEP_HISTORY = num('CHAOS_KEEP_HISTORY', 0) > 0;
const SERVICES = ['ingest', 'correlator', 'tracer', 'gateway', 'archive', 'collector'] as const;
/** The services that consume in a group, by name, and their input topics (SERVICE_INPUTS). */
const GROUP_TOPICS: Record<string, readonly string[]> = Object.fromEntries(Object.entries(SERVICE_INPUTS).map(([svc, topics]) => [svc.toLowerCase(), topics]));
const GROUP_SERVICES = Object.keys(GROUP_TOPICS);
const base = Number(process.env.SERVICES_PORT_BASE || 9100);
const PORTS: Record<string, number> = { ingest: base + 1, correlator: base + 2, tracer: base + 3, gateway: base + 4, archive: base + 6, collector: base + 7 };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (s: string) => process.stderr.write(`chaos: ${s}\n`);

function stackEnv(): Record<string, string> {
  const text = readFileSync(join(root, '.stack/chaos/stack.env'), 'utf8');
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^export ([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!.replace(/^['"]|['"]$/g, '');
  }
  return out;
}

async function healthy(name: string): Promise<boolean> {
  try { return (await fetch(`http://127.0.0.1:${PORTS[name]}/healthz`, { signal: AbortSignal.timeout(10_000) })).ok; } catch { return false; }
}

interface Row { fault: string; recoveryMs: number | null; v: Verdict; lost: number; duplicate: number; forks: number; stalled: number; note: string }

async function main(): Promise<number> {
  const senv = stackEnv();
  const groupOf = (s: string) => `crosstrace-${s}-chaos`;
  const env: NodeJS.ProcessEnv = {
    ...process.env, ...senv, LOG_LEVEL: process.env.LOG_LEVEL ?? 'info', SERVICES_WAIT_SECONDS: process.env.SERVICES_WAIT_SECONDS ?? '240',
    // a test run: the gateway makes its tokens file (and the tracer its key) when a fresh
    // stack has none yet, as in make demo; without it the gateway does not start
    CROSSTRACE_DEMO: '1',
    // the join's horizons shortened for the run (correlator and tracer agree): a rebuild after
    // a FLUSHALL replays 30 min of flows and 4 h of sessions, not a day and two weeks of them
    CROSSTRACE_CORRELATOR_RETENTION_MS: '1800000', CROSSTRACE_TRACER_RETENTION_MS: '1800000',
    CROSSTRACE_CORRELATOR_MAX_SESSION_AGE_MS: '14400000', CROSSTRACE_TRACER_MAX_SESSION_AGE_MS: '14400000',
  };
  for (const s of GROUP_SERVICES) env[`CROSSTRACE_${s.toUpperCase()}_GROUP_ID`] = groupOf(s);
  const h: StackHandles = { root, env, redisUrl: senv.REDIS_URL!, log };
  const kafka = new Kafka({ clientId: 'crosstrace-chaos', brokers: senv.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING, ...kafkajsSecurity(resolveKafkaSecurity({ KAFKA_CLIENT_PROPERTIES: senv.KAFKA_CLIENT_PROPERTIES ?? '' })) });
  const registry = createRegistryClient({ url: senv.SCHEMA_REGISTRY_URL! });
  const admin = kafka.admin();
  await admin.connect();
  const dir = join(root, '.stack/chaos');
  mkdirSync(dir, { recursive: true });

  log('services (their own groups, crosstrace-<service>-chaos; what the groups have not read yet is read first)');
  await servicesDown(h);
  // the run starts on caught-up groups: what earlier runs left unread is skipped, not replayed
  for (const [svc, topics] of Object.entries(GROUP_TOPICS)) await commitAtEnd(admin, groupOf(svc), topics, { kafka });
  // the rebuild after the FLUSHALL replays flows.norm and sessions.norm from the join's horizon
  // (30 min, 4 h): what earlier runs left there is deleted first, so that each run rebuilds its
  // own records, as on a fresh stack (of two runs in a row, the second's rebuild would replay
  // most of the first run's ~5M flows as well: 3.6M of its own took 193 s, chaos run of 23:30)
  if (!KEEP_HISTORY) log(`deleted ${await deleteUpToEnd(admin, [TOPICS.flowsNorm, TOPICS.sessionsNorm])} records of earlier runs from ${TOPICS.flowsNorm} and ${TOPICS.sessionsNorm} (CHAOS_KEEP_HISTORY=1 keeps them)`);
  // where the run starts reading the trace and audit topics, taken while every service is down:
  // a tracer that starts with chains open from an earlier run publishes their next updates at
  // once, each as one transaction on the audit and view topics, and end offsets read topic by
  // topic while it does could place the audit record after the start and its view before it
  // (the 2026-12-02 run on a stack after `make bench`: "seq 5 audited, not on trace.updates.GB",
  // a trace of the bench's). A topic that does not exist yet is read from its start.
  const before = new Set(await admin.listTopics());
  const from = await endOffsets(admin, (await observedTopics(admin)).filter((t) => before.has(t)));
  await servicesUp(h);
  await registry.ensureSubjects([TOPICS.traceUpdates, TOPICS.audit, ...INPUT_TOPICS]);
  const existing = new Set(await admin.listTopics());
  const dlqTopics = ['ingest', 'correlator', 'tracer', 'archive'].map(dlqTopic).filter((t) => existing.has(t));

  // the attacks spread over the run, the last one traced 60 s before it ends; by default the run
  // lasts as long as the faults are expected to take (each: recovery, then SETTLE of traffic)
  const faultCount = process.env.CHAOS_FAULTS ? process.env.CHAOS_FAULTS.split(',').length : SERVICES.length + 5;
  const durationMs = DURATION || 60_000 + faultCount * (SETTLE + 65_000);
  const SPACING = Math.max(1_000, Math.floor((durationMs - 15_000 - 20_000 - 60_000) / CHAINS));
  const scenarioFile = join(dir, 'scenario.json');
  writeFileSync(scenarioFile, `${JSON.stringify(chaosScenario({ chains: CHAINS, rate: RATE, firstAttackMs: 15_000, spacingMs: SPACING, durationMs, baseFile: join(root, 'deploy/scenarios/default.json') }), null, 2)}\n`);
  const truthFile = join(dir, 'ground-truth.json');
  writeFileSync(truthFile, '');
  const simLog = join(root, '.stack/logs/chaos-simulator.log');
  const simPort = base + 5;
  let sim: ChildProcess | undefined = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', 'services/simulator/main.ts'], {
    cwd: root, stdio: ['ignore', openSync(simLog, 'a'), openSync(simLog, 'a')],
    env: {
      ...env, KAFKA_CLIENT_PROPERTIES: join(root, '.stack/security/clients/simulator.properties'), CROSSTRACE_SIMULATOR_SCENARIO_FILE: scenarioFile,
      CROSSTRACE_SIMULATOR_GROUND_TRUTH_FILE: truthFile, CROSSTRACE_SIMULATOR_OPEN_TRACE: 'true', CROSSTRACE_SIMULATOR_PROGRESS: 'plain',
      CROSSTRACE_SIMULATOR_HTTP_PORT: String(simPort), CROSSTRACE_SIMULATOR_RATE: String(RATE),
    },
  });
  let simExit: number | null = null;
  const stopSim = () => { sim?.kill('SIGTERM'); };
  process.once('exit', stopSim);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => { stopSim(); process.exit(130); });
  sim.once('exit', (code) => { simExit = code ?? -1; sim = undefined; });
  const simStarted = Date.now();
  let truth: GroundTruth | undefined;
  for (let i = 0; i < 600 && !truth; i++) {
    await sleep(200);
    try { truth = JSON.parse(readFileSync(truthFile, 'utf8')) as GroundTruth; } catch { /* not yet */ }
    if (simExit !== null) throw new Error(`the simulator exited (${simExit}) before writing its ground truth; see ${simLog}`);
  }
  if (!truth) throw new Error(`no ground truth from the simulator in 120 s; see ${simLog}`);
  log(`simulator: ${truth.traces.length} traced chains, ${RATE} background events/s for ${durationMs / 1000} s (log ${simLog})`);
  const simProduced = async (): Promise<number> => {
    try {
      const j = await (await fetch(`http://127.0.0.1:${simPort}/healthz`, { signal: AbortSignal.timeout(2000) })).json() as { produced?: Record<string, number> };
      return Object.values(j.produced ?? {}).reduce((a, b) => a + b, 0);
    } catch { return -1; }
  };

  const groups = GROUP_SERVICES.map(groupOf);
  const progress = () => groupProgress(admin, groups).catch(() => [] as GroupProgress[]);
  const allHealthy = async () => (await Promise.all(SERVICES.map(healthy))).every(Boolean);
  let last: Verdict | undefined;
  const rows: Row[] = [];
  const judgeNow = async () => judge(truth!, await readObserved({ kafka, admin, registry, from }));
  const record = async (fault: string, recoveryMs: number | null, stalled: GroupProgress[], note: string) => {
    const v = await judgeNow();
    const p = last ?? { lost: 0, duplicate: 0, forks: 0 };
    rows.push({ fault, recoveryMs, v, lost: v.lost - p.lost, duplicate: v.duplicate - p.duplicate, forks: v.forks - p.forks, stalled: stalled.length, note });
    for (const s of stalled) log(`  stalled: ${s.group} ${s.topic}/${s.partition} committed ${s.committed} end ${s.end}`);
    for (const s of v.problems.slice(last?.problems.length ?? 0)) log(`  ${s}`);
    last = v;
    const recovery = recoveryMs !== null ? `recovered in ${(recoveryMs / 1000).toFixed(1)} s` : fault === '(end of run)' ? 'settled' : 'recovered in NOT RECOVERED';
    log(`${fault}: ${recovery}; chains ${v.correct}/${v.opened} opened correct${v.undecided.size ? ` (+${v.undecided.size} undecided by the evidence)` : ''}; lost ${v.lost}, duplicate ${v.duplicate}, forks ${v.forks}, stalled ${stalled.length}${note ? `; ${note}` : ''}`);
  };
  /** Waits until every service answers /healthz 200 and then every partition that has records
   *  waiting moves on (commits): the pipeline flows again. */
  const recovery = async (t0: number, back: number): Promise<number | null> => {
    let base: Map<string, GroupProgress> | undefined;
    while (Date.now() - back < RECOVERY_TIMEOUT) {
      // (a /healthz slow to answer on a loaded machine does not start the wait over)
      if (!(await allHealthy())) { await sleep(500); continue; }
      const now = await progress();
      if (!base) { base = new Map(now.map((p) => [`${p.group}|${p.topic}/${p.partition}`, p])); continue; }
      const waiting = [...base.values()].filter((p) => p.end > p.committed);
      // moved on, or got nothing new (its lag may be its transactions' control records)
      const moved = (p: GroupProgress) => now.some((q) => q.group === p.group && q.topic === p.topic && q.partition === p.partition && (q.committed > p.committed || q.end === p.end));
      if (waiting.every(moved)) return Date.now() - t0;
      await sleep(500);
    }
    for (const svc of SERVICES) {
      const body = await fetch(`http://127.0.0.1:${PORTS[svc]}/healthz`, { signal: AbortSignal.timeout(2000) }).then((r) => (r.ok ? '' : r.text()), (e: unknown) => String(e));
      if (body) log(`  not recovered: ${svc} /healthz ${body.slice(0, 400)}`);
    }
    return null;
  };
  /** Traffic for SETTLE ms; partitions with lag that did not move in it are stalled. */
  const settle = async (): Promise<GroupProgress[]> => {
    // a partition is stalled when it and its whole group committed nothing for as long as the
    // stages' own rule says (30 s; observe.ts stalledBetween): a shorter window takes a stage
    // that is only slow under load for a stuck one
    const a = await progress();
    await sleep(Math.max(SETTLE, 30_000));
    const stuck = stalledBetween(a, await progress());
    // and what the stages themselves call stalled (stage-health.ts: a partition held by its
    // handler, or the whole stage, with lag and no progress for 30 s)
    for (const svc of GROUP_SERVICES) {
      const body = await fetch(`http://127.0.0.1:${PORTS[svc]}/healthz`, { signal: AbortSignal.timeout(2000) }).then((r) => r.json() as Promise<{ stalled?: { topic: string; partition: number; lag: number }[] }>, () => ({ stalled: [] }));
      for (const s of body.stalled ?? []) {
        if (!stuck.some((x) => x.group === groupOf(svc) && x.topic === s.topic && x.partition === s.partition)) stuck.push({ group: groupOf(svc), topic: s.topic, partition: s.partition, committed: -1, end: s.lag });
      }
    }
    return stuck;
  };

  let poisonMissing = 0;
  type Fault = { name: string; run(): Promise<string> };
  const faults: Fault[] = [
    ...SERVICES.map((s) => ({ name: `kill -9 ${s}`, run: async () => { await killService(h, s); return ''; } })),
    { name: 'redis restart', run: async () => { await restartComponent(h, 'redis'); return ''; } },
    { name: 'redis FLUSHALL', run: async () => { await flushRedis(h); await sleep(6_000); return 'windows rebuilt by the correlator, chains by the tracer'; } },
    { name: 'broker restart', run: async () => { await restartComponent(h, 'kafka'); return ''; } },
    { name: 'registry restart', run: async () => { await restartComponent(h, 'registry'); return ''; } },
    {
      name: 'poison burst', run: async () => {
        const prefix = `chaos-poison-${Date.now().toString(36)}`;
        const before = await endOffsets(admin, dlqTopics);
        const sent = await sendPoison(kafka, registry, prefix, async (t) => (await admin.fetchTopicOffsets(t)).length);
        const total = [...sent.values()].reduce((a, b) => a + b, 0);
        // every poison record must come out as a dead letter (the stages that read the topic)
        const deadline = Date.now() + RECOVERY_TIMEOUT;
        let found = new Set<string>();
        while (Date.now() < deadline) {
          found = new Set<string>();
          await replayTopics({
            kafka, admin, topics: dlqTopics, startOffset: async (t, p) => before.get(`${t}/${p}`),
            onBatch: async (_t, _p, ms) => { for (const m of ms) { const k = m.key?.toString() ?? ''; if (k.startsWith(prefix)) found.add(`${readDeadLetter({ key: m.key, value: m.value, headers: m.headers }).sourceTopic}|${k}`); } },
          });
          if (found.size >= total) break;
          await sleep(2_000);
        }
        const missing = total - found.size;
        if (missing > 0) poisonMissing += missing;
        return `${total} poison records on ${sent.size} topics, ${found.size} dead-lettered`;
      },
    },
  ];
  const only = process.env.CHAOS_FAULTS ? new Set(process.env.CHAOS_FAULTS.split(',').map((s) => s.trim())) : undefined;
  const chosen = faults.filter((f) => !only || only.has(f.name));

  await sleep(SETTLE);
  await record('(none: warm-up)', 0, await settle(), '');
  for (const f of chosen) {
    const lagBefore = totalLag(await progress());
    const t0 = Date.now();
    log(`${f.name}: injecting (lag before ${lagBefore})`);
    let note: string;
    try { note = await f.run(); } catch (e) { note = `FAULT FAILED: ${(e as Error).message.split('\n')[0]}`; log(`${f.name} failed: ${(e as Error).message}`); }
    // the services' recovery is bounded from the moment the faulted process answers again (the
    // scripts that restart it return then): a broker that takes 3 min to start on a loaded
    // machine is not a service that failed to recover; how long it took is in the note
    const back = Date.now();
    const rec = await recovery(t0, back);
    const lagAfter = totalLag(await progress());
    await record(f.name, rec, await settle(), [note, `back in ${((back - t0) / 1000).toFixed(0)} s`, `lag ${lagBefore} -> ${lagAfter}`].filter(Boolean).join('; '));
  }

  // the run ends: the simulator finishes, the last chains terminate, the groups catch up
  log('faults done: waiting for the simulator to finish and every chain to terminate');
  // (a simulator behind schedule produces the rest of its timeline before it exits: the last
  // chains get FINAL_TIMEOUT from then)
  let finalUntil = Math.max(Date.now(), simStarted + durationMs) + FINAL_TIMEOUT;
  let simGone = false;
  let producedAtEnd = await simProduced();
  while (Date.now() < finalUntil) {
    if (sim) { const p = await simProduced(); if (p >= 0) producedAtEnd = p; }
    if (!sim && !simGone) { simGone = true; finalUntil = Math.max(finalUntil, Date.now() + FINAL_TIMEOUT); }
    const v = await judgeNow();
    if (!sim && v.opened === truth.traces.length && v.correct + v.undecided.size === v.opened && totalLag(await progress()) === 0) break;
    await sleep(5_000);
  }
  let simSeconds = Math.max(1, ((sim ? Date.now() : Math.min(Date.now(), simStarted + durationMs)) - simStarted) / 1000);
  try {
    const end = (JSON.parse(readFileSync(truthFile, 'utf8')) as GroundTruth).run;
    if (end) { producedAtEnd = Object.values(end.produced).reduce((a, b) => a + b, 0); simSeconds = Math.max(1, (end.stoppedAt - truth.startedAt) / 1000); }
  } catch { /* the simulator did not finish: the last figure read from its /healthz */ }
  await record('(end of run)', null, await settle(), '');
  const final = last!;
  const lost = final.lost + poisonMissing;
  const stalled = rows.reduce((a, r) => a + r.stalled, 0);
  const notRecovered = rows.filter((r) => r.recoveryMs === null && r.fault !== '(end of run)').length;

  // the table
  const head = ['fault', 'recovery', 'chains correct', 'lost', 'duplicate', 'forks', 'stalled', 'note'];
  const cells = rows.map((r) => [r.fault, r.recoveryMs === null ? (r.fault === '(end of run)' ? '-' : 'NOT RECOVERED') : `${(r.recoveryMs / 1000).toFixed(1)} s`,
    `${r.v.correct}/${r.v.opened} of ${truth.traces.length}${r.v.undecided.size ? ` +${r.v.undecided.size} undecided` : ''}`, String(r.lost), String(r.duplicate), String(r.forks), String(r.stalled), r.note]);
  const widths = head.map((x, i) => Math.max(x.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((x, i) => x.padEnd(widths[i]!)).join(' | ').trimEnd();
  const out = [line(head), widths.map((w) => '-'.repeat(w)).join('-|-'), ...cells.map(line)];
  for (const [id, why] of final.wrong) out.push(`wrong chain: ${id}: ${why}`);
  // an undecided chain passes only when the data leaves it undecided: its relay lookups scored
  // on the run's complete records (generated again from the simulator's seed) show its rivals too
  let rescored = new Map<string, Rescored>();
  if (final.undecided.size > 0) {
    log(`${final.undecided.size} undecided chain(s): scoring their relay lookups on the run's complete records (seed ${truth.seed}, generated again; minutes)`);
    const t0 = Date.now();
    try {
      rescored = rescoreRun({ scenarioFile, rate: RATE, truth, traceIds: [...final.undecided.keys()], dir: createProviderDirectory(loadProvidersFile(join(root, 'deploy/providers.json'))) });
      log(`complete records scored in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    } catch (e) { log(`the complete records could not be scored: ${(e as Error).message}`); }
  }
  const { byData, byRun } = sortUndecided(final, rescored, truth);
  for (const [id, why] of byData) out.push(`undecided chain, by the data (its rivals are candidates on the complete records too; not counted correct): ${id}: ${why}`);
  for (const [id, why] of byRun) out.push(`undecided chain, NOT by the data (the complete records do not hold its rival): ${id}: ${final.undecided.get(id)}; ${why}`);
  if (poisonMissing) out.push(`poison: ${poisonMissing} record(s) neither processed nor dead-lettered`);
  if (notRecovered) out.push(`${notRecovered} fault(s) not recovered within ${RECOVERY_TIMEOUT / 1000} s of the faulted process answering again`);
  out.push(`rate: ${producedAtEnd >= 0 ? Math.round(producedAtEnd / simSeconds) : '?'} raw events/s produced over ${simSeconds.toFixed(0)} s (asked ${RATE}/s); ${truth.traces.length} chains; simulator ${simExit === null ? 'still running' : `exited ${simExit}`}`);
  // a loose cap even on chains the data leaves undecided: more than a quarter says the scenario or
  // the relay scoring changed (their rivals are checked on the complete records, their number not)
  const maxByData = Math.floor(CHAINS / 4);
  if (byData.size > maxByData) out.push(`${byData.size} chains undecided by the data: more than a quarter of ${CHAINS} (the scenario or the relay scoring changed?)`);
  const ok = final.wrong.size === 0 && byRun.size === 0 && byData.size <= maxByData && final.correct + final.undecided.size === truth.traces.length && lost === 0 && final.duplicate === 0 && final.forks === 0 && stalled === 0 && notRecovered === 0;
  out.push(`chaos: ${chosen.length} faults, lost ${lost}, duplicate ${final.duplicate}, forks ${final.forks}, stalled ${stalled}; chains correct ${final.correct}, undecided ${final.undecided.size} (by the data ${byData.size}, not by the data ${byRun.size}), wrong ${final.wrong.size}${ok ? '' : ' — FAILED'}`);
  process.stdout.write(`${out.join('\n')}\n`);
  writeFileSync(join(dir, 'last-run.txt'), `${out.join('\n')}\n`);
  if (sim) (sim as ChildProcess).kill('SIGTERM');
  await admin.disconnect();
  return ok ? 0 : 1;
}

main().then((rc) => process.exit(rc), (e: unknown) => {
  process.stderr.write(`chaos: failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(2);
});

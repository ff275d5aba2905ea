// Hop accuracy against ground truth: each of the simulator's scenarios (background + a traced
// attack chain) runs against ingest + correlator + tracer at several
// background loads; each run's final chain is compared hop by hop with the simulator's
// ground truth. Precision per method = rank-1 hops that are true / rank-1 hops reported;
// recall per method = true hops found at rank 1 / true hops. Needs the stack env.
//   node bench/accuracy.bench.ts [loads=300,3000] [scenarios=default,jp-detnat,late-evidence]
// (scenario files in deploy/scenarios/: the relay chain with lost-stop decoys, the RFC 7422
// deterministic-NAT chain, and the relay chain whose CGN and VPN logs arrive late)
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Hop } from '../schemas/types.gen.ts';
import { resolveKafkaSecurity } from '../services/common/kafka-security.ts';
import { createKafka } from '../services/common/kafka.ts';
import { createLogger } from '../services/common/logger.ts';
import { createRegistryClient } from '../services/common/registry.ts';
import { startSimulator } from '../services/simulator/main.ts';
import type { TruthHop } from '../services/simulator/ground-truth.ts';
import { result } from './lib.ts';
import { startPipeline } from './pipeline.ts';

const loads = (process.argv[2] ?? '300,3000').split(',').map(Number);
const scenarios = (process.argv[3] ?? 'default,jp-detnat,late-evidence').split(',');
const logger = createLogger('bench', 'error');
const kafka = createKafka({ brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(','), clientId: 'bench-accuracy', logger, security: resolveKafkaSecurity(process.env) });
const registry = createRegistryClient({ url: process.env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:18081/apis/ccompat/v7' });
const tally = new Map<string, { truth: number; found: number; reported: number; correct: number }>();
const t = (m: string) => tally.get(m) ?? (tally.set(m, { truth: 0, found: 0, reported: 0, correct: 0 }), tally.get(m)!);
const same = (h: Hop, th: TruthHop) => h.method === th.method && h.observedAddr === th.observed.addr
  && (th.observed.port === null || h.observedPort === null || h.observedPort === th.observed.port)
  && (th.leadsTo === null ? h.leadsToAddr === null : h.leadsToAddr === th.leadsTo.addr);

// Each run gets an empty Redis database (1-15 in turn) as a fresh deployment would: every run
// allocates from the same provider prefixes, and an earlier run's records on the same CGN
// blocks and VPN exit ports (its shutdown STOPs above all) would contradict this run's within
// the 24 h windows. Busy, long-lived windows are tested apart (test/window-read.test.ts).
const redisBase = (process.env.REDIS_URL ?? 'redis://127.0.0.1:16379').replace(/\/\d+$/, '');
let runIndex = 0;
for (const scenario of scenarios) for (const rate of loads) {
  const run = `acc-${scenario}-${rate}-${Date.now().toString(36)}`;
  const redisUrl = `${redisBase}/${1 + (runIndex++ % 15)}`;
  const pipeline = await startPipeline({ kafka, registry, run, redisUrl });
  const { latest, env: common } = pipeline;
  const sim = await startSimulator({ ...common, CROSSTRACE_SIMULATOR_HTTP_PORT: '0', CROSSTRACE_SIMULATOR_OPEN_TRACE: 'true', CROSSTRACE_SIMULATOR_RATE: String(rate), CROSSTRACE_SIMULATOR_SCENARIO_FILE: `deploy/scenarios/${scenario}.json`,
    CROSSTRACE_SIMULATOR_DURATION_MS: '150000', CROSSTRACE_SIMULATOR_PROGRESS: 'off', CROSSTRACE_SIMULATOR_EXIT_WHEN_DONE: 'false',
    CROSSTRACE_SIMULATOR_GROUND_TRUTH_FILE: join(mkdtempSync(join(tmpdir(), 'ct-gt-')), 'truth.json') });
  const until = Date.now() + 150_000;
  // done when every trace reached its TRUE terminal subscriber (a subscriber on the way may be a relay that resolves later)
  const reachedTruth = () => sim.truth.traces.every((tr) => (latest.get(tr.traceId)?.hops ?? []).some((h) => h.rank === 1 && h.subscriberHandle === tr.terminal.subscriberHandle));
  while (Date.now() < until && !reachedTruth()) await new Promise((r) => setTimeout(r, 500));
  for (const tr of sim.truth.traces) {
    const hops = latest.get(tr.traceId)?.hops ?? [];
    for (const th of tr.hops) { const x = t(th.method); x.truth++; if (hops.some((h) => h.rank === 1 && same(h, th))) x.found++; }
    for (const h of hops.filter((x) => x.rank === 1)) { const x = t(h.method); x.reported++; if (tr.hops.some((th) => same(h, th))) x.correct++; }
    for (const th of tr.hops) if (!hops.some((h) => h.rank === 1 && same(h, th))) {
      const got = hops.filter((h) => h.depth === th.depth).map((h) => `${h.method} ${h.observedAddr}:${h.observedPort}->${h.leadsToAddr}:${h.leadsToPort} rank ${h.rank} conf ${h.confidence.toFixed(2)}`);
      console.log(`  missed: depth ${th.depth} ${th.method} ${th.observed.addr}:${th.observed.port}->${th.leadsTo?.addr}:${th.leadsTo?.port}; reported there: ${got.join(' | ') || 'nothing'}`);
    }
    console.log(`${scenario}, load ${rate} events/s: trace ${tr.traceId} ended ${latest.get(tr.traceId)?.status ?? 'never opened'} with ${hops.length} hops (${tr.hops.length} true)`);
  }
  await sim.stop();
  await pipeline.stop();
  for (const [method, x] of tally) {
    const precision = x.reported ? x.correct / x.reported : NaN;
    const recall = x.truth ? x.found / x.truth : NaN;
    console.log(`  ${scenario}, load ${rate}: ${method.padEnd(17)} precision ${precision.toFixed(2)} (${x.correct}/${x.reported} rank-1 hops true)  recall ${recall.toFixed(2)} (${x.found}/${x.truth} true hops found)`);
    result('hop-accuracy', { scenario, load: rate, method, precision: +precision.toFixed(3), recall: +recall.toFixed(3), trueHops: x.truth, reportedRank1: x.reported });
  }
  tally.clear();
}
process.exit(0);

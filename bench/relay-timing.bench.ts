// Relay-timing detector (hop method 4) in isolation, one core: scoreRelay latency and
// throughput at 100 and 500 concurrent inbound flows through the relay, heap, and accuracy
// (top-1, false-positive rate per unrelated flow) over seeded simulated trials.
// `node --expose-gc bench/relay-timing.bench.ts [trials]` (works without --expose-gc, less exact heap)
import { DEFAULT_JOIN_OPTIONS } from '../services/join/join-types.ts';
import { buildFlowSeries } from '../services/join/matchers/flow-series.ts';
import { relayScenario, type Scenario, type ScenarioOptions } from '../services/simulator/relay-fixtures.ts';
import { DEFAULT_RELAY_OPTIONS, scoreRelay } from '../services/join/matchers/relay-timing.ts';
import { fmt, summarise } from './lib.ts';

const TRIALS = Number(process.argv[2] ?? 1_000);
const opts = { ...DEFAULT_RELAY_OPTIONS, ...DEFAULT_JOIN_OPTIONS };
const mib = (b: number): string => `${(b / 2 ** 20).toFixed(1)} MiB`;

/** Inbound flows scoreRelay actually scores for a scenario (same filters, not timed). */
function candidateCount(sc: Scenario): number {
  const { lookup } = sc;
  const tol = opts.clockToleranceMs;
  const series = buildFlowSeries(sc.events, opts.flowGapMs);
  const outs = series.filter((s) => s.dir === 'out' && s.dstAddr === lookup.peerAddr && s.end >= lookup.windowFrom - tol && s.start <= lookup.windowTo + tol);
  let n = 0;
  for (const out of outs) {
    for (const c of series) {
      if (c.dir !== 'in' || c.srcAddr === lookup.peerAddr) continue;
      const skew = c.exporterId === out.exporterId ? 0 : tol;
      if (Math.min(out.end, c.end) - Math.max(out.start, c.start) + skew >= opts.minOverlapMs) n++;
    }
  }
  return n;
}

function speed(concurrent: number): void {
  const scenarios = Array.from({ length: 40 }, (_, i) => relayScenario({ seed: 90_000 + i, concurrent }));
  const events = scenarios.reduce((a, s) => a + s.events.length, 0) / scenarios.length;
  const candidates = scenarios.map(candidateCount);
  for (const sc of scenarios) scoreRelay(sc.lookup, sc.events, opts); // warm-up
  globalThis.gc?.();
  const heapLoaded = process.memoryUsage().heapUsed;
  const samples: number[] = [];
  const allocated: number[] = [];
  let scored = 0;
  const t0 = process.hrtime.bigint();
  for (let round = 0; round < 10; round++) {
    scenarios.forEach((sc, i) => {
      const h = process.memoryUsage().heapUsed;
      const t = process.hrtime.bigint();
      scoreRelay(sc.lookup, sc.events, opts);
      samples.push(Number(process.hrtime.bigint() - t) / 1e6);
      const d = process.memoryUsage().heapUsed - h; // negative when a GC ran during the call
      if (d > 0) allocated.push(d);
      scored += candidates[i]!;
    });
  }
  const sec = Number(process.hrtime.bigint() - t0) / 1e9;
  const s = summarise(samples);
  const a = summarise(allocated);
  globalThis.gc?.();
  console.log(`RESULT ${JSON.stringify({ name: 'relay-timing-speed', concurrent, candidatesPerSec: Math.round(scored / sec), callP50Ms: +s.p50.toFixed(2), callP99Ms: +s.p99.toFixed(2) })}`);
  console.log(
    `${concurrent} concurrent inbound flows (${fmt(events)} records/call, ${fmt(scored / samples.length)} candidates/call): ` +
      `${fmt(scored / sec)} candidates scored/s, ${fmt(samples.length / sec)} calls/s, ` +
      `per call p50 ${s.p50.toFixed(2)} ms p99 ${s.p99.toFixed(2)} ms max ${s.max.toFixed(2)} ms; ` +
      `heapUsed ${mib(heapLoaded)} with the 40 fixtures loaded, ${mib(process.memoryUsage().heapUsed)} after ${s.n} calls + GC, ` +
      `~${mib(a.p50)} allocated per call (median heapUsed delta)`,
  );
}

function accuracy(label: string, n: number, seed0: number, o: Omit<ScenarioOptions, 'seed'>): void {
  let hits = 0;
  let reported = 0;
  let falsePositives = 0;
  let noisyLookups = 0;
  let unrelated = 0;
  const conf: number[] = [];
  for (let seed = seed0; seed < seed0 + n; seed++) {
    const sc = relayScenario({ seed, ...o });
    const hops = scoreRelay(sc.lookup, sc.events, opts);
    const isTrue = (h: (typeof hops)[number]): boolean => sc.truth.includes(`${h.leadsToAddr}:${h.leadsToPort}`);
    if (hops.length > 0) reported++;
    if (hops[0] !== undefined && isTrue(hops[0])) {
      hits++;
      conf.push(hops[0].confidence);
    }
    const fp = hops.filter((h) => !isTrue(h)).length;
    falsePositives += fp;
    if (fp > 0) noisyLookups++;
    unrelated += sc.unrelated;
  }
  const c = summarise(conf);
  const top1 = sc0(o) ? `top-1 ${(hits / n).toFixed(4)} (reported ${(reported / n).toFixed(4)}, median top-1 confidence ${c.p50.toFixed(3)}), ` : '';
  console.log(`RESULT ${JSON.stringify({ name: 'relay-timing-accuracy', case: label, trials: n, top1: sc0(o) ? +(hits / n).toFixed(4) : 'n/a', fpr: +(falsePositives / unrelated).toExponential(2), unrelatedFlows: unrelated })}`);
  console.log(
    `${label}: ${n} trials, ${top1}FPR ${(falsePositives / unrelated).toExponential(2)} (${falsePositives} of ${unrelated} unrelated flows), ` +
      `lookups with a false report ${(noisyLookups / n).toFixed(4)}`,
  );
}
const sc0 = (o: Omit<ScenarioOptions, 'seed'>): boolean => o.kind !== 'none';

/**
 * Accuracy by evidence: records per flow (1: 30 min NetFlow active timeout; 2: a timeout of
 * about half the connection; many: >= 5) x concurrent inbound connections (10, 100, 1000).
 * top-1/top-3: the true inbound ranked first / among the first three of what is reported
 * (decisive hops, or the undecided candidates shown below the threshold); decided: trials
 * with a rank-1 hop at confidence >= 0.9 (the tracer's decisive level) and how many of those
 * are wrong; FPR: false hops reported per unrelated inbound flow (decisive ones only, then all
 * shown). 'none' rows: R originated the connection, so every hop is false.
 */
function matrix(n: number): void {
  for (const records of [1, 2, 'many'] as const) {
    for (const concurrent of [10, 100, 1000]) {
      for (const kind of ['relay', 'none'] as const) {
        const trials = concurrent === 1000 ? Math.max(20, Math.round(n / 5)) : n;
        let top1 = 0, top3 = 0, decided = 0, decidedWrong = 0, falseDecisive = 0, falseShown = 0, unrelated = 0, ambiguous = 0;
        for (let i = 0; i < trials; i++) {
          const sc = relayScenario({ seed: 10_000_000 + concurrent * 1_000 + i + (records === 'many' ? 500 : records * 100_000), concurrent, recordsPerFlow: records, kind });
          const hops = scoreRelay(sc.lookup, sc.events, opts);
          const isTrue = (h: (typeof hops)[number]): boolean => sc.truth.includes(`${h.leadsToAddr}:${h.leadsToPort}`);
          if (hops[0] && isTrue(hops[0])) top1++;
          if (hops.slice(0, 3).some(isTrue)) top3++;
          if (hops[0] && hops[0].confidence >= 0.9) { decided++; if (!isTrue(hops[0])) decidedWrong++; } else if (hops.length > 0) ambiguous++;
          falseDecisive += hops.filter((h) => !isTrue(h) && h.confidence > 0.5).length;
          falseShown += hops.filter((h) => !isTrue(h)).length;
          unrelated += sc.unrelated;
        }
        const f = (x: number) => (x / trials).toFixed(3);
        const row = { name: 'relay-timing-matrix', recordsPerFlow: records, concurrent, kind, trials, top1: kind === 'relay' ? +f(top1) : null, top3: kind === 'relay' ? +f(top3) : null,
          decided: +f(decided), decidedWrong, ambiguous: +f(ambiguous), fprDecisive: +(falseDecisive / unrelated).toExponential(2), fprShown: +(falseShown / unrelated).toExponential(2) };
        console.log(`RESULT ${JSON.stringify(row)}`);
        console.log(`records/flow ${String(records).padEnd(4)} inbound ${String(concurrent).padStart(4)} ${kind.padEnd(5)} (${trials} trials): ` +
          (kind === 'relay' ? `top-1 ${f(top1)} top-3 ${f(top3)}, ` : '') +
          `decided ${f(decided)} (${decidedWrong} wrong), AMBIGUOUS ${f(ambiguous)}, FPR decisive ${(falseDecisive / unrelated).toExponential(2)} shown ${(falseShown / unrelated).toExponential(2)}`);
      }
    }
  }
}

console.log(`relay timing, 1 core, Node ${process.version}, threshold ${opts.threshold} nats`);
speed(100);
speed(500);
matrix(Math.max(50, Math.round(TRIALS / 5)));
accuracy('relay, 120 concurrent, mixed exporters/skew', TRIALS, 1_000_000, {});
accuracy('relay, +2 s skew', Math.max(50, TRIALS / 5), 3_000_000, { skewMs: 2_000 });
accuracy('relay, -2 s skew', Math.max(50, TRIALS / 5), 4_000_000, { skewMs: -2_000 });
accuracy('no relay (R originates)', Math.max(50, TRIALS / 2), 5_000_000, { kind: 'none' });

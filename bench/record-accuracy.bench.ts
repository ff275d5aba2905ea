// Accuracy per failure class on the running pipeline: every record scenario of
// deploy/scenarios/records (written from how providers log, with ground truth) is produced raw
// to sessions.raw / flows.raw, its trace opened on trace.requests, and the settled full view
// judged (services/simulator/record-judge.ts). Two passes, each on an empty Redis database:
// records in the file's order, then reversed. Per class: precision (rank-1 hops that are true),
// recall (true hops found at rank 1), AMBIGUOUS count, and wrong subscribers decided (every hop
// from the root decided, path confidence >= 0.9, any branch; under an AMBIGUOUS truth any decided
// subscriber) — which must be 0. Classes come from the files (partial-window, contradicting-
// records, relay-tie and stale-sessions since the review). Needs the stack env.
//   node bench/record-accuracy.bench.ts [passes=as-listed,reversed]
import { readdirSync, readFileSync } from 'node:fs';
import type { TraceRequest } from '../schemas/types.gen.ts';
import { resolveKafkaSecurity } from '../services/common/kafka-security.ts';
import { createKafka } from '../services/common/kafka.ts';
import { createLogger } from '../services/common/logger.ts';
import { createRegistryClient } from '../services/common/registry.ts';
import { TOPICS } from '../services/common/topics.ts';
import { judge, type Verdict } from '../services/simulator/record-judge.ts';
import { requestOf } from '../services/simulator/record-replay.ts';
import { exporterHeartbeats, materialise, type RecordScenario } from '../services/simulator/record-scenario.ts';
import { loadProvidersFile } from '../services/common/provider-directory.ts';
import { result } from './lib.ts';
import { startPipeline } from './pipeline.ts';

const passes = (process.argv[2] ?? 'as-listed,reversed').split(',');
const dirUrl = new URL('../deploy/scenarios/records/', import.meta.url);
const scenarios = readdirSync(dirUrl).filter((f) => f.endsWith('.json')).sort()
  .map((f) => JSON.parse(readFileSync(new URL(f, dirUrl), 'utf8')) as RecordScenario);
const logger = createLogger('bench', 'error');
const kafka = createKafka({ brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(','), clientId: 'bench-record-accuracy', logger, security: resolveKafkaSecurity(process.env) });
const registry = createRegistryClient({ url: process.env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:18081/apis/ccompat/v7' });
const redisBase = (process.env.REDIS_URL ?? 'redis://127.0.0.1:16379').replace(/\/\d+$/, '');
const byClass = new Map<string, { runs: number; found: number; truth: number; reported: number; correct: number; ambiguous: number; ambiguousExpected: number; wrong: number; statusOk: number }>();
await registry.ensureSubjects([TOPICS.flowsRaw, TOPICS.sessionsRaw, TOPICS.traceRequests, TOPICS.traceUpdates]);

for (const [p, pass] of passes.entries()) {
  const run = `racc-${pass}-${Date.now().toString(36)}`;
  const redisUrl = `${redisBase}/${12 + p}`;
  const pipeline = await startPipeline({ kafka, registry, run, redisUrl });
  const { latest } = pipeline;
  const producer = kafka.producer();
  await producer.connect();

  const opened: { s: RecordScenario; req: TraceRequest }[] = [];
  for (const s of scenarios) {
    const now = Date.now();
    const m = materialise(s, now, `${run}-${s.name}`);
    const ordered = pass === 'reversed' ? [...m.ordered].reverse() : m.ordered;
    for (let i = 0; i < ordered.length; i += 500) {
      const part = ordered.slice(i, i + 500);
      await producer.sendBatch({ topicMessages: [
        { topic: TOPICS.sessionsRaw, messages: part.flatMap((r) => (r.kind === 'session' ? [{ key: r.ev.exporterId, value: registry.encode(TOPICS.sessionsRaw, r.ev) }] : [])) },
        { topic: TOPICS.flowsRaw, messages: part.flatMap((r) => (r.kind === 'flow' ? [{ key: r.ev.exporterId, value: registry.encode(TOPICS.flowsRaw, r.ev) }] : [])) },
      ].filter((t) => t.messages.length > 0) });
    }
    const req = requestOf(s, m, `${run}-${s.name}`, now);
    await producer.send({ topic: TOPICS.traceRequests, messages: [{ key: req.traceId, value: registry.encode(TOPICS.traceRequests, req) }] });
    opened.push({ s, req });
  }
  // settled: the truth's status reached, or 60 s passed (a STALLED or wrong chain is judged as it stands)
  const until = Date.now() + 60_000;
  // the flow exporters go on exporting meanwhile: their watermark settles the relay lookups
  const providers = loadProvidersFile(new URL('../deploy/providers.json', import.meta.url).pathname);
  for (let beat = 0; Date.now() < until && !opened.every(({ s, req }) => latest.get(req.traceId)?.status === s.truth.status); beat++) {
    if (beat % 4 === 0) await producer.send({ topic: TOPICS.flowsRaw, messages: exporterHeartbeats(providers, Date.now(), `${run}-hb${beat}`).map((f) => ({ key: f.exporterId, value: registry.encode(TOPICS.flowsRaw, f) })) });
    await new Promise((r) => setTimeout(r, 500));
  }
  await new Promise((r) => setTimeout(r, 3000)); // late re-rankings
  for (const { s, req } of opened) {
    const u = latest.get(req.traceId);
    const v: Verdict = judge(s, u?.hops ?? [], u?.status ?? 'OPEN');
    const c = byClass.get(s.class) ?? { runs: 0, found: 0, truth: 0, reported: 0, correct: 0, ambiguous: 0, ambiguousExpected: 0, wrong: 0, statusOk: 0 };
    c.runs++; c.found += v.found; c.truth += v.truth; c.reported += v.reported; c.correct += v.correct;
    c.ambiguous += v.ambiguous ? 1 : 0; c.ambiguousExpected += s.truth.status === 'AMBIGUOUS' ? 1 : 0;
    c.wrong += v.wrongDecidedSubscriber ? 1 : 0; c.statusOk += v.statusOk ? 1 : 0;
    byClass.set(s.class, c);
    console.log(`${pass.padEnd(9)} ${s.name.padEnd(26)} ${(u?.status ?? 'no update').padEnd(24)} ${v.problems.length === 0 ? 'as the truth says' : v.problems.join('; ')}`);
  }
  await producer.disconnect();
  await pipeline.stop();
}

console.log('\nclass                  runs  precision  recall  AMBIGUOUS (expected)  status as truth  wrong subscriber decided (conf >= 0.9)');
for (const [cls, c] of [...byClass].sort()) {
  const precision = c.reported ? c.correct / c.reported : NaN;
  const recall = c.truth ? c.found / c.truth : NaN;
  console.log(`${cls.padEnd(22)} ${String(c.runs).padStart(4)}  ${precision.toFixed(2).padStart(9)}  ${recall.toFixed(2).padStart(6)}  ${`${c.ambiguous} (${c.ambiguousExpected})`.padStart(20)}  ${`${c.statusOk}/${c.runs}`.padStart(15)}  ${c.wrong}`);
  result('record-accuracy', { class: cls, runs: c.runs, precision: +precision.toFixed(3), recall: +recall.toFixed(3), ambiguous: c.ambiguous, ambiguousExpected: c.ambiguousExpected, statusAsTruth: c.statusOk, wrongDecidedSubscriber: c.wrong });
}
process.exit(0);

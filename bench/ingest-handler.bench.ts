// Ingest's own work per event, without Kafka: the stage's batch handler (services/ingest/
// pipeline.ts through the stage wrapper: decode, speaker check, normalise, dedupe in Redis,
// encode, headers) over batches of 1000 consumed records of bench/raw-load.ts's mix, producing
// into a stub that keeps nothing. What ingest spends beyond the passthrough (bench/profile.ts)
// is this, plus the consumed-record objects. CPU time of this process per event (steady on a
// loaded machine; Redis' own CPU is not in it); run it under --cpu-prof for the frames.
// Needs the stack env (the registry for the schema ids, Redis for the dedupe).
//   node bench/ingest-handler.bench.ts [events=200000] [rounds=3]
import { loadavg } from 'node:os';
import { Redis } from 'ioredis';
import type { ConsumedMessage } from '../services/common/kafka.ts';
import { createLogger } from '../services/common/logger.ts';
import { createProviderDirectory, loadProvidersFile } from '../services/common/provider-directory.ts';
import { createRegistryClient } from '../services/common/registry.ts';
import { TOPICS } from '../services/common/topics.ts';
import { createClockSkewEstimator } from '../services/ingest/domain/clock-skew.ts';
import { DEFAULT_NORMALISE } from '../services/ingest/domain/normalise.ts';
import { createIngestMetrics } from '../services/ingest/metrics.ts';
import { createIngestPipeline } from '../services/ingest/pipeline.ts';
import { fmt, result } from './lib.ts';
import { rawLoad } from './raw-load.ts';

const N = Number(process.argv[2] ?? 200_000);
const ROUNDS = Number(process.argv[3] ?? 3);
const BATCH = 1000;
const registry = createRegistryClient({ url: process.env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:18081/apis/ccompat/v7' });
await registry.ensureSubjects([TOPICS.flowsRaw, TOPICS.sessionsRaw, TOPICS.flowsNorm, TOPICS.sessionsNorm]);
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:16379');
const dir = createProviderDirectory(loadProvidersFile(new URL('../deploy/providers.json', import.meta.url).pathname));
let produced = 0;
const producer = { sendBatch: async (b: { topicMessages: { messages: unknown[] }[] }) => { for (const t of b.topicMessages) produced += t.messages.length; } };
const pipeline = createIngestPipeline({
  registry, redis, producer: producer as never, metrics: createIngestMetrics(), logger: createLogger('bench', 'error'),
  ctx: { byExporter: dir.byExporter, byAddress: dir.byAddress, skew: createClockSkewEstimator(), opts: DEFAULT_NORMALISE },
  maxMessageBytes: 1_000_000, dedupeWindowMs: 600_000,
});

/** One round's consumed records (a new run id each round: every event is new to the dedupe). */
function batches(round: number): ConsumedMessage[][] {
  const load = rawLoad(registry, N, `h${Date.now().toString(36)}r${round}`);
  const now = Date.now();
  const out: ConsumedMessage[][] = [];
  for (const [topic, list] of [[TOPICS.flowsRaw, load.flows], [TOPICS.sessionsRaw, load.sessions]] as const) {
    for (let i = 0; i < list.length; i += BATCH) {
      out.push(list.slice(i, i + BATCH).map((m, j) => ({ topic, partition: 0, offset: String(round * N + i + j), key: Buffer.from(m.key), value: m.value, headers: {}, timestamp: now })));
    }
  }
  return out;
}
const cpu = () => { const u = process.cpuUsage(); return u.user + u.system; };
for (let r = 0; r < ROUNDS; r++) {
  const bs = batches(r);
  produced = 0;
  const c0 = cpu();
  const t0 = performance.now();
  for (const b of bs) await pipeline.handle(b);
  const us = (cpu() - c0) / N;
  const secs = (performance.now() - t0) / 1000;
  console.log(`round ${r + 1}: ${us.toFixed(2)} µs CPU/event (this process), ${fmt(N / secs)} events/s wall, ${produced} records out; load ${loadavg()[0]!.toFixed(1)}`);
  if (r === ROUNDS - 1) result('ingest-handler', { cpuUsPerEvent: Number(us.toFixed(2)), events: N, recordsOut: produced, loadAverage1m: Number(loadavg()[0]!.toFixed(1)) });
}
redis.disconnect();
process.exit(0);

// The archive service end to end: N normalised flow records are produced to flows.norm first
// (not timed), then the service starts with a fresh consumer group from the earliest offset and
// the time until all N rows are committed in PostgreSQL is measured (Kafka fetch, Avro decode,
// COPY + move + commit per batch, offset commits). Everything on this machine. Needs the stack
// (eval "$(make -s stack-env)"); writes into the database in DATABASE_URL.
//   node bench/archive-service.bench.ts [records=200000]
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import pg from 'pg';
import type { FlowEvent } from '../schemas/types.gen.ts';
import { startArchive } from '../services/archive/main.ts';
import { createRegistryClient } from '../services/common/registry.ts';
import { TOPICS } from '../services/common/topics.ts';
import { fmt, result } from './lib.ts';

const [N = 200_000] = process.argv.slice(2).map(Number);
const { KAFKA_BROKERS, SCHEMA_REGISTRY_URL, DATABASE_URL } = process.env;
if (!KAFKA_BROKERS || !SCHEMA_REGISTRY_URL || !DATABASE_URL) { console.error('KAFKA_BROKERS, SCHEMA_REGISTRY_URL and DATABASE_URL must be set: eval "$(make -s stack-env)"'); process.exit(2); }
const run = `bs${Date.now().toString(36)}`;
const T = Date.now() - 3 * 86_400_000;

const registry = createRegistryClient({ url: SCHEMA_REGISTRY_URL });
await registry.ensureSubjects([TOPICS.flowsNorm, TOPICS.sessionsNorm]);
const producer = new Kafka({ brokers: KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING }).producer({ createPartitioner: Partitioners.DefaultPartitioner });
await producer.connect();
const tp = performance.now();
for (let i = 0; i < N; i += 5000) {
  const messages = Array.from({ length: Math.min(5000, N - i) }, (_, k) => {
    const j = i + k;
    const dst = `198.18.${(j >> 8) & 255}.${j & 255}`;
    const ev: FlowEvent = {
      eventId: `${run}-${j}`, exporterId: 'fr-flow-1', exportTime: T + j, srcAddr: '192.0.2.10', srcPort: 1024 + (j % 60000), dstAddr: dst, dstPort: 443,
      protocol: 6, startTime: T + j, endTime: T + j + 30_000, octets: 12_345, packets: 42, postNatSrcAddr: null, postNatSrcPort: null,
      endReason: 'END_OF_FLOW', jurisdiction: 'FR', providerId: 'fr-telecom', clockOffsetMs: 0,
    };
    return { key: dst, value: registry.encode(TOPICS.flowsNorm, ev), headers: { 'ct-uid': `fr-flow-1/${ev.eventId}`, 'ct-time': String(ev.startTime), 'ct-dir': 'in', 'ct-origin-ts': String(T + j) } };
  });
  await producer.send({ topic: TOPICS.flowsNorm, messages });
}
console.log(`produced ${fmt(N)} normalised flows in ${((performance.now() - tp) / 1000).toFixed(1)} s (not timed)`);
await producer.disconnect();

const db = new pg.Client({ connectionString: DATABASE_URL });
await db.connect();
const stored = async () => Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM flow_records WHERE uid LIKE $1', [`fr-flow-1/${run}-%`])).rows[0]!.n);
const t0 = performance.now();
const archive = await startArchive({ ...process.env, CROSSTRACE_ARCHIVE_HTTP_PORT: '0', CROSSTRACE_ARCHIVE_GROUP_ID: `${run}-archive`, CROSSTRACE_ARCHIVE_FROM_BEGINNING: 'true', LOG_LEVEL: 'warn' });
let n = await stored();
while (n < N && performance.now() - t0 < 600_000) {
  await new Promise((r) => setTimeout(r, 250));
  n = await stored();
}
if (n < N) console.error(`only ${n} of ${N} rows after 10 min`);
const s = (performance.now() - t0) / 1000;
console.log(`archive service: ${fmt(n)} rows committed in ${s.toFixed(1)} s (start-up and group join included) = ${fmt(n / s)} rows/s`);
result('archive-service', { rows: n, seconds: +s.toFixed(1), rows_per_s: Math.round(n / s) });
await archive.stop();
await db.end();

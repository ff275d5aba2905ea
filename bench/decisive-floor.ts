// The decisive path's floor: one record at a time through the same Kafka topology as a decisive
// event, with bare kafkajs and no work in between, on the same broker and machine at the same
// moment (bench/correlate-latency.bench.ts runs it during each rate's traces, in a process of
// its own as the services are). The path it copies:
//   source producer -> "raw" -> hop 1 (consume, produce) -> "norm"      ~ ingest
//   -> hop 2 (consume, produce) -> "hops"                               ~ correlator
//   -> hop 3 (consume; one transaction writing TX_TOPICS topics)        ~ tracer + publisher
//   -> a read_committed reader of the view topic (maxWait 20 ms)        ~ the partner / the bench's reader
// with the stages' shared consumer settings (CONSUMER_DEFAULTS: maxWait, minBytes, partitions
// concurrently; ingest and the correlator fetch less per request, which matters only behind a
// backlog, and these topics have none), their producers (createProducer,
// createTransactionalProducer) and record sizes of the pipeline's order. Its topics are idle
// single partitions, so a waiting fetch is answered as soon as a record lands: it can only be
// lower than what the same clients would see in the pipeline's busy partitions. What the pipeline adds on top of this floor is its work (decode,
// Redis, the archive, signing) and its records' queueing behind the background in the same
// partitions; what the floor costs is Kafka's: three fetch/produce round trips, a transaction
// (AddPartitionsToTxn, Produce, EndTxn, the markers), the reader's fetch.
// Stages as bench/stage-trace.ts splits the pipeline (CreateTime of each record, one clock):
//   hop1 = norm ts - raw ts, hop2 = hops ts - norm ts, hop3 = view ts - hops ts,
//   commit = received - view ts; total = received - the source's time before its send.
// Needs the stack env (eval "$(make -s stack-env)"). Prints READY once its consumers hold their
// partitions and the warm-up records went through, and with FLOOR_WAIT_GO=1 then waits for a line
// GO on stdin before it sends the records it counts (correlate-latency sets it up on a quiet
// broker, starts the rate's background, and says GO when its traces start: ten topics made and
// four groups joined while the background runs were measured as the pipeline's latency); then
// one line and a RESULT row. Its topics (bench.floor.*) are deleted at the end, and any a
// killed run left are deleted at the start.
//   node bench/decisive-floor.ts [records=40] [seconds=30] [label]
// SIGTERM ends the sending early; the records sent so far are reported.
import { randomBytes } from 'node:crypto';
import type { Consumer, EachBatchPayload, Kafka, Producer } from 'kafkajs';
import { resolveKafkaSecurity } from '../services/common/kafka-security.ts';
import { CONSUMER_DEFAULTS, createKafka, createProducer, createTransactionalProducer } from '../services/common/kafka.ts';
import { createLogger } from '../services/common/logger.ts';
import { fmt, result, summarise } from './lib.ts';

const N = Number(process.argv[2] ?? 40);
const SECONDS = Number(process.argv[3] ?? 30);
const LABEL = process.argv[4] ?? '';
if (!(N > 0) || !(SECONDS >= 0)) { console.error('usage: decisive-floor.ts [records] [seconds] [label]'); process.exit(2); }
/** Topics one publish writes: trace.updates, trace.state, a view and an audit topic for each of
 *  two audiences, audit.disclosures (the tracer's publishes in make bench write 7). */
const TX_TOPICS = 7;
/** Records sent first and not counted: the first fetches of new groups and the first transaction. */
const WARM = 3;
const SIZES = { raw: 120, norm: 230, hop: 300, view: 900, other: 600 };

const logger = createLogger('bench', 'error');
const kafka: Kafka = createKafka({ brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(','), clientId: 'bench-floor', logger, security: resolveKafkaSecurity(process.env) });
const run = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
const t = (s: string) => `bench.floor.${run}.${s}`;
const txTopics = Array.from({ length: TX_TOPICS }, (_, i) => t(i === 0 ? 'view' : `tx${i}`));
const topics = [t('raw'), t('norm'), t('hops'), ...txTopics];
const admin = kafka.admin();
await admin.connect();
const left = (await admin.listTopics()).filter((x) => x.startsWith('bench.floor.'));
if (left.length > 0) await admin.deleteTopics({ topics: left }).catch(() => undefined);
await admin.createTopics({ waitForLeaders: true, topics: topics.map((topic) => ({ topic, numPartitions: 1 })) });

const consumers: Consumer[] = [];
/** How long a consumer may take to join its group, ms (a join that fails crashes the consumer). */
const JOIN_MS = 60_000;
/** A consumer with the stages' settings; resolves once it holds its partition, throws when it
 *  crashes or takes longer than JOIN_MS first. */
async function consume(topic: string, role: string, each: (p: EachBatchPayload) => Promise<void>, maxWaitTimeInMs: number = CONSUMER_DEFAULTS.maxWaitTimeInMs): Promise<void> {
  const c = kafka.consumer({ groupId: t(role), maxWaitTimeInMs, minBytes: 1, maxBytes: CONSUMER_DEFAULTS.maxBytes, maxBytesPerPartition: CONSUMER_DEFAULTS.maxBytesPerPartition, allowAutoTopicCreation: false });
  consumers.push(c);
  const joined = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`decisive-floor: the ${role} consumer did not join its group within ${JOIN_MS} ms`)), JOIN_MS);
    c.on(c.events.GROUP_JOIN, () => { clearTimeout(timer); resolve(); });
    c.on(c.events.CRASH, (e) => { clearTimeout(timer); reject(new Error(`decisive-floor: the ${role} consumer crashed: ${e.payload.error.message}`)); });
  });
  await c.connect();
  await c.subscribe({ topic, fromBeginning: true }); // new topics: nothing is skipped before the first fetch
  // autoCommit off: throwaway groups; the stages commit off the records' path (every 500 ms)
  await c.run({ autoCommit: false, partitionsConsumedConcurrently: CONSUMER_DEFAULTS.partitionsConcurrently, eachBatch: each });
  await joined;
}

const pad = (n: number) => Buffer.alloc(n, 0x61);
const got = new Map<string, { raw: number; norm: number; hops: number; view: number; at: number }>();
const sentAt = new Map<string, number>();
/** SIGTERM (correlate-latency, once its traces are done): the records sent so far are reported. */
let stopping = false;
process.on('SIGTERM', () => { stopping = true; });
const producers: Producer[] = [];

async function measure(): Promise<void> {
  const source = await createProducer(kafka);
  const p1 = await createProducer(kafka);
  const p2 = await createProducer(kafka);
  const p3 = await createTransactionalProducer(kafka, t('tx'));
  producers.push(source, p1, p2, p3);
  // hop 1 and 2: consume a batch, produce one record per record (the origin's times in headers)
  const relay = (producer: Producer, to: string, size: number) => async ({ batch }: EachBatchPayload) => {
    await producer.send({ topic: to, messages: batch.messages.map((m) => ({ key: m.key, value: pad(size), headers: { ...m.headers, [`ts-${batch.topic.split('.').at(-1)}`]: m.timestamp } })) });
  };
  await consume(t('raw'), 'hop1', relay(p1, t('norm'), SIZES.norm));
  await consume(t('norm'), 'hop2', relay(p2, t('hops'), SIZES.hop));
  // hop 3: one transaction per batch, a record to every TX topic per record (as a publish does)
  await consume(t('hops'), 'hop3', async ({ batch }) => {
    const tx = await p3.transaction();
    try {
      await tx.sendBatch({ topicMessages: txTopics.map((topic, i) => ({ topic, messages: batch.messages.map((m) => ({ key: m.key, value: pad(i === 0 ? SIZES.view : SIZES.other), headers: { ...m.headers, 'ts-hops': m.timestamp } })) })) });
      await tx.commit();
    } catch (e) {
      await tx.abort().catch(() => undefined);
      throw e;
    }
  });
  await consume(t('view'), 'reader', async ({ batch }) => {
    const at = Date.now();
    for (const m of batch.messages) {
      const h = (k: string) => Number(m.headers?.[k]?.toString());
      const key = m.key!.toString();
      // the first arrival only: a consumer restarted after a crash reads its topic again from the start
      if (!got.has(key)) got.set(key, { raw: h('ts-raw'), norm: h('ts-norm'), hops: h('ts-hops'), view: Number(m.timestamp), at });
    }
  }, 20);

  async function one(i: number): Promise<void> {
    const key = `r${i}`;
    sentAt.set(key, Date.now());
    await source.send({ topic: t('raw'), messages: [{ key, value: pad(SIZES.raw) }] });
    for (const until = Date.now() + 10_000; !got.has(key) && Date.now() < until;) await new Promise((r) => setTimeout(r, 1));
  }
  for (let i = 0; i < WARM; i++) await one(-1 - i);
  console.log('READY');
  if (process.env.FLOOR_WAIT_GO === '1') {
    await new Promise<void>((resolve) => {
      let text = '';
      process.stdin.on('data', (b: Buffer) => { text += b; if (/^GO$/m.test(text)) resolve(); });
      process.stdin.on('end', () => resolve()); // the parent went away: measure and end
    });
    process.stdin.pause();
  }
  const tStart = Date.now();
  let sent = 0;
  for (; sent < N && !stopping; sent++) {
    await one(sent);
    // spread over the seconds asked, at a random phase within each slot (not in step with the
    // background's 50 ms ticks)
    const next = tStart + ((sent + 1 + Math.random()) * SECONDS * 1000) / N;
    while (Date.now() < next && !stopping) await new Promise((r) => setTimeout(r, Math.min(100, next - Date.now())));
  }
  const rows = [...Array(sent).keys()].flatMap((i) => {
    const g = got.get(`r${i}`);
    return g ? [{ total: g.at - sentAt.get(`r${i}`)!, hop1: g.norm - g.raw, hop2: g.hops - g.norm, hop3: g.view - g.hops, commit: g.at - g.view }] : [];
  });
  const s = summarise(rows.map((r) => r.total));
  const stage = (k: 'hop1' | 'hop2' | 'hop3' | 'commit') => summarise(rows.map((r) => r[k]));
  const parts = { hop1: stage('hop1'), hop2: stage('hop2'), hop3: stage('hop3'), commit: stage('commit') };
  // records sent that never arrived within 10 s are counted apart (a floor missing some is incomplete)
  console.log(`decisive-path floor (bare kafkajs, 3 hops + a ${TX_TOPICS}-topic transaction + a read_committed reader, no work${LABEL ? `; ${LABEL}` : ''}): p50 ${s.p50} ms, p99 ${s.p99} ms, max ${s.max} ms over ${s.n}/${sent} records sent in ${fmt((Date.now() - tStart) / 1000)} s${s.n < sent ? ` (${sent - s.n} did not arrive within 10 s)` : ''}; per hop p50/p99: ${Object.entries(parts).map(([k, v]) => `${k} ${v.p50}/${v.p99}`).join(', ')}`);
  result('decisive-floor', { label: LABEL, p50Ms: s.p50, p99Ms: s.p99, maxMs: s.max, records: s.n, recordsSent: sent, recordsAsked: N, txTopics: TX_TOPICS,
    ...Object.fromEntries(Object.entries(parts).flatMap(([k, v]) => [[`${k}P50Ms`, v.p50], [`${k}P99Ms`, v.p99]])) });
}

let failed = false;
try {
  await measure();
} catch (e) {
  failed = true;
  console.error(`decisive-floor: Error: ${(e as Error).message}`);
} finally {
  for (const c of consumers) await c.disconnect().catch(() => undefined);
  for (const p of producers) await p.disconnect().catch(() => undefined);
  await admin.deleteTopics({ topics }).catch((e: Error) => console.error(`decisive-floor: deleting its topics failed: ${e.message}`));
  await admin.disconnect();
}
process.exit(failed ? 1 : 0);

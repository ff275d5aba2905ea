// Kafka adapters: client with pino logging, topic creation, a producer, and a batch consumer
// loop that commits only what was processed or dead-lettered. A retriable error (dependency
// down) retries the partition's batch with backoff, heartbeating, until it succeeds or the
// service stops: nothing is skipped and nothing is dead-lettered for an outage. A record that
// fails not retriably is dead-lettered with its reason (batch-runner.ts): none stops a partition.
import './kafkajs-patch.ts';
import { Kafka, logLevel, type Admin, type Consumer, type EachBatchPayload, type Producer, type IHeaders } from 'kafkajs';
import { runBatch } from './batch-runner.ts';
import { createCommitter } from './offset-committer.ts';
import { createPartitionQueues } from './partition-queues.ts';
import { sleep } from './backoff.ts';
import type { CrosstraceError } from './errors.ts';
import { kafkajsLogCreator } from './kafkajs-log.ts';
import { kafkajsSecurity, type KafkaClientSecurity } from './kafka-security.ts';
import { createStageHealth, type StalledPartition } from './stage-health.ts';
import type { Logger } from './logger.ts';
import type { StageMetrics } from './metrics.ts';

export interface ConsumedMessage {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders;
  /** Produce (CreateTime) timestamp, UTC ms. */
  timestamp: number;
}

/** `security`: TLS and SASL settings (kafka-security.ts); omitted = PLAINTEXT. */
export function createKafka(opts: { brokers: string[]; clientId: string; logger: Logger; security?: KafkaClientSecurity }): Kafka {
  return new Kafka({
    clientId: opts.clientId,
    brokers: opts.brokers,
    ...kafkajsSecurity(opts.security),
    connectionTimeout: 5_000,
    retry: { initialRetryTime: 200, retries: 8 },
    logLevel: logLevel.WARN,
    logCreator: kafkajsLogCreator(opts.logger),
  });
}

export interface TopicSpec { topic: string; numPartitions: number; compacted?: boolean; retentionMs?: number }

export async function ensureTopics(admin: Admin, specs: TopicSpec[]): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !existing.has(s.topic));
  if (missing.length === 0) return;
  try {
    await createMissing(admin, missing);
  } catch (e) {
    // Under ACLs topics are the admin's to create (bin/crosstrace admin acl apply), and a
    // principal neither sees nor may create topics it does not use: such refusals are not an
    // error here. A topic this client uses and nobody created fails at subscribe/send, by name.
    const errors = (e as { errors?: { type?: string }[] }).errors;
    if (errors?.length && errors.every((x) => x.type === 'TOPIC_AUTHORIZATION_FAILED' || x.type === 'TOPIC_ALREADY_EXISTS')) return;
    // The topics were created, but kafkajs' wait for their leaders asked a broker whose metadata
    // had not caught up yet (KRaft propagates it asynchronously; seen on a loaded machine): it
    // retries LEADER_NOT_AVAILABLE only. Wait for the metadata here instead, bounded.
    if ((e as { type?: string }).type === 'UNKNOWN_TOPIC_OR_PARTITION') { await topicsKnown(admin, missing.map((s) => s.topic)); return; }
    throw e;
  }
}

async function topicsKnown(admin: Admin, topics: string[], waitMs = 30_000): Promise<void> {
  const until = Date.now() + waitMs;
  for (;;) {
    try {
      const md = await admin.fetchTopicMetadata({ topics });
      if (md.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
    } catch (e) {
      if (Date.now() > until) throw e;
    }
    if (Date.now() > until) throw new Error(`topics ${topics.join(', ')} were created but have no leaders after ${waitMs} ms`);
    await sleep(250);
  }
}

async function createMissing(admin: Admin, missing: TopicSpec[]): Promise<void> {
  await admin.createTopics({
    waitForLeaders: true,
    topics: missing.map((s) => ({
      topic: s.topic,
      numPartitions: s.numPartitions,
      configEntries: [
        ...(s.compacted ? [{ name: 'cleanup.policy', value: 'compact' }] : []),
        ...(s.retentionMs ? [{ name: 'retention.ms', value: String(s.retentionMs) }] : []),
      ],
    })),
  });
}

export async function createProducer(kafka: Kafka): Promise<Producer> {
  const p = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 8 } });
  await p.connect();
  return p;
}

/**
 * A producer whose sends are Kafka transactions: what one transaction writes, across topics,
 * becomes visible to read_committed consumers (kafkajs' default) all at once or not at all.
 * One transactionalId per writer (Kafka fences an older producer with the same id; kafkajs
 * 2.2.4 re-initialises a fenced producer on retry, so this is not relied on to stop a
 * second writer: run one tracer per node).
 */
export async function createTransactionalProducer(kafka: Kafka, transactionalId: string): Promise<Producer> {
  // A transaction left open by a crashed writer holds back read_committed readers of its
  // partitions until the broker aborts it: 10 s, not kafkajs' default 60 s (a publish takes
  // milliseconds; a restarted writer with the same id aborts it at once).
  // A transaction that starts right after the previous one committed is refused with
  // CONCURRENT_TRANSACTIONS until the broker has written the previous one's markers (a few ms);
  // kafkajs retries it with the client's backoff, 200 ms first: every back-to-back publish
  // waited ~200 ms. 20 ms first (the Java client's backoff for this error), doubling over
  // 12 retries: ~70 s of patience for an outage (before: ~51 s).
  const p = kafka.producer({ allowAutoTopicCreation: false, transactionalId, idempotent: true, maxInFlightRequests: 1, transactionTimeout: 10_000, retry: { initialRetryTime: 20, retries: 12 } });
  await p.connect();
  return p;
}

export interface ConsumerLoopOptions {
  kafka: Kafka;
  groupId: string;
  topics: string[];
  fromBeginning?: boolean;
  /** Processes one partition's batch; must be idempotent (a retried batch is processed again). */
  handle(messages: ConsumedMessage[], topic: string, partition: number): Promise<void>;
  /** Writes one record's dead letter (a record the handler failed on, not retriably). */
  deadLetter(message: ConsumedMessage, err: CrosstraceError): Promise<void>;
  logger: Logger;
  metrics: StageMetrics;
  stage: string;
  /** First retry delay after a retriable failure, ms; doubles up to 5 s. Default 200. */
  retryBackoffMs?: number;
  /** A partition with lag that made no progress for this long is reported stalled. Default 30 s. */
  stallAfterMs?: number;
  /** Most bytes fetched per partition and fetch, bytes. Default CONSUMER_DEFAULTS. */
  maxBytesPerPartition?: number;
  /** Most bytes per fetch, all partitions together, bytes. Default CONSUMER_DEFAULTS. */
  maxBytes?: number;
  /** Partitions whose batches are handled at the same time (kafkajs partitionsConsumedConcurrently);
   *  one partition's batches stay in order. Default CONSUMER_DEFAULTS. */
  partitionsConcurrently?: number;
  /** Longest the broker holds a fetch waiting for data, ms. Default CONSUMER_DEFAULTS. */
  maxWaitTimeInMs?: number;
  /** Bytes a fetch waits for (up to maxWaitTimeInMs) before it returns, all partitions
   *  together. Default 1 (kafkajs': a fetch returns as soon as any record is there). */
  minBytes?: number;
  /** Most records handled (and committed) at once; a larger fetched batch is handled in
   *  chunks of this many. Default 1000. */
  maxBatchRecords?: number;
  /** The group's session: a member that sends no heartbeat for this long is expelled and its
   *  commits refused (kafkajs' default 30 s). A chunk may run longer: heartbeats go meanwhile. */
  sessionTimeoutMs?: number;
  /** Heartbeat period, ms (default 3 s; about a third of the session at most). */
  heartbeatIntervalMs?: number;
  /** Least time between two offset commits of this consumer, ms. Default CONSUMER_DEFAULTS. */
  commitIntervalMs?: number;
  /** A fetched batch is queued for its partition and the next fetch goes at once; what a
   *  partition's fetches bring while its batch is handled is handled next as one batch, and a
   *  partition with maxBatchRecords waiting is paused (partition-queues.ts). false = kafkajs'
   *  cycle: the next fetch waits until every batch of the last one is handled. Default
   *  CONSUMER_DEFAULTS. */
  queueAhead?: boolean;
}

export interface ConsumerLoop { start(): Promise<void>; stop(): Promise<void>; running(): boolean; stalled(): StalledPartition[] }

/** Longest wait before a crashed consumer starts again (kafkajs' restart after its retries ran
 *  out, or a new consumer after a crash kafkajs does not restart), ms. */
const RESTART_MAX_MS = 5_000;
const RESTART_MIN_MS = 500;
/** Heartbeats while a chunk is handled (kafkajs sends one at most every heartbeatInterval, 3 s). */
const HEARTBEAT_MS = 3_000;

/** The consumer settings every stage shares unless it says otherwise (bench/passthrough.ts, the
 *  stages' ceiling, reads them too, so stage and ceiling are measured with the same settings). */
export const CONSUMER_DEFAULTS = Object.freeze({
  /** Bytes per partition and fetch: 1 MiB, ~5k raw records. */
  maxBytesPerPartition: 1_048_576,
  /** Bytes per fetch, all partitions (kafkajs' default). */
  maxBytes: 10_485_760,
  /** kafkajs hands a fetch's batches to this many workers and fetches again only once all are
   *  handled: with 2 (until session 6) a handler's waits (Redis, produce, commit) left the CPU
   *  idle while 10 of 12 fetched partitions queued. 12: every partition a single instance gets
   *  from the pipeline topics (6 per topic, two topics). */
  partitionsConcurrently: 12,
  /** A fetch with nothing to return is held by the broker at most this long, ms. Not on the
   *  decisive-event path: a record produced to a partition the fetch waits on completes it at
   *  once (minBytes 1). What it sets is the idle polling: every consumer of every service sends
   *  1000/maxWait fetches a second when nothing comes (100 ms: 61 fetches/s for the six services). */
  maxWaitTimeInMs: 500,
  /** Least time between two offset commits, ms. Back to back (one in flight), the stages sent
   *  105-142 OffsetCommits/s at 2k-5k events/s, the broker's most frequent request, each an
   *  append to __consumer_offsets. A commit is off the records' path, and what a crash or a
   *  rebalance leaves uncommitted is read again (handlers are idempotent): at most this much
   *  more of it. A stopping consumer sends what is pending at once. */
  commitIntervalMs: 500,
  /** Fetch while the last fetch's batches are handled (partition-queues.ts): opt-in. Off by
   *  default: its end-to-end gain was not shown apart from the machine's load (bench/ROUNDS.md round 8),
   *  it costs CPU per event (smaller batches), and kafkajs gives no awaitable rebalance hook, so a
   *  chunk already running can overlap the partition's next owner (idempotent handlers). */
  queueAhead: false,
});

/** A batch consumer that commits only what was processed or dead-lettered (batch-runner.ts). */
export function createConsumerLoop(o: ConsumerLoopOptions): ConsumerLoop {
  let consumer: Consumer | undefined;
  let stopping = false;
  let isRunning = false;
  const health = createStageHealth({ stallAfterMs: o.stallAfterMs ?? 30_000 });
  /** One per consumer (a replaced consumer is a new member: its commits are its own). */
  const newCommitter = () => createCommitter({
    intervalMs: o.commitIntervalMs ?? CONSUMER_DEFAULTS.commitIntervalMs,
    onFailed: (err, retryInMs, offsets) => o.logger.warn({ err, offsets, retryInMs },
      'offset commit failed; sent again after the wait (with whatever else is pending), until it succeeds or the member joins a new generation'),
  });
  let committer = newCommitter();

  /** Bumped when the member joins a group generation or its consumer crashes: a queued batch's
   *  chunk handled after it does not commit (its offsets were an earlier generation's; the
   *  partition may be another member's now, and the broker does not check who commits). */
  let joins = 0;
  const queueAhead = o.queueAhead ?? CONSUMER_DEFAULTS.queueAhead;
  const chunk = o.maxBatchRecords ?? 1_000;
  const queues = createPartitionQueues<Fetched>({
    // what a partition's fetches brought while its batch was handled goes as one batch (the
    // latest fetch's payload: its last offset, transaction markers included, and high watermark)
    merge: (a, b) => (a.joins === b.joins ? { payload: b.payload, all: a.all.concat(b.all), next: a.next, joins: a.joins } : undefined),
    size: (f) => f.all.length,
    pauseAt: chunk,
    run: async (f, current) => {
      const now = () => current() && !f.payload.isStale();
      try { await handleChunks(f, now, true); } catch (e) {
        if (stopping || !now()) return; // a retry given up because the batch is over: read again by the partition's owner
        throw e;
      }
    },
    onFailed: async (key, f, err) => {
      const { topic, partition } = f.payload.batch;
      o.logger.error({ err, topic, partition, offset: f.next },
        'batch failed for good (its dead letter could not be written); the partition is read again from its first record not handled, after a wait');
      // what the fetches brought past it is dropped (queued: by the queue; fetched but not queued
      // yet: stale by the seek); the partition is fetched again from the record that failed
      if (f.joins === joins && !stopping) {
        try { consumer?.seek({ topic, partition, offset: f.next }); } catch { /* not ours any more: its next owner reads it */ }
      }
      for (let waited = 0; waited < RESTART_MAX_MS && !stopping; waited += 100) await sleep(100);
    },
  });

  /** A fetched batch as its chunks are handled: `next` is its first offset not handled yet. */
  interface Fetched { payload: EachBatchPayload; all: ConsumedMessage[]; next: string; joins: number }

  async function eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset } = payload;
    if (batch.messages.length === 0) return;
    const { topic, partition } = batch;
    const all: ConsumedMessage[] = batch.messages.map((m) => ({
      topic, partition, offset: m.offset, key: m.key ?? null,
      value: m.value ?? null, headers: m.headers ?? {}, timestamp: Number(m.timestamp),
    }));
    const f: Fetched = { payload, all, next: all[0]!.offset, joins };
    if (!queueAhead) return handleChunks(f, () => !payload.isStale(), false);
    // fetched before a seek (a failed batch's rewind) or after stop: read again, not queued
    if (stopping || payload.isStale()) return;
    if (!queues.push(`${topic}\u0000${partition}`, f, payload.pause)) return;
    // kafkajs' next fetch asks from here on (its resolved offset is only the fetch position:
    // autoCommit is off, offsets are committed below as chunks are handled)
    resolveOffset(batch.lastOffset());
  }

  /** Handles a batch chunk by chunk, committing each chunk once handled. `queued`: called from a
   *  partition queue after eachBatch returned (kafkajs' fetch loop heartbeats meanwhile); else
   *  within eachBatch, which heartbeats while a chunk runs. Ends early once `current()` is false. */
  async function handleChunks(f: Fetched, current: () => boolean, queued: boolean): Promise<void> {
    const { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary } = f.payload;
    const { topic, partition } = batch;
    const all = f.all;
    const commits = committer;
    o.metrics.messagesIn.inc({ topic }, all.length);
    health.batchStarted(topic, partition, Number(batch.highWatermark) - Number(all[0]!.offset));
    // A fetched batch (up to maxBytesPerPartition: ~14k raw records) is handled and committed
    // in chunks of at most `chunk` records, heartbeating meanwhile: on a loaded machine one
    // whole batch took 88 s, longer than the group's 30 s session, so the member was expelled
    // before it could commit, rejoined and got the same batch again — a partition that
    // never moved, and a stage whose /healthz said stalled.
    // a record without a produce time (NaN, or -1) tells no wait: not observed
    const producedAt = all[0]!.timestamp;
    if (producedAt > 0) o.metrics.recordWait.observe({ topic }, Math.max(0, Date.now() - producedAt) / 1000);
    const beat = queued ? undefined : setInterval(() => { heartbeat().catch(() => undefined); }, o.heartbeatIntervalMs ?? HEARTBEAT_MS);
    try {
      for (let i = 0; i < all.length; i += chunk) {
        const msgs = all.slice(i, i + chunk);
        const last = i + chunk >= all.length;
        // each chunk holds its partition until it is through: a handler that hangs in a later
        // chunk is as stuck as one that hangs in the first (stage-health's held rule)
        if (i > 0) health.batchStarted(topic, partition, Number(batch.highWatermark) - Number(msgs[0]!.offset));
        const end = o.metrics.processing.startTimer({ stage: o.stage });
        const outcome = await runBatch(msgs, {
          handle: (ms) => o.handle(ms, topic, partition),
          deadLetter: o.deadLetter,
          initialBackoffMs: o.retryBackoffMs ?? 200,
          shouldStop: () => stopping || !current(),
          onProgress: () => health.progressed(topic, partition),
          onRetry: async (err, delay) => {
            o.metrics.retries.inc({ reason: err.code });
            health.failed(topic, partition, err.code);
            o.logger.warn({ err, topic, partition, firstOffset: msgs[0]!.offset, retryInMs: delay },
              'batch failed with a retriable error; retrying the same batch (nothing committed, nothing dead-lettered)');
            if (!queued) await heartbeat();
          },
        });
        end();
        if (outcome.isolated) o.logger.warn({ topic, partition, firstOffset: msgs[0]!.offset, deadLettered: outcome.deadLettered }, 'batch failed not retriably; ran it one record at a time and dead-lettered the records that failed');
        // the last chunk resolves the batch's last offset (transaction markers included); what
        // is handled is committed (with other partitions' chunks: one request in flight,
        // createCommitter), never before it was produced
        const done = last ? batch.lastOffset() : msgs.at(-1)!.offset;
        f.next = String(BigInt(done) + 1n);
        if (!queued) resolveOffset(done);
        // the commit is not awaited: the next chunk, the next fetch and every record behind
        // them would wait a broker round trip for it (the decisive-event path). It carries only
        // what is handled; one that fails is sent again after a backoff (the committer logs
        // it) until it succeeds or a rebalance drops it, and what stays uncommitted then is read
        // again by the partition's next owner (handlers are idempotent). On stop the batch
        // waits for it (below). A queued batch's chunk handled after the member joined a new
        // generation commits nothing (what it handled is read again).
        if (f.joins === joins) commits.commit(topic, partition, f.next, commitOffsetsIfNecessary).catch(() => undefined);
        const lag = Math.max(0, Number(batch.highWatermark) - Number(done) - 1);
        health.progressed(topic, partition, lag);
        o.metrics.consumerLag.set({ topic, partition: String(partition) }, lag);
        if (!queued) await heartbeat();
        if (!last && (stopping || !current())) break; // the rest is read again by whoever has the partition now
      }
      // a stopping consumer leaves its group once its batches return: their commits go first
      // (a queued batch's are sent by stop(), once every queue is idle)
      if (stopping && !queued) await commits.close();
    } finally {
      clearInterval(beat);
    }
  }

  /** A consumer in the group, restarted by kafkajs after a retriable crash (after at most
   *  RESTART_MAX_MS: kafkajs waits the last retry's delay, 30 s by default) and replaced by a
   *  new one here after a crash kafkajs gives up on (restart: false), so that no error of a
   *  broker restart (a refusal while it loads its metadata, credentials or ACLs) leaves the
   *  stage without a consumer while its /healthz only says so. */
  async function open(): Promise<void> {
    const c = o.kafka.consumer({
      groupId: o.groupId, maxBytesPerPartition: o.maxBytesPerPartition ?? CONSUMER_DEFAULTS.maxBytesPerPartition, maxBytes: o.maxBytes ?? CONSUMER_DEFAULTS.maxBytes,
      maxWaitTimeInMs: o.maxWaitTimeInMs ?? CONSUMER_DEFAULTS.maxWaitTimeInMs, minBytes: o.minBytes ?? 1, allowAutoTopicCreation: false,
      sessionTimeout: o.sessionTimeoutMs ?? 30_000, heartbeatInterval: o.heartbeatIntervalMs ?? HEARTBEAT_MS,
      retry: { initialRetryTime: 300, maxRetryTime: RESTART_MAX_MS, retries: 10 },
    });
    consumer = c;
    committer.discard(); // a replaced consumer's retries must not go out through it
    committer = newCommitter();
    c.on(c.events.CRASH, (ev) => {
      isRunning = false;
      joins++;
      queues.newEpoch(); // kafkajs left the group: what is queued is read again after the rejoin
      committer.discard(); // kafkajs left the group before this: what is pending would be refused
      o.logger.error({ err: ev.payload.error, restart: ev.payload.restart }, 'consumer crashed');
      if (!ev.payload.restart && !stopping && consumer === c) replaceLater(c);
    });
    c.on(c.events.GROUP_JOIN, () => { joins++; queues.newEpoch(); committer.discard(); isRunning = true; replaceDelay = RESTART_MIN_MS; health.reset(); });
    // a rebalance begins: batches not started are dropped (whoever owns their partitions next
    // reads them again from the committed offsets; kafkajs fetches from there after the join)
    c.on(c.events.REBALANCING, () => { queues.newEpoch(); });
    await c.connect();
    await c.subscribe({ topics: o.topics, fromBeginning: o.fromBeginning ?? true });
    // autoCommit off: kafkajs would send an OffsetCommit after every batch; each chunk's
    // offsets are committed here instead (createCommitter), off the records' path
    await c.run({ eachBatchAutoResolve: false, autoCommit: false, partitionsConsumedConcurrently: o.partitionsConcurrently ?? CONSUMER_DEFAULTS.partitionsConcurrently, eachBatch });
  }
  let replaceDelay = RESTART_MIN_MS;
  let replaceTimer: NodeJS.Timeout | undefined;
  function replaceLater(old: Consumer): void {
    const delay = replaceDelay;
    replaceDelay = Math.min(replaceDelay * 2, RESTART_MAX_MS);
    o.logger.warn({ retryInMs: delay }, 'kafkajs gave up on the consumer; a new one joins the group');
    replaceTimer = setTimeout(() => {
      replaceTimer = undefined;
      if (stopping || consumer !== old) return;
      void old.disconnect().catch(() => undefined).then(() => (stopping || consumer !== old ? undefined : open())).catch((e: unknown) => {
        o.logger.error({ err: e }, 'starting a new consumer failed; trying again');
        if (!stopping && consumer) replaceLater(consumer); // the new one, whose start failed
      });
    }, delay);
  }

  return {
    running: () => isRunning,
    stalled: () => health.stalled(),
    async start() {
      if (consumer || stopping) return;
      await open();
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      isRunning = false;
      clearTimeout(replaceTimer);
      const c = consumer;
      // queued batches not started are left to the partitions' next owners; the ones being
      // handled end at their next chunk
      queues.close();
      await queues.idle();
      consumer = undefined;
      // offsets of batches that already returned go out before the member leaves the group
      // (batches still running in eachBatch wait for theirs themselves); kafkajs commits nothing
      // on disconnect with autoCommit off
      await committer.close();
      if (c) await c.disconnect();
    },
  };
}

/** Header value as a string ('' when absent). */
export function headerString(h: IHeaders, name: string): string {
  const v = h[name];
  if (v === undefined) return '';
  const one = Array.isArray(v) ? v[0] : v;
  return Buffer.isBuffer(one) ? one.toString('utf8') : String(one ?? '');
}

/** `partition`: set only where a record must go to one partition whatever its key (a flow
 *  watermark record, join/flow-watermark.ts); else the key's. */
export interface OutTopicMessages { topic: string; messages: { key: Buffer | string | null; value: Buffer | null; headers?: Record<string, string>; partition?: number }[] }
/** What stages produce through: kafkajs' Producer fits, and so does coalesceSends (send-coalescer.ts). */
export interface BatchSender { sendBatch(batch: { topicMessages: OutTopicMessages[] }): Promise<unknown> }

/** Produces in requests of at most `maxBytes` of keys+values (default 512 KiB), so no record
 *  batch exceeds the broker's message.max.bytes (1 MiB by default): one oversized batch would
 *  otherwise be refused on every retry and block the partition it was read from. */
export async function sendChunked(producer: BatchSender, topicMessages: OutTopicMessages[], maxBytes = 512 * 1024): Promise<void> {
  let chunk: OutTopicMessages[] = [];
  let size = 0;
  const flush = async () => {
    if (chunk.length) await producer.sendBatch({ topicMessages: chunk });
    chunk = [];
    size = 0;
  };
  for (const t of topicMessages) {
    for (const m of t.messages) {
      const bytes = (m.value?.length ?? 0) + (m.key?.length ?? 0) + 64;
      if (size + bytes > maxBytes) await flush();
      const last = chunk.at(-1);
      if (last && last.topic === t.topic) last.messages.push(m); else chunk.push({ topic: t.topic, messages: [m] });
      size += bytes;
    }
  }
  await flush();
}

// Where a new consumer group starts: at the current end of its topics, committed before its
// first member joins. "From the end" as kafkajs does it (fromBeginning false, no commit)
// resolves "latest" at the group's first fetch of each partition, which can come seconds after
// the member says it joined (on a topic created moments before, ListOffsets answers NOT_LEADER
// and is retried): records produced meanwhile are skipped for good. A group whose offsets are
// committed here reads exactly what comes after this call, however late its first fetch, and a
// member restarted later resumes from its own commits. Used by the integration tests
// (test/support/services.ts groupAtEnd) and the chaos run (deploy/chaos/main.ts).
import type { Admin, Kafka } from 'kafkajs';
import { retrying } from './backoff.ts';

export type GroupStartAdmin = Pick<Admin, 'fetchTopicOffsets' | 'fetchTopicMetadata' | 'setOffsets' | 'fetchOffsets'>;

export interface CommitAtEndOptions {
  /** How long a retriable refusal (no leader yet, coordinator loading) is retried, ms. Default 30 000. */
  waitMs?: number;
  /** Between retries, ms. Default 250. */
  retryMs?: number;
  /** When given, every topic's offsets are committed in one session of the group: one consumer
   *  joins, seeks every partition and leaves. kafkajs' setOffsets (used otherwise) runs that
   *  whole session per topic — a consumer, a join with the broker's initial rebalance delay, a
   *  fetch, a leave: seconds each, minutes for ingest's group on a broker holding many exporters'
   *  raw topics (landing CI 2026-12-02: tracer-kill and collector-e2e timed out starting ingest). */
  kafka?: Pick<Kafka, 'consumer'>;
}

/**
 * Commits `groupId`'s offset of every partition of `topics` at its end now (its high
 * watermark; 0 for an empty partition), checks that the group reads those offsets back, and
 * returns them as `topic/partition` -> offset. The group must have no members (kafkajs'
 * setOffsets refuses otherwise). kafkajs' resetOffsets is no substitute: it commits the sentinel
 * -1, which a joining member reads as "no offset" and resolves at its first fetch again.
 */
export async function commitAtEnd(admin: GroupStartAdmin, groupId: string, topics: readonly string[], o: CommitAtEndOptions = {}): Promise<Map<string, string>> {
  const retry = retriably(o.waitMs ?? 30_000, o.retryMs ?? 250);
  const planned: TopicEnds[] = [];
  for (const topic of topics) {
    const ends = await retry(() => admin.fetchTopicOffsets(topic), () => admin.fetchTopicMetadata({ topics: [topic] }));
    planned.push({ topic, partitions: ends.map((p) => ({ partition: p.partition, offset: p.high })) });
  }
  const missing = async (): Promise<string[]> => {
    // one request for every topic (kafkajs' fetchOffsets takes them all), not one per topic
    const all = await retry(() => admin.fetchOffsets({ groupId, topics: planned.map((t) => t.topic) }));
    const out: string[] = [];
    for (const { topic, partitions } of planned) {
      const got = all.find((t) => t.topic === topic);
      const missed = partitions.filter((p) => got?.partitions.find((x) => x.partition === p.partition)?.offset !== p.offset);
      if (missed.length > 0) out.push(`${topic} partitions ${missed.map((p) => p.partition).join(', ')}`);
    }
    return out;
  };
  // one session when a client is given; when it fails (its whole budget spent), kafkajs' per-topic
  // sessions, slow but retried on their own
  const oneSession = o.kafka && planned.length > 0
    ? await seekInOneSession(o.kafka, groupId, planned, missing, o.waitMs ?? 30_000).then(() => true, () => false)
    : false;
  if (!oneSession) for (const { topic, partitions } of planned) await retry(() => admin.setOffsets({ groupId, topic, partitions }));
  const missed = await missing();
  if (missed.length > 0) throw new Error(`group ${groupId}: the end of ${missed.join('; ')} was not committed`);
  const out = new Map<string, string>();
  for (const { topic, partitions } of planned) for (const p of partitions) out.set(`${topic}/${p.partition}`, p.offset);
  return out;
}

interface TopicEnds { topic: string; partitions: { partition: number; offset: string }[] }

/** kafkajs' setOffsets for many topics at once: a consumer of the group (which must have no
 *  members) subscribes to them all, pauses them, seeks every partition (kafkajs commits a seek
 *  at the member's next fetch) and leaves once the group reads every offset back, or after
 *  `waitMs`. */
async function seekInOneSession(kafka: Pick<Kafka, 'consumer'>, groupId: string, planned: TopicEnds[], missing: () => Promise<string[]>, waitMs: number): Promise<void> {
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, allowAutoTopicCreation: false });
  await consumer.connect();
  try {
    const topics = planned.map((p) => p.topic);
    await consumer.subscribe({ topics, fromBeginning: true });
    const until = Date.now() + waitMs;
    let state = '';
    for (;;) { // the group's coordinator may be loading still (NOT_COORDINATOR on a new broker)
      try { ({ state } = await consumer.describeGroup()); break; } catch (e) { if (Date.now() > until) throw e; await new Promise((r) => setTimeout(r, 250)); }
    }
    if (state !== 'Empty' && state !== 'Dead') throw new Error(`group ${groupId}: its start can be committed only while it has no members (state ${state})`);
    const seekAll = (): void => { for (const { topic, partitions } of planned) for (const p of partitions) consumer.seek({ topic, partition: p.partition, offset: p.offset }); };
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      let checking = false;
      const removers: (() => void)[] = [];
      const settle = (e?: unknown): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        for (const remove of removers) remove();
        if (e === undefined) resolve(); else reject(e instanceof Error ? e : new Error(String(e)));
      };
      const timer = setTimeout(() => settle(new Error(`group ${groupId}: offsets not committed within ${waitMs} ms`)), Math.max(1, until - Date.now()));
      removers.push(consumer.on(consumer.events.FETCH, () => {
        if (checking || settled) return;
        checking = true;
        // read back; what is not there yet (a restarted member lost its seeks) is sought again
        missing().then((m) => { checking = false; if (m.length === 0) settle(); else seekAll(); }, (e: unknown) => { checking = false; settle(e); });
      }));
      // kafkajs restarts a member that crashed retriably (restart: true); only a final crash fails
      removers.push(consumer.on(consumer.events.CRASH, (ev) => { if (!ev.payload.restart) settle(ev.payload.error); }));
      consumer.run({ eachBatchAutoResolve: false, eachBatch: async () => undefined }).catch(settle);
      // what kafkajs' setOffsets does, for every topic: nothing is consumed, the seeks are committed
      consumer.pause(topics.map((topic) => ({ topic })));
      seekAll();
    });
  } finally {
    await consumer.disconnect();
  }
}

/** A step run again while it fails retriably (kafkajs' `retriable`), for up to `waitMs`;
 *  `between` (a metadata refresh: kafkajs gives up on NOT_LEADER at once) runs before each wait. */
function retriably(waitMs: number, retryMs: number) {
  return <T>(step: () => Promise<T>, between?: () => Promise<unknown>): Promise<T> => {
    const until = Date.now() + waitMs;
    return retrying(step, {
      retriable: (e) => (e as { retriable?: boolean }).retriable === true,
      shouldStop: () => Date.now() > until,
      onRetry: async () => { await between?.().catch(() => undefined); },
      initialMs: retryMs, maxMs: retryMs,
    });
  };
}

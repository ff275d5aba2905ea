// Records and dead letters to Kafka in batches: a batch goes when it holds `batchRecords`
// or its oldest record has waited `lingerMs`, produced with the shared byte chunking
// (sendChunked), up to `maxInFlight` batches at once (flows.raw order does not matter: every
// record carries its own times and id). A failed batch is kept and retried with backoff (an
// outage loses nothing it holds). Each add() resolves once its record is
// acknowledged by Kafka: RADIUS answers the NAS only then.
import type { Producer } from 'kafkajs';
import { createBackoff, sleep } from '../common/backoff.ts';
import { sendChunked, type OutTopicMessages } from '../common/kafka.ts';
import type { Logger } from '../common/logger.ts';
import type { RegistryClient } from '../common/registry.ts';

export interface SinkRecord { topic: string; key: string | null; value: Buffer; headers?: Record<string, string> }
interface Queued { r: SinkRecord; done: () => void }

export interface RecordSinkOptions {
  producer: Pick<Producer, 'sendBatch'>;
  registry: Pick<RegistryClient, 'encode'>;
  logger: Logger;
  batchRecords: number;
  lingerMs: number;
  maxQueued: number;
  /** Batches being produced at once. Default 4. */
  maxInFlight?: number;
  onProduced?(topic: string, n: number): void;
  onRetry?(err: unknown): void;
}

export function createRecordSink(o: RecordSinkOptions) {
  const queue: Queued[] = [];
  let timer: NodeJS.Timeout | undefined;
  const inFlight = new Set<Promise<void>>();
  const maxInFlight = o.maxInFlight ?? 4;
  let failing = false;
  let closed = false;
  const backoff = createBackoff();

  function schedule() {
    if (queue.length === 0 || inFlight.size >= maxInFlight) return;
    if (queue.length >= o.batchRecords) { void flush(); return; }
    timer ??= setTimeout(() => { timer = undefined; void flush(); }, o.lingerMs);
  }

  async function flush(): Promise<void> {
    if (timer) { clearTimeout(timer); timer = undefined; }
    if (queue.length === 0 || inFlight.size >= maxInFlight) return;
    const batch = queue.splice(0, o.batchRecords);
    const done = (async () => {
      const byTopic = new Map<string, OutTopicMessages>();
      for (const { r } of batch) {
        let t = byTopic.get(r.topic);
        if (!t) byTopic.set(r.topic, (t = { topic: r.topic, messages: [] }));
        t.messages.push({ key: r.key, value: r.value, headers: r.headers });
      }
      try {
        await sendChunked(o.producer, [...byTopic.values()]);
        failing = false;
        backoff.reset();
        for (const t of byTopic.values()) o.onProduced?.(t.topic, t.messages.length);
        for (const q of batch) {
          try { q.done(); } catch (e) { o.logger.warn({ err: e }, 'after-produce callback failed'); } // produced is produced: never re-sent for this
        }
      } catch (e) {
        failing = true;
        o.onRetry?.(e);
        const delay = backoff.next();
        o.logger.warn({ err: e, records: batch.length, retryInMs: delay }, 'producing to Kafka failed; the batch is kept and retried');
        queue.unshift(...batch);
        await sleep(delay);
      }
    })();
    inFlight.add(done);
    try { await done; } finally { inFlight.delete(done); }
    if (!closed) schedule();
  }

  return {
    /** Queues an Avro record for `topic`; false when the queue is full (the caller counts the drop). */
    addEvent(topic: string, key: string, event: unknown, done: () => void = () => {}): boolean {
      return this.addRaw({ topic, key, value: o.registry.encode(topic, event) }, done);
    },
    addRaw(r: SinkRecord, done: () => void = () => {}): boolean {
      if (queue.length >= o.maxQueued) return false;
      queue.push({ r, done });
      schedule();
      return true;
    },
    queued: () => queue.length,
    healthy: () => !failing,
    /** Produces everything queued (retrying while Kafka is down, until `deadlineMs`). */
    async drain(deadlineMs = 10_000): Promise<void> {
      closed = true;
      const until = Date.now() + deadlineMs;
      while ((queue.length > 0 || inFlight.size > 0) && Date.now() < until) {
        if (queue.length > 0 && inFlight.size < maxInFlight) void flush();
        await Promise.race([...inFlight, new Promise((r) => setTimeout(r, 50))]);
      }
      if (timer) clearTimeout(timer);
      if (queue.length) o.logger.error({ records: queue.length }, 'stopping with records Kafka did not take');
    },
  };
}

export type RecordSink = ReturnType<typeof createRecordSink>;

// The stage wrapper: what every consumer stage does around its plain processing function, in
// one place, so a stage never writes dead-letter, counting or logging code of its own.
//   - a record the function cannot take (read() fails on it, not retriably) is set aside and
//     dead-lettered to dlq.<stage> with its reason code and coordinates (dead-letter.ts);
//   - what the function returns, and the batch's dead letters, are produced in one go
//     (sendChunked), merged with what the stage's other partitions hand in meanwhile into one
//     request in flight (send-coalescer.ts); a produce failure is an outage: the batch is
//     retried, nothing committed;
//   - only once produced: messages out counted by topic, each dead letter counted and logged.
// A retriable failure fails the batch (the consumer loop retries it with backoff, batch-runner.ts);
// a record that fails the function itself, not retriably, comes back one record at a time and
// is dead-lettered with deadLetterOne, the same way.
import type { Producer } from 'kafkajs';
import { deadLetterMessage } from './dead-letter.ts';
import { classify, dependencyDown, type CrosstraceError } from './errors.ts';
import { sendChunked, type BatchSender, type ConsumedMessage, type OutTopicMessages } from './kafka.ts';
import { coalesceSends } from './send-coalescer.ts';
import type { Logger } from './logger.ts';
import type { StageMetrics } from './metrics.ts';
import { dlqTopic } from './topics.ts';

export interface StageIo {
  /** Name in dead letters (ct-stage) and of the dead-letter topic dlq.<stage>. */
  stage: string;
  producer: Pick<Producer, 'sendBatch'>;
  metrics: StageMetrics;
  logger: Logger;
  /** A stage's own count of a dead letter (e.g. by exporter), after it is written. */
  onDeadLetter?(err: CrosstraceError, m: ConsumedMessage): void;
  now?: () => number;
}

export interface StageBatch {
  /** `read()`'s value, or undefined when it fails not retriably: the record `m` is then
   *  dead-lettered with the batch's output. A retriable failure fails the whole batch. */
  read<T>(m: ConsumedMessage, read: () => T | Promise<T>): Promise<T | undefined>;
  /** read() for a reader that answers at once, without a promise per record: its value, or
   *  undefined when it fails not retriably (dead-lettered the same way); a retriable failure is thrown. */
  readNow<T>(m: ConsumedMessage, read: () => T): T | undefined;
}

/** A stage's processing of one batch: what to produce, by topic (empty topics are skipped). */
export type StageFunction = (msgs: ConsumedMessage[], batch: StageBatch) => Promise<OutTopicMessages[] | void>;

interface Rejected { m: ConsumedMessage; err: CrosstraceError }

/** Produces `out` plus the dead letters of `rejected`, then counts and logs them. */
async function produce(io: StageIo, out: OutTopicMessages[], rejected: Rejected[], sender: BatchSender = io.producer): Promise<void> {
  const at = (io.now ?? Date.now)();
  const dead = { topic: dlqTopic(io.stage), messages: rejected.map((r) => deadLetterMessage(io.stage, r.err, r.m, at)) };
  const topics = [...out, dead].filter((t) => t.messages.length > 0);
  if (topics.length === 0) return;
  try { await sendChunked(sender, topics); } catch (e) { throw dependencyDown('producing to Kafka failed', e); }
  for (const t of topics) io.metrics.messagesOut.inc({ topic: t.topic }, t.messages.length);
  for (const { m, err } of rejected) {
    io.metrics.deadLetters.inc({ topic: m.topic, reason: err.code });
    io.logger.warn({ code: err.code, reason: err.message, topic: m.topic, partition: m.partition, offset: m.offset }, 'dead-lettered');
    io.onDeadLetter?.(err, m);
  }
}

/** The consumer handler of a stage: `fn` wrapped as above. */
export function wrapStage(io: StageIo, fn: StageFunction): (msgs: ConsumedMessage[]) => Promise<void> {
  const sender = coalesceSends(io.producer);
  return async (msgs) => {
    const rejected: Rejected[] = [];
    const reject = (m: ConsumedMessage, e: unknown): undefined => {
      const err = classify(e);
      if (err.retriable) throw err;
      rejected.push({ m, err });
      return undefined;
    };
    const out = await fn(msgs, {
      async read(m, read) {
        try { return await read(); } catch (e) { return reject(m, e); }
      },
      readNow(m, read) {
        try { return read(); } catch (e) { return reject(m, e); }
      },
    });
    await produce(io, out ?? [], rejected, sender);
  };
}

/** Dead-letters one record the stage's function failed on by itself (the consumer loop's
 *  one-record-at-a-time pass), written, counted and logged like the others. */
export function deadLetterOne(io: StageIo, m: ConsumedMessage, err: CrosstraceError): Promise<void> {
  return produce(io, [], [{ m, err }]);
}

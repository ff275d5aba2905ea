// Runs one partition's batch through a stage's handler, classifying every failure once
// (errors.ts classify), so no record can stop its partition:
//   - retriable (a dependency is down): the same batch again after a backoff that doubles up
//     to `maxBackoffMs`, for as long as it takes (an outage never dead-letters anything), until
//     `shouldStop()` (the service stops, or the batch went stale in a rebalance);
//   - not retriable: the batch is run again one record at a time, in order, and each record
//     that fails on its own (not retriably) is dead-lettered with its reason; the others are
//     processed. The handler must be idempotent: records before the bad one run twice.
// Pure plumbing: no Kafka client here, so it is unit-tested with plain functions.
import { retrying } from './backoff.ts';
import { classify, type CrosstraceError } from './errors.ts';

export interface BatchRunOptions<M> {
  handle(msgs: M[]): Promise<void>;
  /** Writes one dead letter; a failure is classified and retried like a handler failure. */
  deadLetter(m: M, err: CrosstraceError): Promise<void>;
  /** Before each wait after a retriable failure (heartbeat, metrics, health, log). */
  onRetry(err: CrosstraceError, delayMs: number): void | Promise<void>;
  /** After a run of the handler that ended without a retriable failure. */
  onProgress?(): void;
  /** True when retrying must end: the error is rethrown and nothing is committed. */
  shouldStop(): boolean;
  /** First delay after a retriable failure, ms (default 200); doubles up to maxBackoffMs (default 5000). */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  sleep?(ms: number): Promise<void>;
}

export interface BatchOutcome { deadLettered: number; isolated: boolean }

export async function runBatch<M>(msgs: M[], o: BatchRunOptions<M>): Promise<BatchOutcome> {
  /** Runs `fn` until it succeeds or fails not retriably (returned). What onRetry throws (a
   *  heartbeat in a rebalance) ends the run as it is, never taken for the record's failure. */
  async function untilSettled(fn: () => Promise<void>): Promise<CrosstraceError | null> {
    let failed: CrosstraceError | null = null;
    await retrying(async () => {
      try { await fn(); } catch (e) {
        const err = classify(e);
        if (err.retriable) throw err;
        failed = err;
      }
    }, { retriable: () => true, shouldStop: o.shouldStop, onRetry: o.onRetry, initialMs: o.initialBackoffMs, maxMs: o.maxBackoffMs, sleep: o.sleep });
    if (!failed) o.onProgress?.();
    return failed;
  }

  async function deadLetter(m: M, err: CrosstraceError): Promise<void> {
    const failed = await untilSettled(() => o.deadLetter(m, err));
    // a dead letter that cannot be written at all (not an outage) must not block either:
    // the sink keeps reason + coordinates + digest, so this is a defect of the sink; rethrow
    if (failed) throw failed;
  }

  const whole = await untilSettled(() => o.handle(msgs));
  if (!whole) return { deadLettered: 0, isolated: false };
  if (msgs.length === 1) {
    await deadLetter(msgs[0]!, whole);
    return { deadLettered: 1, isolated: true };
  }
  let dead = 0;
  for (const m of msgs) {
    const err = await untilSettled(() => o.handle([m]));
    if (err) { await deadLetter(m, err); dead++; }
  }
  return { deadLettered: dead, isolated: true };
}

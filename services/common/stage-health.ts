// Whether a consumer stage is stuck, per partition it reads. /healthz answers 503 while a
// partition is stalled. A partition is stalled when it has records waiting (lag > 0), has made
// no progress for longer than `stallAfterMs`, and either
//   - it is held: a batch of it reached the handler and nothing of it was processed since, for
//     longer than `stallAfterMs` (a hung handler, or a dependency that is down: the batch is
//     retried and never gets through); or
//   - the stage is stuck as a whole: no partition it reads made any progress for longer than
//     `stallAfterMs`.
// A partition that only waits for its turn while the stage works on others is busy, not stuck.
// kafkajs hands a fetch's batches to `partitionsConsumedConcurrently` workers (2) and fetches
// again only when all of them are done: with 12 partitions and a large fetch per partition, one
// partition can wait far longer than `stallAfterMs` for its next batch while the stage commits
// on the others (measured in session 5: ingest at 160-400 records/s under load took 88 s for one
// fetched batch). A hung handler, by the same rule of kafkajs, stops every partition of its
// broker's fetch once the other worker ran out of batches: the whole-stage rule catches it
// there; the held rule catches it at once on any broker, in whichever chunk of its batch it hangs
// (the consumer loop marks each chunk's start).
// An idle partition (lag 0) is never stalled. Progress = a chunk (or one record of an isolated
// chunk) processed or dead-lettered.

export interface StalledPartition { topic: string; partition: number; lag: number; stuckForMs: number; lastError: string | null }

export function createStageHealth(o: { stallAfterMs: number; now?: () => number }) {
  const now = o.now ?? Date.now;
  const parts = new Map<string, { topic: string; partition: number; lag: number; since: number; heldSince: number | null; lastError: string | null }>();
  /** Last progress on any partition (or the start, or the last assignment). */
  let lastProgress = now();
  const entry = (topic: string, partition: number) => {
    const k = `${topic}/${partition}`;
    let e = parts.get(k);
    if (!e) { e = { topic, partition, lag: 0, since: now(), heldSince: null, lastError: null }; parts.set(k, e); }
    return e;
  };
  return {
    /** A batch arrived at the handler: `pending` records from its first offset to the high watermark. */
    batchStarted(topic: string, partition: number, pending: number) {
      const e = entry(topic, partition);
      const t = now();
      if (e.lag === 0) e.since = t; // was idle: the clock starts now
      e.lag = Math.max(e.lag, pending);
      e.heldSince = t;
    },
    progressed(topic: string, partition: number, lag?: number) {
      const e = entry(topic, partition);
      const t = now();
      e.since = t;
      e.heldSince = null;
      e.lastError = null;
      lastProgress = t;
      if (lag !== undefined) e.lag = lag;
    },
    failed(topic: string, partition: number, code: string) { entry(topic, partition).lastError = code; },
    /** Assignment changed: partitions read before may be someone else's now; the stage's clock starts again. */
    reset() { parts.clear(); lastProgress = now(); },
    stalled(): StalledPartition[] {
      const t = now();
      const stageStuck = t - lastProgress > o.stallAfterMs;
      return [...parts.values()]
        .filter((e) => e.lag > 0 && t - e.since > o.stallAfterMs && (stageStuck || (e.heldSince !== null && t - e.heldSince > o.stallAfterMs)))
        .map((e) => ({ topic: e.topic, partition: e.partition, lag: e.lag, stuckForMs: t - e.since, lastError: e.lastError }));
    },
  };
}

export type StageHealth = ReturnType<typeof createStageHealth>;

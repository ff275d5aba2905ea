// Whether a consumer stage is making progress, per partition it reads: a partition with
// records waiting (lag > 0) whose last progress is older than `stallAfterMs` is stalled, and
// a stalled partition makes /healthz answer 503. An idle partition (lag 0) is never stalled.
// Progress = a batch (or one record of an isolated batch) processed or dead-lettered.

export interface StalledPartition { topic: string; partition: number; lag: number; stuckForMs: number; lastError: string | null }

export function createStageHealth(o: { stallAfterMs: number; now?: () => number }) {
  const now = o.now ?? Date.now;
  const parts = new Map<string, { topic: string; partition: number; lag: number; since: number; lastError: string | null }>();
  const entry = (topic: string, partition: number) => {
    const k = `${topic}/${partition}`;
    let e = parts.get(k);
    if (!e) { e = { topic, partition, lag: 0, since: now(), lastError: null }; parts.set(k, e); }
    return e;
  };
  return {
    /** A batch arrived: `pending` records from its first offset to the high watermark. */
    batchStarted(topic: string, partition: number, pending: number) {
      const e = entry(topic, partition);
      if (e.lag === 0) e.since = now(); // was idle: the clock starts now
      e.lag = Math.max(e.lag, pending);
    },
    progressed(topic: string, partition: number, lag?: number) {
      const e = entry(topic, partition);
      e.since = now();
      e.lastError = null;
      if (lag !== undefined) e.lag = lag;
    },
    failed(topic: string, partition: number, code: string) { entry(topic, partition).lastError = code; },
    /** Assignment changed: partitions read before may be someone else's now. */
    reset() { parts.clear(); },
    stalled(): StalledPartition[] {
      const t = now();
      return [...parts.values()]
        .filter((e) => e.lag > 0 && t - e.since > o.stallAfterMs)
        .map((e) => ({ topic: e.topic, partition: e.partition, lag: e.lag, stuckForMs: t - e.since, lastError: e.lastError }));
    },
  };
}

export type StageHealth = ReturnType<typeof createStageHealth>;

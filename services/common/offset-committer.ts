// The consumer loop's offset commits (kafka.ts createConsumerLoop), off the records' path: one
// OffsetCommit in flight per consumer, what comes in meanwhile goes out together in the next
// request, and a request that fails is sent again after a backoff until it succeeds, a higher
// offset of the same partition supersedes it, or the member joins a new generation (the
// partition may be someone else's then). Without the retry, a partition that went quiet after
// its last commit failed kept that commit undone until it committed again: after a restart its
// records were read again (the tracer, archive and gateway replayed them) and its group lag
// stayed wrong meanwhile. (kafkajs' own auto-commit sent one request after every batch, 12 per
// fetch with 12 partitions at once.) Pure apart from the timer it waits on.
import { createBackoff } from './backoff.ts';

/** kafkajs' commitOffsetsIfNecessary with explicit offsets (offset = the next one to read). */
export type CommitOffsets = (offsets: { topics: { topic: string; partitions: { partition: number; offset: string }[] }[] }) => Promise<void>;

export interface CommitterOptions {
  /** Least time between two requests, ms: the first after a pause goes at once, close() sends
   *  at once. Default 0 (back to back, one in flight). */
  intervalMs?: number;
  /** First wait before a failed request is sent again, ms; doubles up to maxRetryMs. Default 200. */
  retryMs?: number;
  /** Longest wait between two tries, ms. Default 5000. */
  maxRetryMs?: number;
  /** Told of each failed request that will be sent again (to log it): the error, the wait in
   *  ms, and what it carried (`topic/partition@offset`). */
  onFailed?(err: unknown, retryInMs: number, offsets: string[]): void;
}

export interface Committer {
  /** Commits `offset` of topic/partition with whatever else is pending, through `via`. Settles
   *  once a request carrying it is answered: rejects with that request's error (the offset is
   *  then retried without the caller) or when dropped (discard). */
  commit(topic: string, partition: number, offset: string, via: CommitOffsets): Promise<void>;
  /** The member joined a new generation: drops what is pending and any retry (their callers'
   *  promises reject). kafkajs would send them with the new generation id, and the broker does
   *  not check who owns a partition, so an old chunk's offset could land after the partition's
   *  new owner committed further, moving it back. A request already in flight carries the old
   *  generation and is refused. Dropped offsets are only read again. */
  discard(): void;
  /** The member is leaving: what is pending goes out now (a failed request waiting for its
   *  retry included, once more) and this resolves once no request is in flight; from here on a
   *  failed request is not retried. Commits handed in meanwhile go out too (once). */
  close(): Promise<void>;
}

type Entry = { topic: string; partition: number; offset: string };
const keyOf = (topic: string, partition: number) => `${topic}\u0000${partition}`;

export function createCommitter(o: CommitterOptions = {}): Committer {
  const backoff = createBackoff({ initialMs: o.retryMs ?? 200, maxMs: o.maxRetryMs ?? 5_000 });
  let send: CommitOffsets | undefined;
  let pending = new Map<string, Entry>();
  let waiting: { resolve(): void; reject(e: unknown): void }[] = [];
  let busy = false;
  let closing = false;
  /** Bumped by discard(): a request sent before it is never retried (its offsets are an old generation's). */
  let generation = 0;
  let retry: NodeJS.Timeout | undefined;
  let quiet: (() => void)[] = [];
  const intervalMs = o.intervalMs ?? 0;
  let lastSentAt = -Infinity;
  /** Ends a wait for the interval at once (close). */
  let cutWait: (() => void) | undefined;

  /** Puts `e` back unless a higher offset of its partition is pending (a later chunk's). */
  const requeue = (e: Entry): void => {
    const had = pending.get(keyOf(e.topic, e.partition));
    if (!had || BigInt(had.offset) < BigInt(e.offset)) pending.set(keyOf(e.topic, e.partition), e);
  };
  const settleQuiet = (): void => {
    if (busy) return;
    const was = quiet;
    quiet = [];
    for (const r of was) r();
  };
  function cancelRetry(): void {
    clearTimeout(retry);
    retry = undefined;
  }

  async function drain(): Promise<void> {
    busy = true;
    cancelRetry();
    while (pending.size > 0) {
      const wait = lastSentAt + intervalMs - Date.now();
      if (wait > 0 && !closing) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, wait);
          cutWait = () => { clearTimeout(t); resolve(); };
        });
        cutWait = undefined;
        if (pending.size === 0) break; // discarded meanwhile
      }
      lastSentAt = Date.now();
      const batch = [...pending.values()];
      const sentIn = generation;
      const waiters = waiting;
      pending = new Map();
      waiting = [];
      const topics = new Map<string, { partition: number; offset: string }[]>();
      for (const { topic, partition, offset } of batch) topics.set(topic, [...(topics.get(topic) ?? []), { partition, offset }]);
      try {
        await send!({ topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })) });
        backoff.reset();
        for (const w of waiters) w.resolve();
      } catch (e) {
        for (const w of waiters) w.reject(e);
        // leaving: not retried (what else came in still goes out once); sent before the member
        // joined a new generation: dropped, as discard() drops what was pending then
        if (closing || sentIn !== generation) continue;
        for (const entry of batch) requeue(entry);
        const delay = backoff.next();
        o.onFailed?.(e, delay, batch.map((x) => `${x.topic}/${x.partition}@${x.offset}`));
        retry = setTimeout(() => { retry = undefined; if (!busy) void drain(); }, delay);
        retry.unref(); // a retry never holds the process open
        break; // sent again by the timer (later commits wait for it)
      }
    }
    busy = false;
    settleQuiet();
  }

  return {
    commit(topic, partition, offset, via) {
      send = via;
      requeue({ topic, partition, offset });
      const done = new Promise<void>((resolve, reject) => { waiting.push({ resolve, reject }); });
      // a failed request waiting out its backoff goes with this one when the timer fires: the
      // other partitions' commits do not cut the backoff short (a coordinator down would be
      // asked, and warned about, every interval instead of every few seconds)
      if (!busy && !retry) void drain();
      return done;
    },
    discard() {
      generation++;
      cancelRetry();
      const was = waiting;
      pending = new Map();
      waiting = [];
      for (const w of was) w.reject(new Error('offset commit dropped: the member joined a new generation'));
      settleQuiet();
    },
    close() {
      closing = true;
      cutWait?.(); // no waiting out the interval
      if (retry && !busy) void drain(); // the failed request once more, now
      return busy ? new Promise<void>((r) => { quiet.push(r); }) : Promise.resolve();
    },
  };
}

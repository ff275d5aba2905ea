// Per-partition queues between kafkajs' fetch loop and a stage's handler (kafka.ts
// createConsumerLoop, `queueAhead`). kafkajs 2.2.4 fetches again only once every batch of the
// last fetch is handled (consumer/fetcher.js awaits workerQueue.push), so a record that arrives
// while a fetch is being handled waits for the slowest partition's batch of that fetch, its Redis
// round trips and its produce, before it is even fetched. Here a fetched batch is queued for its
// partition and eachBatch returns at once: the next fetch goes while the batch is handled.
//
// Contract:
//   - one partition's batches are handled one at a time, in the order they were queued; several
//     partitions at once;
//   - what is fetched while a batch is handled waits behind it as ONE batch (`merge`): the next
//     batch is whatever came meanwhile, so batches grow with the handling time, not with a count
//     (a batch's Redis round trips and produce are shared by more records when the stage is busy);
//   - once `pauseAt` records wait, the partition is paused (no fetch asks for it) until they
//     start: memory stays within a running batch, pauseAt records and one fetched batch per
//     partition. A pause only when a partition is that far behind: kafkajs sleeps maxWaitTime
//     before its next fetch when every partition is paused;
//   - newEpoch() (a rebalance, a crash, stop) drops every batch not started yet and resumes every
//     partition this paused (kafkajs keeps a pause across assignments); a batch already started
//     sees `current()` turn false and ends at its next chunk;
//   - idle() resolves once no batch is being handled.
// Nothing here commits: the caller commits what a handled batch says it handled. Pure plumbing
// (no Kafka client), unit-tested with plain functions.

export interface PartitionQueuesOptions<B> {
  /** `waiting` and `next` as one batch (next after waiting), or undefined to keep them apart. */
  merge?(waiting: B, next: B): B | undefined;
  /** Records of a batch (default 1). */
  size?(batch: B): number;
  /** Records waiting (not started) on a partition at which it is paused. Default 1 (a second batch). */
  pauseAt?: number;
  /** Handles one batch; `current()` is false once the batch's epoch is over (stop at the next
   *  chunk). A rejection is the caller's to have logged and dealt with: the queue goes on. */
  run(batch: B, current: () => boolean): Promise<void>;
  /** Told of a run that rejected, after the queue dropped the partition's waiting batches (they
   *  follow the failure: the caller rewinds the partition to read them again). The partition's
   *  next batch starts once this resolves (a backoff: a failure that repeats is no hot loop). */
  onFailed(key: string, batch: B, err: unknown): Promise<void>;
}

export interface PartitionQueues<B> {
  /** Queues `batch` for partition `key`; `pause()` pauses the partition and returns its resume.
   *  False after close() (nothing queued). */
  push(key: string, batch: B, pause: () => () => void): boolean;
  /** Drops every batch not started, resumes what this paused; started batches see current() false. */
  newEpoch(): void;
  /** Resolves once no batch is being handled. */
  idle(): Promise<void>;
  /** newEpoch(), and no batch is queued from now on. */
  close(): void;
  /** Batches waiting (not started), all partitions. */
  waiting(): number;
}

interface Lane<B> { waiting: { batch: B; epoch: number }[]; running: boolean; resume?: () => void }

export function createPartitionQueues<B>(o: PartitionQueuesOptions<B>): PartitionQueues<B> {
  const lanes = new Map<string, Lane<B>>();
  let epoch = 0;
  let closed = false;
  let active = 0;
  let quiet: (() => void)[] = [];
  const size = o.size ?? (() => 1);
  const pauseAt = o.pauseAt ?? 1;

  const resumeLane = (lane: Lane<B>): void => {
    const r = lane.resume;
    lane.resume = undefined;
    r?.();
  };

  async function work(key: string, lane: Lane<B>): Promise<void> {
    lane.running = true;
    active++;
    try {
      for (let next = lane.waiting.shift(); next; next = lane.waiting.shift()) {
        if (next.epoch !== epoch) continue; // an earlier epoch's: read again by whoever owns the partition
        if (lane.waiting.length === 0) resumeLane(lane); // nothing waits: the partition is fetched again
        const mine = next.epoch;
        try {
          await o.run(next.batch, () => mine === epoch && !closed);
        } catch (e) {
          lane.waiting = []; // after a failure: what follows it is read again (the caller rewinds)
          await o.onFailed(key, next.batch, e).catch(() => undefined);
        }
      }
      resumeLane(lane); // nothing waits (a failure dropped what did): the partition is fetched again
    } finally {
      lane.running = false;
      active--;
      if (active === 0) {
        const was = quiet;
        quiet = [];
        for (const r of was) r();
      }
    }
  }

  function newEpoch(): void {
    epoch++;
    for (const lane of lanes.values()) {
      lane.waiting = [];
      resumeLane(lane);
    }
  }

  return {
    push(key, batch, pause) {
      if (closed) return false;
      let lane = lanes.get(key);
      if (!lane) lanes.set(key, (lane = { waiting: [], running: false }));
      const last = lane.waiting.at(-1);
      const merged = last && last.epoch === epoch ? o.merge?.(last.batch, batch) : undefined;
      if (merged !== undefined) last!.batch = merged; else lane.waiting.push({ batch, epoch });
      const waiting = lane.waiting.reduce((n, w) => n + size(w.batch), 0);
      if (lane.running && !lane.resume && waiting >= pauseAt) lane.resume = pause();
      if (!lane.running) void work(key, lane);
      return true;
    },
    newEpoch,
    idle: () => (active === 0 ? Promise.resolve() : new Promise<void>((r) => { quiet.push(r); })),
    close() {
      closed = true;
      newEpoch();
    },
    waiting: () => [...lanes.values()].reduce((n, l) => n + l.waiting.length, 0),
  };
}

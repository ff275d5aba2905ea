// The hops this correlator has durably published, so an exact repeat is not published again.
// A waiter woken by every event of a hot window resolves to the same hops batch after batch;
// the tracer takes a repeat for 'unchanged' (tracer/domain/hop-versions.ts) and its pass for it
// does nothing its ticker does not also do every TICK_MS, so a repeat only costs produce, broker
// and tracer work. Contract:
//   - a hop is suppressed only when its id's LAST version on trace.hops, in the order the tracer
//     reads them, is byte for byte the same encoding (schema id, every field, decisiveAt too:
//     the correlator derives it from the evidence records, so a repeat carries the same one).
//     A changed version always goes out, also one that returns to an older content (C1, C2, C1);
//   - a version counts as published only once its batch's produce succeeded (acks=all, a plain
//     producer: on trace.hops for the tracer at once). A failed batch marks nothing, so its
//     retry publishes again; a batch whose produce succeeded but whose offset commit did not is
//     read again and its repeats suppressed, which loses nothing: they are on trace.hops;
//   - a hop id carried by two batches in flight at once (two partitions: their order on
//     trace.hops is not known) is neither suppressed nor remembered: the next version goes out;
//   - bounded: the `capacity` ids used last are kept (0 = none: every hop is published); an id
//     forgotten, or a restart, only lets one repeat through again;
//   - per instance: "last version" is the last one THIS process published. Another instance
//     may have published a newer version of the id meanwhile (a rebalance moved the partition
//     and back), or a produce reported failed may have reached the broker; a later exact repeat
//     of this instance's older version is then left out. Harmless as far as the cold review
//     (2026-12-02) could build it: a window only grows until trimmed, so an older version is
//     a strict subset of the evidence of the newer, which the tracer keeps (hop-versions.ts
//     isStale ignores the older one anyway).
// Pure: no Kafka, no metrics.
import { createHash } from 'node:crypto';

/** CROSSTRACE_CORRELATOR_HOPS_REMEMBERED's default. */
export const DEFAULT_HOPS_REMEMBERED = 100_000;

export interface HopOut { hopId: string; value: Buffer }

/** What one batch publishes: `begin` chose it, `settle` is called once its produce ended. */
export interface PublishingBatch<T extends HopOut> {
  /** The hops to publish, in their order; the exact repeats left out. */
  readonly publish: T[];
  /** How many were left out. */
  readonly suppressed: number;
  /** `produced`: the batch's produce succeeded (its versions are remembered); false: it failed
   *  (nothing is). Idempotent: only the first call counts. */
  settle(produced: boolean): void;
}

const digest = (value: Buffer): string => createHash('sha256').update(value).digest('base64');

export function createPublishedHops(o: { capacity: number }) {
  if (!Number.isInteger(o.capacity) || o.capacity < 0) throw new Error(`published hops: capacity must be an integer >= 0, got ${o.capacity}`);
  /** hopId -> digest of its last version published; Map order = least recently used first. */
  const last = new Map<string, string>();
  /** hopId -> batches in flight carrying it. */
  const inFlight = new Map<string, number>();
  /** hopIds carried by more than one batch in flight at some point since their count was 0. */
  const contested = new Set<string>();

  function remember(id: string, d: string): void {
    last.delete(id);
    last.set(id, d);
    if (last.size > o.capacity) last.delete(last.keys().next().value!);
  }

  return {
    /** Chooses what a batch publishes of `hops` (their order kept) and marks its ids in flight. */
    begin<T extends HopOut>(hops: readonly T[]): PublishingBatch<T> {
      if (o.capacity === 0) return { publish: [...hops], suppressed: 0, settle: () => undefined };
      const mine = new Map<string, string>(); // hopId -> digest of its last version in this batch
      const publish: T[] = [];
      for (const h of hops) {
        const d = digest(h.value);
        const ours = mine.get(h.hopId);
        if (ours === d) continue;
        if (ours === undefined && !inFlight.has(h.hopId) && last.get(h.hopId) === d) { remember(h.hopId, d); continue; } // used: kept longer

        mine.set(h.hopId, d);
        publish.push(h);
      }
      for (const id of mine.keys()) {
        const n = (inFlight.get(id) ?? 0) + 1;
        inFlight.set(id, n);
        if (n > 1) contested.add(id);
      }
      let settled = false;
      return {
        publish,
        suppressed: hops.length - publish.length,
        settle(produced) {
          if (settled) return;
          settled = true;
          for (const [id, d] of mine) {
            if (contested.has(id)) last.delete(id);
            else if (produced) remember(id, d);
            const n = inFlight.get(id)! - 1;
            if (n > 0) inFlight.set(id, n);
            else { inFlight.delete(id); contested.delete(id); }
          }
        },
      };
    },
    /** Hop ids remembered (for tests and a gauge). */
    size: () => last.size,
  };
}

export type PublishedHops = ReturnType<typeof createPublishedHops>;

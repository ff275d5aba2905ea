// Two small schedulers. The timing wheel runs background tasks in event-time order, slot by
// slot (tasks may schedule more, also into the running slot). The emit queue holds produced
// records until their emitAt; drain(now) hands out everything due before now's bucket, so a
// record is never produced before its emitAt and at most one bucket (bucketMs) after. Pure.
import type { RawOut } from './raw-events.ts';

export interface TimingWheel {
  schedule(t: number, task: () => void): void;
  /** Runs every slot that ends at or before `to`; after each slot, onSlot(slotStart, slotEnd). */
  runUntil(to: number, onSlot: (from: number, to: number) => void): void;
  /** Event time up to which everything has run. */
  readonly time: number;
}

export function createTimingWheel(slotMs: number, startAt: number): TimingWheel {
  const slots = new Map<number, (() => void)[]>();
  let current = Math.floor(startAt / slotMs);
  return {
    schedule(t, task) {
      const s = Math.max(current, Math.floor(t / slotMs));
      const list = slots.get(s);
      if (list) list.push(task); else slots.set(s, [task]);
    },
    runUntil(to, onSlot) {
      while ((current + 1) * slotMs <= to) {
        for (let tasks = slots.get(current); tasks; tasks = slots.get(current)) {
          slots.delete(current);
          for (const task of tasks) task();
        }
        onSlot(current * slotMs, (current + 1) * slotMs);
        current++;
      }
    },
    get time() { return current * slotMs; },
  };
}

export interface EmitQueue {
  push(x: RawOut): void;
  /** Records with emitAt in buckets wholly before `now`, in bucket order. */
  drain(now: number): RawOut[];
  /** Everything still queued, emptying the queue. */
  drainAll(): RawOut[];
  readonly size: number;
  /** emitAt of the earliest queued record's bucket, or null when empty. */
  oldest(): number | null;
}

export function createEmitQueue(bucketMs = 10): EmitQueue {
  const buckets = new Map<number, RawOut[]>();
  let cursor = -Infinity;
  let size = 0;
  let lowest = Infinity;
  return {
    push(x) {
      const b = Math.max(cursor, Math.floor(x.emitAt / bucketMs));
      const list = buckets.get(b);
      if (list) list.push(x); else buckets.set(b, [x]);
      if (b < lowest) lowest = b;
      size++;
    },
    drain(now) {
      const end = Math.floor(now / bucketMs);
      const out: RawOut[] = [];
      if (size > 0 && lowest < end) {
        for (let b = lowest; b < end && size > 0; b++) {
          const list = buckets.get(b);
          if (!list) continue;
          buckets.delete(b);
          size -= list.length;
          for (const x of list) out.push(x);
        }
        lowest = size === 0 ? Infinity : end; // everything below `end` is drained
      }
      cursor = Math.max(cursor, end);
      return out;
    },
    drainAll() {
      const out = [...buckets.keys()].sort((a, b) => a - b).flatMap((b) => buckets.get(b)!);
      buckets.clear();
      size = 0;
      lowest = Infinity;
      return out;
    },
    get size() { return size; },
    oldest: () => (size === 0 ? null : lowest * bucketMs),
  };
}

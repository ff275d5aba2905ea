// Retry with backoff, written once: delays that double from `initialMs` up to `maxMs`, and the
// loop that runs a step until it succeeds, fails for good, or must stop. Used by the consumer
// loop's batch runner (batch-runner.ts) and the collector's record sink; pure apart from the
// timer it sleeps on (replaceable).

export interface BackoffOptions {
  /** First delay, ms. Default 200. */
  initialMs?: number;
  /** Longest delay, ms. Default 5000. */
  maxMs?: number;
}

export interface Backoff {
  /** The delay to wait now, ms; the next one is twice as long, up to maxMs. */
  next(): number;
  /** Back to initialMs (after a success). */
  reset(): void;
}

export function createBackoff(o: BackoffOptions = {}): Backoff {
  const first = o.initialMs ?? 200;
  const max = o.maxMs ?? 5_000;
  let delay = first;
  return {
    next() { const d = delay; delay = Math.min(delay * 2, max); return d; },
    reset() { delay = first; },
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface RetryOptions<E> extends BackoffOptions {
  /** The failure as the caller sees it (e.g. errors.ts classify); default: as thrown. */
  classify?(e: unknown): E;
  /** True when the failure is worth another try (a dependency down). */
  retriable(err: E): boolean;
  /** True when retrying must end: the retriable failure is thrown. */
  shouldStop?(): boolean;
  /** Before each wait (log, count, heartbeat). */
  onRetry?(err: E, delayMs: number): void | Promise<void>;
  sleep?(ms: number): Promise<void>;
}

/** Runs `step` until it succeeds (its value), fails not retriably (that failure is thrown, as
 *  classified) or `shouldStop()` after a retriable failure (that one is thrown). */
export async function retrying<T, E = unknown>(step: () => Promise<T>, o: RetryOptions<E>): Promise<T> {
  const backoff = createBackoff(o);
  const wait = o.sleep ?? sleep;
  for (;;) {
    try {
      return await step();
    } catch (e) {
      const err = o.classify ? o.classify(e) : (e as E);
      if (!o.retriable(err) || o.shouldStop?.()) throw err;
      const delay = backoff.next();
      await o.onRetry?.(err, delay);
      await wait(delay);
    }
  }
}

// Runs async functions one after another per key: each starts once the previous one of its key
// has settled (resolved or failed; a failure reaches only its own caller). Different keys run
// concurrently. Keys whose queue is empty are forgotten, so the map holds only busy keys.
export type SerialQueue = <T>(key: string, fn: () => Promise<T>) => Promise<T>;

export function createSerialQueue(): SerialQueue & { busyKeys(): number } {
  const tails = new Map<string, Promise<unknown>>();
  const run = <T>(key: string, fn: () => Promise<T>): Promise<T> => {
    const next = (tails.get(key) ?? Promise.resolve()).then(fn, fn);
    const tail = next.catch(() => undefined);
    tails.set(key, tail);
    void tail.then(() => { if (tails.get(key) === tail) tails.delete(key); });
    return next;
  };
  return Object.assign(run, { busyKeys: () => tails.size });
}

// How far V8 lets a service's old space grow past what its last full GC kept, set once at
// start-up (service-kit.ts imports this first). CROSSTRACE_HEAP_GROWING_PERCENT=P: the next full
// GC comes when the old space is (1 + P/100) times what the last one kept; unset or 0: V8's own
// choice, which sizes the heap from the machine's memory or the container's limit (here, 24 GiB
// and no limit: heap limit 4.3 GiB, the old space let grow to ~4x what is live before a full GC).
// A V8 flag that NODE_OPTIONS refuses, so it is set from here (node:v8 setFlagsFromString, before
// the service allocates its working set). deploy/local/node-memory.sh and the Dockerfile set 100.
// Measured (bench/drain-memory.ts, README "Round 10"): a smaller P trades CPU per record (more
// full GCs) for peak RSS while a stage drains a backlog.
import { setFlagsFromString } from 'node:v8';

/** The percent asked for in `env`, or null for V8's own choice. Throws on anything but a
 *  whole number 0-1000 (a typo here would otherwise go unnoticed until memory runs out). */
export function heapGrowingPercent(env: Record<string, string | undefined>): number | null {
  const raw = env.CROSSTRACE_HEAP_GROWING_PERCENT?.trim();
  if (raw === undefined || raw === '') return null;
  if (!/^\d+$/.test(raw) || Number(raw) > 1000) throw new Error(`CROSSTRACE_HEAP_GROWING_PERCENT must be a whole number 0-1000 (0: V8's own choice), not ${JSON.stringify(raw)}`);
  return Number(raw) === 0 ? null : Number(raw);
}

const percent = heapGrowingPercent(process.env);
if (percent !== null) setFlagsFromString(`--heap-growing-percent=${percent}`);

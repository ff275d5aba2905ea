// How far V8 lets a service's old space grow past what its last full GC kept, set once when the
// service runs as a process (each services/*/main.ts runs through lifecycle.ts runService, which
// calls applyHeapGrowth before the start; a test or bench that imports a service in its own
// process keeps its own heap policy).
// CROSSTRACE_HEAP_GROWING_PERCENT=P: the next full GC comes when the old space is (1 + P/100)
// times what the last one kept; unset, empty or 0: V8's own choice, which sizes the heap from the
// machine's memory or the container's limit (here, 24 GiB and no limit: heap limit 4.3 GiB, the
// old space let grow to ~4x what is live). A V8 flag that NODE_OPTIONS refuses, so it is set
// from here (node:v8 setFlagsFromString); a --heap-growing-percent on the node command line wins.
// deploy/local/node-memory.sh and the Dockerfile set 100. Measured (bench/drain-memory.ts,
// bench/ROUNDS.md round 10): a smaller P trades CPU per record (more full GCs) for peak RSS.
import { setFlagsFromString } from 'node:v8';
import { CrosstraceError } from './errors.ts';

/** The percent asked for in `env`, or null for V8's own choice. Throws CT_CONFIG on anything
 *  but a whole number 10-1000 or 0 (below 10 a full GC would follow almost every scavenge). */
export function heapGrowingPercent(env: Record<string, string | undefined>): number | null {
  const raw = env.CROSSTRACE_HEAP_GROWING_PERCENT?.trim();
  if (raw === undefined || raw === '' || raw === '0') return null;
  if (!/^\d+$/.test(raw) || Number(raw) < 10 || Number(raw) > 1000) {
    throw new CrosstraceError('CT_CONFIG', `CROSSTRACE_HEAP_GROWING_PERCENT must be a whole number 10-1000, or 0 for V8's own choice, not ${JSON.stringify(raw)}`);
  }
  return Number(raw);
}

/** Applies CROSSTRACE_HEAP_GROWING_PERCENT to this process; returns the percent in effect
 *  (null: V8's own choice, or the node command line's flag, which is left alone). */
export function applyHeapGrowth(env: Record<string, string | undefined> = process.env, execArgv: readonly string[] = process.execArgv): number | null {
  const percent = heapGrowingPercent(env);
  if (percent === null || execArgv.some((a) => a.startsWith('--heap-growing-percent') || a.startsWith('--heap_growing_percent'))) return null;
  setFlagsFromString(`--heap-growing-percent=${percent}`);
  return percent;
}

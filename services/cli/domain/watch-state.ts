// What `crosstrace watch` holds: per trace the newest accepted view (an update not newer than
// what is held is dropped: Kafka redelivers, and a bootstrap re-reads history), the recent
// rejections, and which traces are watched:
// - `--trace` ids when given;
// - otherwise with `fromBeginning` every trace on the topic;
// - otherwise the traces still going on when the bootstrap read ends, and every trace
//   updated after it.
// `done()` is true once at least one trace is watched and every watched trace has reached a
// terminal status.
import type { TraceStatus, TraceUpdate } from '../../../schemas/types.gen.ts';

export const TERMINAL: ReadonlySet<TraceStatus> = new Set<TraceStatus>(['TERMINATED_AT_SUBSCRIBER', 'ENDED', 'CLOSED']);
const FINAL: ReadonlySet<TraceStatus> = new Set<TraceStatus>([...TERMINAL, 'EXPIRED']);
/** Where --until-terminal stops: a terminal status, or AMBIGUOUS (the evidence does not decide;
 *  a person has to look at the ranked candidates; the trace itself goes on and stays watched). */
export const SETTLED: ReadonlySet<TraceStatus> = new Set<TraceStatus>([...TERMINAL, 'AMBIGUOUS']);

export interface TraceEntry { view: TraceUpdate; receivedAt: number }
export interface Rejection { traceId: string; seq: number; code: string; reason: string; at: number }

export interface WatchOptions { traceIds: string[]; fromBeginning: boolean; keepRejections?: number }

export function createWatchState(o: WatchOptions) {
  const traces = new Map<string, TraceEntry>();
  const watched = new Set<string>(o.traceIds);
  const rejections: Rejection[] = [];
  let rejectedTotal = 0;
  let bootstrapped = false;
  const explicit = o.traceIds.length > 0;

  return {
    /** Applies an accepted view; false when it is not newer than the view held. */
    accept(view: TraceUpdate, now: number): boolean {
      const held = traces.get(view.traceId);
      if (held && held.view.seq >= view.seq) return false;
      traces.set(view.traceId, { view, receivedAt: now });
      if (!explicit && (o.fromBeginning || bootstrapped)) watched.add(view.traceId);
      return true;
    },
    reject(r: Rejection): void {
      rejectedTotal++;
      rejections.push(r);
      if (rejections.length > (o.keepRejections ?? 20)) rejections.shift();
    },
    /** The bootstrap read reached the end of the topic as it was at start. */
    endBootstrap(): void {
      if (bootstrapped) return;
      bootstrapped = true;
      if (explicit || o.fromBeginning) return;
      for (const [id, e] of traces) if (!FINAL.has(e.view.status)) watched.add(id);
    },
    get bootstrapped() { return bootstrapped; },
    isWatched: (traceId: string): boolean => watched.has(traceId),
    /** Watched traces with a view, most recently updated first. */
    watchedTraces(): TraceEntry[] {
      return [...traces.values()].filter((e) => watched.has(e.view.traceId)).sort((a, b) => b.view.publishedAt - a.view.publishedAt || a.view.traceId.localeCompare(b.view.traceId));
    },
    /** Watched trace ids with no terminal (or AMBIGUOUS) view yet. */
    notTerminal(): string[] {
      return [...watched].filter((id) => { const e = traces.get(id); return !e || !SETTLED.has(e.view.status); });
    },
    done(): boolean { return watched.size > 0 && this.notTerminal().length === 0; },
    rejections: (): readonly Rejection[] => rejections,
    rejectedTotal: (): number => rejectedTotal,
  };
}

export type WatchState = ReturnType<typeof createWatchState>;

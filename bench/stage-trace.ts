// A bench-only tracer of the decisive record along the pipeline, from the timestamps Kafka
// already carries (no change to the services): each producer stamps its records with its clock
// at send (CreateTime), and ingest copies the raw record's timestamp into ct-origin-ts. So for
// a decisive port-block log:
//   raw produced (ct-origin-ts) -> sessions.norm record ts        = ingest   (fetch wait + batch + produce)
//   sessions.norm ts            -> trace.hops record ts           = correlator
//   trace.hops ts               -> the update's publishedAt       = tracer   (fetch wait + engine)
//   publishedAt                 -> trace.updates.FR record ts     = publish  (views, signing, audit chain, serial queue)
//   trace.updates.FR ts         -> the FR view received here      = commit   (transaction commit, LSO, the reader's fetch)
// One machine, one clock: the differences are honest to ~1 ms.
// Also: scrape() reads the running services' /metrics (batch time, batch size, GC time,
// event-loop delay, RSS/heap/external) so a stage's time can be split into waiting and work.
import type { Kafka } from 'kafkajs';
import { TOPICS } from '../services/common/topics.ts';
import { percentile } from './lib.ts';

export const STAGES = ['ingest', 'correlator', 'tracer', 'publish', 'commit'] as const;
export type Stage = typeof STAGES[number];

export async function startStageTrace(kafka: Kafka, o: { groupId: string; uidPrefix: string; tracePrefix: string }) {
  const normAt = new Map<string, { origin: number; at: number }>(); // ct-uid -> times
  const hopAt = new Map<string, number>(); // trace id -> first hop record ts
  const consumer = kafka.consumer({ groupId: o.groupId, maxWaitTimeInMs: 20 });
  await consumer.connect();
  await consumer.subscribe({ topics: [TOPICS.sessionsNorm, TOPICS.traceHops], fromBeginning: false });
  // autoCommit off: a throwaway group; kafkajs committed after every batch of sessions.norm
  // (with the FR reader ~130 OffsetCommits/s at 2k events/s), broker CPU counted as the pipeline's
  await consumer.run({ autoCommit: false, partitionsConsumedConcurrently: 4, eachBatch: async ({ batch }) => {
    for (const m of batch.messages) {
      if (batch.topic === TOPICS.traceHops) {
        const id = m.key?.toString() ?? '';
        if (id.startsWith(o.tracePrefix) && !hopAt.has(id)) hopAt.set(id, Number(m.timestamp));
        continue;
      }
      const uid = m.headers?.['ct-uid']?.toString() ?? '';
      if (uid.startsWith(o.uidPrefix) && !normAt.has(uid)) normAt.set(uid, { origin: Number(m.headers!['ct-origin-ts']!.toString()), at: Number(m.timestamp) });
    }
  } });
  const rows: Record<Stage, number>[] = [];
  return {
    /** One decisive record's stages (ms); false when a timestamp along the path was not seen. */
    add(uid: string, traceId: string, publishedAt: number, viewTs: number, receivedAt: number): boolean {
      const norm = normAt.get(uid);
      const hop = hopAt.get(traceId);
      if (!norm || hop === undefined) return false;
      rows.push({ ingest: norm.at - norm.origin, correlator: hop - norm.at, tracer: publishedAt - hop, publish: viewTs - publishedAt, commit: receivedAt - viewTs });
      return true;
    },
    /** p50/p99/max per stage over the rows added. */
    summary(): Record<Stage, { p50: number; p99: number; max: number }> & { n: number } {
      const out = { n: rows.length } as Record<Stage, { p50: number; p99: number; max: number }> & { n: number };
      for (const s of STAGES) {
        const xs = rows.map((r) => r[s]).sort((a, b) => a - b);
        out[s] = { p50: percentile(xs, 50), p99: percentile(xs, 99), max: xs.at(-1) ?? NaN };
      }
      return out;
    },
    /** Forgets the rows added so far (the next summary covers what is added after). */
    reset(): void { rows.length = 0; },
    stop: () => consumer.disconnect(),
  };
}

export interface ServiceSample { batches: number; batchSeconds: number; messagesIn: number; gcSeconds: number; loopP99Ms: number; cpuSeconds: number; rssMiB: number; heapMiB: number; externalMiB: number;
  /** record_wait_seconds' cumulative buckets summed over topics: upper bound (s) -> batches. */
  waitBuckets: Map<number, number> }

/** One service's /metrics, the figures the latency split needs. */
export async function scrape(port: number): Promise<ServiceSample | undefined> {
  const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text(), () => undefined);
  if (!text) return undefined;
  const sum = (re: RegExp) => [...text.matchAll(re)].reduce((a, m) => a + Number(m[1]), 0);
  const mib = (n: number) => +(n / 2 ** 20).toFixed(1);
  return {
    batches: sum(/^crosstrace_\w+_processing_seconds_count\{[^}]*\} (\S+)/mg),
    batchSeconds: sum(/^crosstrace_\w+_processing_seconds_sum\{[^}]*\} (\S+)/mg),
    messagesIn: sum(/^crosstrace_\w+_messages_in_total\{[^}]*\} (\S+)/mg),
    gcSeconds: sum(/^crosstrace_\w+_nodejs_gc_duration_seconds_sum\{[^}]*\} (\S+)/mg),
    loopP99Ms: +(sum(/^crosstrace_\w+_nodejs_eventloop_lag_p99_seconds\{[^}]*\} (\S+)/mg) * 1000).toFixed(1),
    cpuSeconds: sum(/^crosstrace_\w+_process_cpu_seconds_total\{[^}]*\} (\S+)/mg),
    rssMiB: mib(sum(/^crosstrace_\w+_process_resident_memory_bytes\{[^}]*\} (\S+)/mg)),
    heapMiB: mib(sum(/^crosstrace_\w+_nodejs_heap_size_used_bytes\{[^}]*\} (\S+)/mg)),
    externalMiB: mib(sum(/^crosstrace_\w+_nodejs_external_memory_bytes\{[^}]*\} (\S+)/mg)),
    waitBuckets: sumBuckets(text.matchAll(/^crosstrace_\w+_record_wait_seconds_bucket\{[^}]*le="([^"]+)"[^}]*\} (\S+)/mg)),
  };
}

/** Cumulative bucket counts summed over label sets, by upper bound (s; +Inf as Infinity). */
function sumBuckets(matches: Iterable<RegExpMatchArray>): Map<number, number> {
  const m = new Map<number, number>();
  for (const [, le, count] of matches) {
    const bound = le === '+Inf' ? Infinity : Number(le);
    m.set(bound, (m.get(bound) ?? 0) + Number(count));
  }
  return m;
}

/** The bucket bound (ms) under which `q` of the batches between two samples waited, from the
 *  cumulative buckets: an upper bound, as coarse as the buckets. */
function waitQuantileMs(a: Map<number, number>, b: Map<number, number>, q: number): number {
  const bounds = [...b.keys()].sort((x, y) => x - y);
  const total = (b.get(Infinity) ?? 0) - (a.get(Infinity) ?? 0);
  if (total <= 0) return NaN;
  for (const le of bounds) if ((b.get(le)! - (a.get(le) ?? 0)) >= q * total) return le * 1000;
  return Infinity;
}

/** What a service did between two samples: mean batch time and size, GC share, CPU share. */
export function between(a: ServiceSample, b: ServiceSample, seconds: number) {
  const batches = b.batches - a.batches;
  return {
    batchesPerSec: +(batches / seconds).toFixed(1),
    meanBatchMs: batches ? +((1000 * (b.batchSeconds - a.batchSeconds)) / batches).toFixed(1) : 0,
    meanBatchMessages: batches ? Math.round((b.messagesIn - a.messagesIn) / batches) : 0,
    busyPct: Math.round((100 * (b.batchSeconds - a.batchSeconds)) / seconds),
    gcPct: Math.round((100 * (b.gcSeconds - a.gcSeconds)) / seconds),
    cpuPct: Math.round((100 * (b.cpuSeconds - a.cpuSeconds)) / seconds),
    loopP99Ms: b.loopP99Ms, rssMiB: b.rssMiB, heapMiB: b.heapMiB, externalMiB: b.externalMiB,
    /** A batch's first record from produce to the start of its handling (record_wait_seconds), ms, bucket bounds. */
    waitP50Ms: waitQuantileMs(a.waitBuckets, b.waitBuckets, 0.5), waitP99Ms: waitQuantileMs(a.waitBuckets, b.waitBuckets, 0.99),
  };
}

// The correlator stage: each normalised event is indexed into the window of its key and
// probes the waiters there (index-many scripts, one pipeline round trip per batch). Waiters met
// are resolved against their window's events (reads overlapped, after the batch is indexed) and
// the hops go to trace.hops keyed by trace id, but for exact repeats of versions already
// published (published-hops.ts). Batch time per phase: batchPhaseSeconds.
import type { Producer } from 'kafkajs';
import type { Hop } from '../../schemas/types.gen.ts';
import { dependencyDown } from '../common/errors.ts';
import { indexedLater, indexedNow, toIndexed } from '../join/indexed-events.ts';
import type { IndexedEvent, Lookup, LookupMode } from '../join/join-types.ts';
import { inReadRange, lookupRange, resolveLookup, wakes, type JoinSettings } from '../join/join.ts';
import { indexRequestOf } from '../join/index-request.ts';
import type { Logger } from '../common/logger.ts';
import type { ProviderDirectory } from '../common/provider-directory.ts';
import type { RegistryClient } from '../common/registry.ts';
import { wrapStage, type StageBatch } from '../common/stage.ts';
import type { ConsumedMessage } from '../common/kafka.ts';
import { TOPICS } from '../common/topics.ts';
import { decodeStored, type IndexRequest, type WindowStore } from '../join/window-store.ts';
import { batchMarks, flowMarkOf, type FlowMarkSample } from '../join/flow-watermark.ts';
import type { FlowMarks } from '../join/flow-marks.ts';
import type { CorrelatorMetrics } from './metrics.ts';
import { createPublishedHops, DEFAULT_HOPS_REMEMBERED, type PublishingBatch } from './published-hops.ts';

export interface CorrelatorDeps {
  store: WindowStore;
  registry: RegistryClient;
  producer: Producer;
  directory: ProviderDirectory;
  settings: JoinSettings;
  metrics: CorrelatorMetrics;
  logger: Logger;
  now?: () => number;
  /** How long the live windows hold flow and session records, ms: an older record (a provider's
   *  handover of last month's logs) is not written into them, where it would only wait to be
   *  trimmed and pass for live evidence; the archive keeps it and the tracer reads it there.
   *  Unset = every record is indexed. */
  liveRetention?: { flowMs: number; sessionMs: number };
  /** Lookups whose window began longer ago than this, ms, are left to the tracer, which answers
   *  them from the live windows and the archive together (tracer/domain/history-policy.ts, the
   *  same bound: the join's RETENTION_MS): an answer from the live windows alone would rest on
   *  part of the evidence (a session's START older than the windows, say) and could overtake the
   *  complete one. Unset = every waiter is resolved here (a node without an archive). */
  archiveAnswersOlderThanMs?: number;
  /** The flow watermark (join/flow-watermark.ts), advanced after each batch is indexed; none =
   *  not kept (then no relay lookup ever settles by silence: AMBIGUOUS, never terminated). */
  marks?: FlowMarks;
  /** Hop ids whose last published version is remembered, so an exact repeat is not published
   *  again (published-hops.ts); 0 = every hop resolved is published. Default DEFAULT_HOPS_REMEMBERED. */
  hopsRemembered?: number;
}

/** readNow's answer for a record whose writer schema is not fetched yet. */
const PENDING = Symbol('pending');

/** A record the live windows take: its window write and its decoded event. */
interface Read { req: IndexRequest; event: IndexedEvent }

/** Window parts with waiters met whose reads one batch has in flight at once. */
const WAKE_READS = 16;

/** A window part to read for the waiters a batch met there: their positions in the batch's jobs. */
interface WakePart { key: string; mode: LookupMode; jobs: number[] }

/** A hop as it goes to trace.hops, with its id (published-hops.ts). */
interface HopMessage { hopId: string; key: string; value: Buffer; headers: Record<string, string> }

/** fn over xs, at most `n` at a time, results in the order of xs. */
async function inBatches<T, R>(xs: T[], n: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < xs.length; i += n) out.push(...await Promise.all(xs.slice(i, i + n).map(fn)));
  return out;
}

export function createCorrelatorPipeline(d: CorrelatorDeps) {
  const now = d.now ?? Date.now;
  const published = createPublishedHops({ capacity: d.hopsRemembered ?? DEFAULT_HOPS_REMEMBERED });
  const io = { stage: 'correlator', producer: d.producer, metrics: d.metrics.stage, logger: d.logger, now };
  /** One batch: `sending` gets what it publishes, settled by `handle` once the produce ended. */
  async function correlate(msgs: ConsumedMessage[], batch: StageBatch, sending: { hops?: PublishingBatch<HopMessage> }) {
    const t0 = performance.now();
    const reqs: IndexRequest[] = [];
    const arrived: IndexedEvent[] = [];
    const samples: FlowMarkSample[] = [];
    // what the live windows take of a record and its decoded event, or null when it is older
    // than they hold (the archive keeps it); PENDING when its writer schema is not fetched yet
    const readNow = (m: ConsumedMessage): Read | null | typeof PENDING => {
      const req = indexRequestOf(m);
      const session = req.payload[0] === 0;
      if (d.liveRetention && req.time < now() - (session ? d.liveRetention.sessionMs : d.liveRetention.flowMs)) {
        d.metrics.archiveOnly.inc({ kind: session ? 'session' : 'flow' });
        return null; // older than the live windows hold: the archive keeps it
      }
      const event = indexedNow(decodeStored(req.payload), d.registry);
      return event === undefined ? PENDING : { req, event };
    };
    for (const m of msgs) {
      // a watermark record (ingest, join/flow-watermark.ts): no event, its exporter's mark in
      // this partition moves with the batch's, after the records before it are indexed
      const mark = m.topic === TOPICS.flowsNorm ? flowMarkOf(m) : null;
      if (mark) { if (Number.isFinite(mark.exportTime)) samples.push(mark); d.metrics.flowMarks.inc(); continue; }
      // decoded here, before indexing: an event whose body does not decode is dead-lettered,
      // never indexed into a window where every later read would trip on it. At once, without
      // a promise per record, but for the first record of a schema id (its writer is fetched)
      const got = batch.readNow(m, () => readNow(m));
      const read = got === PENDING
        ? await batch.read(m, async () => { const req = indexRequestOf(m); return { req, event: await indexedLater(decodeStored(req.payload), d.registry) }; })
        : got;
      if (read) {
        reqs.push(read.req);
        arrived.push(read.event);
        if (read.event.kind === 'flow') samples.push({ exporterId: read.event.ev.exporterId, partition: m.partition, exportTime: read.event.ev.exportTime });
      }
    }
    const phase = d.metrics.batchPhaseSeconds;
    const t1 = performance.now();
    let results;
    try { results = await d.store.indexMany(reqs, now()); } catch (e) { throw dependencyDown('redis unavailable for indexing', e); }
    const t2 = performance.now();
    // the watermark moves only over records already in their windows (a tracer that reads it
    // and then a window finds every record it counts); its round trip overlaps the window reads
    const marked = (d.marks ? d.marks.advance(batchMarks(samples)) : Promise.resolve()).then(() => undefined, (e: unknown) => e ?? new Error('flow watermark failed'));
    const counts = { session: 0, flow: 0, redelivered: 0 }; // counted once per batch (a labelled inc per event costs)
    const met = new Map<string, Set<string>>(); // window key -> lookup ids already resolved in this batch
    const jobs: Lookup[] = [];
    const parts = new Map<string, WakePart>(); // the window parts to read: `${mode}|${key}`
    for (let i = 0; i < results.length; i++) {
      const r = results[i]!;
      const q = reqs[i]!;
      if (!r.isNew) counts.redelivered++;
      else if (q.payload[0] === 0) counts.session++;
      else counts.flow++;
      if (r.waiters.length === 0) continue;
      const seen = met.get(q.key) ?? new Set<string>();
      met.set(q.key, seen);
      for (const w of r.waiters) {
        if (seen.has(w.lookupId)) continue; // later events of this batch are in the same window read
        if (!wakes(w, arrived[i]!)) { d.metrics.wakeupsSkipped.inc(); continue; }
        if (d.archiveAnswersOlderThanMs !== undefined && w.windowFrom < now() - d.archiveAnswersOlderThanMs) { d.metrics.leftToArchive.inc(); continue; }
        // outside the event-time range the waiter's window read covers: it is never read, so it
        // cannot change the resolution either
        if (!inReadRange(w, q.time, d.settings)) { d.metrics.wakeupsSkipped.inc(); continue; }
        seen.add(w.lookupId);
        d.metrics.wakeups.inc();
        const at = `${w.mode}|${q.key}`;
        const part = parts.get(at) ?? { key: q.key, mode: w.mode, jobs: [] };
        parts.set(at, part);
        part.jobs.push(jobs.length);
        jobs.push(w);
      }
    }
    // each window part with waiters met is read once, after the batch was indexed: every waiter's
    // read (lookupRange, the same events in the same order as a read of its own) in one script
    // call, the events they share decoded once; WAKE_READS parts in flight; hops keep the jobs' order
    const resolved: Hop[][] = new Array(jobs.length);
    await inBatches([...parts.values()], WAKE_READS, async ({ key, mode, jobs: mine }) => {
      const t = performance.now();
      const ranges = mine.map((j) => lookupRange(jobs[j]!, d.settings));
      let read;
      try { read = await d.store.rangeMany(key, ranges, mode); } catch (e) { throw dependencyDown('redis unavailable for window read', e); }
      if (!read.built) {
        // a window still being rebuilt from Kafka (or lost during the read) may lack the records
        // that decide these lookups: nothing is resolved from it. The tracer reads every open
        // chain again once the windows are built (engine.ts windowsRebuilt)
        d.metrics.wakesDeferred.inc(mine.length);
        for (const j of mine) resolved[j] = [];
        d.logger.debug({ key, waiters: mine.length }, 'window read while the windows are not built: wakes left to the tracer\'s re-read');
        return;
      }
      const events = await toIndexed(read.stored, d.registry);
      const shared = (performance.now() - t) / 1000 / mine.length; // the read and decoding, split over the waiters
      for (let k = 0; k < mine.length; k++) {
        const t0w = performance.now();
        const w = jobs[mine[k]!]!;
        const { picks, truncated } = read.reads[k]!;
        if (truncated) {
          d.metrics.truncatedReads.inc();
          d.logger.debug({ traceId: w.traceId, lookupId: w.lookupId, key, events: picks.length }, 'window read reached its limit: the events farthest from the lookup window were left out');
        }
        resolved[mine[k]!] = resolveLookup(w, picks.map((p) => events[p]!), d.directory, d.settings);
        d.metrics.matchSeconds.observe(shared + (performance.now() - t0w) / 1000);
      }
    });
    const failed = await marked;
    if (failed) throw dependencyDown('redis unavailable for the flow watermark', failed);
    const hops: Hop[] = resolved.flat();
    for (const h of hops) d.metrics.matches.inc({ method: h.method });
    const t3 = performance.now();
    phase.observe({ phase: 'decode' }, (t1 - t0) / 1000);
    phase.observe({ phase: 'index' }, (t2 - t1) / 1000);
    phase.observe({ phase: 'wakes' }, (t3 - t2) / 1000);
    d.metrics.indexed.inc({ kind: 'session' }, counts.session);
    d.metrics.indexed.inc({ kind: 'flow' }, counts.flow);
    d.metrics.redelivered.inc(counts.redelivered);
    d.metrics.windowsWithWaiters.set(met.size);
    const out = published.begin(hops.map((h): HopMessage => ({ hopId: h.hopId, key: h.traceId, value: d.registry.encode(TOPICS.traceHops, h), headers: { 'ct-decisive-ts': String(h.decisiveAt) } })));
    sending.hops = out;
    if (out.suppressed > 0) d.metrics.repeatsSuppressed.inc(out.suppressed);
    return [{ topic: TOPICS.traceHops, messages: out.publish.map(({ key, value, headers }) => ({ key, value, headers })) }];
  }
  /** The stage's handler: a batch's hops count as published only once wrapStage produced them
   *  (it throws when the produce fails: then nothing is remembered and the retry publishes). */
  /** Each batch's hops in flight, by the batch's message array (the one staged() hands to its
   *  function): the stage is wrapped once, so its produce requests are coalesced across the
   *  partitions' concurrent batches (send-coalescer.ts), a wrapper per batch would not. */
  const inFlight = new WeakMap<ConsumedMessage[], { hops?: PublishingBatch<HopMessage> }>();
  const staged = wrapStage(io, (m, b) => correlate(m, b, inFlight.get(m)!));
  async function handle(msgs: ConsumedMessage[]): Promise<void> {
    const sending: { hops?: PublishingBatch<HopMessage> } = {};
    inFlight.set(msgs, sending);
    try {
      await staged(msgs);
      sending.hops?.settle(true);
    } finally {
      sending.hops?.settle(false); // failed (after a success: nothing, settle counts once)
    }
  }
  return { handle };
}

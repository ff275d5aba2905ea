// The correlator stage: each normalised event is indexed into the window of its key and
// probes the waiters there (one Lua script per event, pipelined per batch). Waiters met are
// resolved against their window's events and the hops go to trace.hops keyed by trace id.
import type { Producer } from 'kafkajs';
import type { Hop } from '../../schemas/types.gen.ts';
import { dependencyDown } from '../common/errors.ts';
import { toIndexed } from '../join/indexed-events.ts';
import type { IndexedEvent } from '../join/join-types.ts';
import { lookupRange, resolveLookup, wakes, type JoinSettings } from '../join/join.ts';
import { indexRequestOf } from '../join/index-request.ts';
import type { Logger } from '../common/logger.ts';
import type { ProviderDirectory } from '../common/provider-directory.ts';
import type { RegistryClient } from '../common/registry.ts';
import { wrapStage } from '../common/stage.ts';
import { TOPICS } from '../common/topics.ts';
import { decodeStored, type IndexRequest, type WindowStore } from '../join/window-store.ts';
import { batchMarks, type FlowMarkSample } from '../join/flow-watermark.ts';
import type { FlowMarks } from '../join/flow-marks.ts';
import type { CorrelatorMetrics } from './metrics.ts';

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
}

export function createCorrelatorPipeline(d: CorrelatorDeps) {
  const now = d.now ?? Date.now;
  const handle = wrapStage({ stage: 'correlator', producer: d.producer, metrics: d.metrics.stage, logger: d.logger, now }, async (msgs, batch) => {
    const reqs: IndexRequest[] = [];
    const arrived: IndexedEvent[] = [];
    const samples: FlowMarkSample[] = [];
    for (const m of msgs) {
      // decoded here, before indexing: an event whose body does not decode is dead-lettered,
      // never indexed into a window where every later read would trip on it
      const read = await batch.read(m, async () => {
        const req = indexRequestOf(m);
        const session = req.payload[0] === 0;
        if (d.liveRetention && req.time < now() - (session ? d.liveRetention.sessionMs : d.liveRetention.flowMs)) {
          d.metrics.archiveOnly.inc({ kind: session ? 'session' : 'flow' });
          return null; // older than the live windows hold: the archive keeps it
        }
        return { req, event: (await toIndexed([decodeStored(req.payload)], d.registry))[0]! };
      });
      if (read) {
        reqs.push(read.req);
        arrived.push(read.event);
        if (read.event.kind === 'flow') samples.push({ exporterId: read.event.ev.exporterId, partition: m.partition, exportTime: read.event.ev.exportTime });
      }
    }
    let results;
    try { results = await d.store.indexMany(reqs, now()); } catch (e) { throw dependencyDown('redis unavailable for indexing', e); }
    // the watermark moves only over records already in their windows (a tracer that reads it
    // and then a window finds every record it counts)
    try { await d.marks?.advance(batchMarks(samples)); } catch (e) { throw dependencyDown('redis unavailable for the flow watermark', e); }
    const hops: Hop[] = [];
    const met = new Map<string, Set<string>>(); // window key -> lookup ids already resolved in this batch
    for (let i = 0; i < results.length; i++) {
      const r = results[i]!;
      const q = reqs[i]!;
      d.metrics.indexed.inc({ kind: q.payload[0] === 0 ? 'session' : 'flow' }, r.isNew ? 1 : 0);
      if (!r.isNew) d.metrics.redelivered.inc();
      if (r.waiters.length === 0) continue;
      const seen = met.get(q.key) ?? new Set<string>();
      met.set(q.key, seen);
      const end = d.metrics.matchSeconds.startTimer();
      for (const w of r.waiters) {
        if (seen.has(w.lookupId)) continue; // later events of this batch are in the same range read
        if (!wakes(w, arrived[i]!)) { d.metrics.wakeupsSkipped.inc(); continue; }
        if (d.archiveAnswersOlderThanMs !== undefined && w.windowFrom < now() - d.archiveAnswersOlderThanMs) { d.metrics.leftToArchive.inc(); continue; }
        seen.add(w.lookupId);
        d.metrics.wakeups.inc();
        let read;
        try { read = await d.store.range(q.key, lookupRange(w, d.settings), w.mode); } catch (e) { throw dependencyDown('redis unavailable for window read', e); }
        if (read.truncated) {
          d.metrics.truncatedReads.inc();
          d.logger.debug({ traceId: w.traceId, lookupId: w.lookupId, key: q.key, events: read.events.length }, 'window read reached its limit: the events farthest from the lookup window were left out');
        }
        for (const h of resolveLookup(w, await toIndexed(read.events, d.registry), d.directory, d.settings)) {
          hops.push(h);
          d.metrics.matches.inc({ method: h.method });
        }
      }
      end();
    }
    d.metrics.windowsWithWaiters.set(met.size);
    return [{ topic: TOPICS.traceHops, messages: hops.map((h) => ({ key: h.traceId, value: d.registry.encode(TOPICS.traceHops, h), headers: { 'ct-decisive-ts': String(h.decisiveAt) } })) }];
  });
  return { handle };
}

// Correlator-specific metrics, on the shared stage registry.
import { Counter, Gauge, Histogram } from 'prom-client';
import { createStageMetrics } from '../common/metrics.ts';

export function createCorrelatorMetrics() {
  const stage = createStageMetrics('correlator');
  const r = [stage.registry];
  return {
    stage,
    indexed: new Counter({ name: 'crosstrace_correlator_indexed_events_total', help: 'Events written into windows (new, not redelivered), by kind.', labelNames: ['kind'], registers: r }),
    archiveOnly: new Counter({ name: 'crosstrace_correlator_archive_only_events_total', help: 'Events older than the live windows\' retention, not indexed (the archive keeps them), by kind.', labelNames: ['kind'], registers: r }),
    redelivered: new Counter({ name: 'crosstrace_correlator_redelivered_events_total', help: 'Events already present in their window (replay / redelivery).', registers: r }),
    wakeups: new Counter({ name: 'crosstrace_correlator_waiter_wakeups_total', help: 'Waiters met by an arriving event.', registers: r }),
    leftToArchive: new Counter({ name: 'crosstrace_correlator_waiters_left_to_archive_total', help: 'Waiters met whose lookup window is older than the live windows: left to the tracer, which reads the live windows and the archive together.', registers: r }),
    flowMarks: new Counter({ name: 'crosstrace_correlator_flow_marks_total', help: 'Flow watermark records read from flows.norm (ingest sends them to partitions an exporter\'s records did not reach): its mark there moves, no event indexed.', registers: r }),
    wakesDeferred: new Counter({ name: 'crosstrace_correlator_wakes_deferred_total', help: 'Waiters met while the windows were not built (a rebuild from Kafka running, or Redis lost during the read): nothing resolved from that read; the tracer reads the chain again once the windows are built.', registers: r }),
    wakeupsSkipped: new Counter({ name: 'crosstrace_correlator_waiter_wakeups_skipped_total', help: 'Waiters met by an event that cannot change their resolution (a flow for a session lookup, another port\'s mapping, an event outside the range the waiter\'s window read covers): no window read.', registers: r }),
    matches: new Counter({ name: 'crosstrace_correlator_hops_total', help: 'Hop candidates resolved, by method (published to trace.hops but for the exact repeats counted in hop_repeats_suppressed_total).', labelNames: ['method'], registers: r }),
    repeatsSuppressed: new Counter({ name: 'crosstrace_correlator_hop_repeats_suppressed_total', help: 'Hops resolved again exactly as their last version already published (same id, same encoding): not published again (CROSSTRACE_CORRELATOR_HOPS_REMEMBERED).', registers: r }),
    windowsWithWaiters: new Gauge({ name: 'crosstrace_correlator_waiters_met_last_batch', help: 'Distinct windows with live waiters met in the last batch.', registers: r }),
    redisMemory: new Gauge({ name: 'crosstrace_correlator_redis_memory_bytes', help: 'Redis used_memory (windows, waiters, chains, dedupe), bytes, sampled every 5 s.', registers: r }),
    redisKeys: new Gauge({ name: 'crosstrace_correlator_redis_keys', help: 'Keys in the Redis database (two per window, two per waited-on address), sampled every 5 s.', registers: r }),
    truncatedReads: new Counter({ name: 'crosstrace_correlator_window_reads_truncated_total', help: 'Window reads that reached their limit (CROSSTRACE_CORRELATOR_WINDOW_READ_LIMIT): the events farthest from the lookup window were left out.', registers: r }),
    rebuildEvents: new Gauge({ name: 'crosstrace_correlator_rebuild_events', help: 'Events the running (or last) window rebuild from Kafka wrote into windows.', registers: r }),
    rebuildRemaining: new Gauge({ name: 'crosstrace_correlator_rebuild_remaining_records', help: 'Records the running window rebuild still has to read (0 when none runs).', registers: r }),
    rebuildRate: new Gauge({ name: 'crosstrace_correlator_rebuild_events_per_second', help: 'Events per second of the running (or last) window rebuild.', registers: r }),
    batchPhaseSeconds: new Histogram({ name: 'crosstrace_correlator_batch_phase_seconds', help: 'Time of one batch in each phase, seconds: decode (routing headers and Avro, every record), index (the index-many pipeline, one round trip), wakes (the waiters met: window reads, decoding, matching; the flow watermark overlaps it). Producing and committing follow (the stage\'s processing_seconds minus these).', labelNames: ['phase'], registers: r, buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1] }),
    matchSeconds: new Histogram({ name: 'crosstrace_correlator_match_seconds', help: 'Time to resolve one waiter an event met (matching, plus its share of its window part\'s read and decoding, which the waiters met there in one batch share), seconds.', registers: r, buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5] }),
  };
}

export type CorrelatorMetrics = ReturnType<typeof createCorrelatorMetrics>;

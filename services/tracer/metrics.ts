// Tracer-specific metrics, on the shared stage registry.
import { Counter, Gauge, Histogram } from 'prom-client';
import { LATENCY_BUCKETS, createStageMetrics } from '../common/metrics.ts';

export function createTracerMetrics() {
  const stage = createStageMetrics('tracer');
  const r = [stage.registry];
  return {
    stage,
    updates: new Counter({ name: 'crosstrace_tracer_updates_published_total', help: 'Trace updates published, by status.', labelNames: ['status'], registers: r }),
    disclosures: new Counter({ name: 'crosstrace_tracer_disclosures_total', help: 'Signed views published to jurisdiction topics, by audience.', labelNames: ['audience'], registers: r }),
    hopsApplied: new Counter({ name: 'crosstrace_tracer_hops_applied_total', help: 'New hops added to chains, by method.', labelNames: ['method'], registers: r }),
    waitersRegistered: new Counter({ name: 'crosstrace_tracer_waiters_registered_total', help: 'Lookups registered in windows, by mode.', labelNames: ['mode'], registers: r }),
    truncatedReads: new Counter({ name: 'crosstrace_tracer_window_reads_truncated_total', help: 'Window reads that reached their limit (CROSSTRACE_TRACER_WINDOW_READ_LIMIT): the events farthest from the lookup window were left out.', registers: r }),
    openTraces: new Gauge({ name: 'crosstrace_tracer_open_traces', help: 'Traces neither closed nor expired.', registers: r }),
    stalledTraces: new Gauge({ name: 'crosstrace_tracer_stalled_traces', help: 'Open traces currently stalled awaiting data.', registers: r }),
    archiveReads: new Counter({ name: 'crosstrace_tracer_archive_reads_total', help: 'Lookups also read from the archive (PostgreSQL), by result (complete, truncated, error).', labelNames: ['result'], registers: r }),
    archiveReadSeconds: new Histogram({ name: 'crosstrace_tracer_archive_read_seconds', help: 'One archive read of a lookup, seconds.', registers: r, buckets: LATENCY_BUCKETS }),
    archiveHops: new Counter({ name: 'crosstrace_tracer_archive_hops_total', help: 'Hop candidates only the archive\'s records yielded, by method.', labelNames: ['method'], registers: r }),
    staleRelayRereads: new Counter({ name: 'crosstrace_tracer_stale_relay_rereads_total', help: 'The ticker\'s re-reads of a relay lookup holding a decided relay beside an undecided one, by result: superseded (the read proved an undecided candidate stale), kept (nothing proven).', labelNames: ['result'], registers: r }),
    readsDeferred: new Counter({ name: 'crosstrace_tracer_window_reads_deferred_total', help: 'Window reads made while the windows were not built (a rebuild from Kafka running, or Redis lost during the read): nothing applied from them; every open chain is read again once the windows are built.', registers: r }),
    windowsBuilt: new Gauge({ name: 'crosstrace_tracer_windows_built', help: '1 when the last tick found the windows built (their marker present), 0 while they are lost or being rebuilt (window reads then decide nothing).', registers: r }),
    rereadsAfterRebuild: new Counter({ name: 'crosstrace_tracer_chains_reread_after_rebuild_total', help: 'Open chains read again because the windows were rebuilt (or not built) since they were read.', registers: r }),
    endToEnd: new Histogram({ name: 'crosstrace_tracer_end_to_end_seconds', help: 'Decisive event produce time -> update published, seconds.', registers: r, buckets: LATENCY_BUCKETS }),
  };
}

export type TracerMetrics = ReturnType<typeof createTracerMetrics>;

// Archive-specific metrics, on the shared stage registry.
import { Counter, Gauge, Histogram } from 'prom-client';
import { createStageMetrics } from '../common/metrics.ts';

export function createArchiveMetrics() {
  const stage = createStageMetrics('archive');
  const r = [stage.registry];
  return {
    stage,
    rows: new Counter({ name: 'crosstrace_archive_rows_total', help: 'Rows committed that were not there before, by table (session_records, flow_records); rate() = rows/s.', labelNames: ['table'], registers: r }),
    replayed: new Counter({ name: 'crosstrace_archive_rows_already_stored_total', help: 'Records consumed again (replay / redelivery) and left unchanged.', labelNames: ['table'], registers: r }),
    batchSeconds: new Histogram({ name: 'crosstrace_archive_batch_write_seconds', help: 'One batch: COPY + move + commit, seconds.', registers: r, buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] }),
    batchRows: new Histogram({ name: 'crosstrace_archive_batch_rows', help: 'Rows per committed batch.', registers: r, buckets: [1, 10, 100, 500, 1000, 5000, 20000] }),
    retentionRuns: new Counter({ name: 'crosstrace_archive_retention_runs_total', help: 'Scheduled retention runs, by result (ok, failed, skipped = another instance held the lock).', labelNames: ['result'], registers: r }),
    retentionPartitions: new Counter({ name: 'crosstrace_archive_retention_partitions_dropped_total', help: 'Flow day partitions dropped by retention.', registers: r }),
    retentionSessions: new Counter({ name: 'crosstrace_archive_retention_session_rows_deleted_total', help: 'Session rows swept by retention, by table (sessions, session_records).', labelNames: ['table'], registers: r }),
    preservationPinsReleased: new Counter({ name: 'crosstrace_archive_preservation_pins_released_total', help: 'Pinned record copies let go by retention because their preservation order expired or was released, by table (flows, sessions).', labelNames: ['table'], registers: r }),
    retentionSeconds: new Histogram({ name: 'crosstrace_archive_retention_run_seconds', help: 'One retention run, seconds.', registers: r, buckets: [0.01, 0.1, 0.5, 1, 5, 30, 120, 600] }),
    retentionLastSuccess: new Gauge({ name: 'crosstrace_archive_retention_last_success_seconds', help: 'Unix time of the last successful retention run; alert when it lags the schedule.', registers: r }),
    databaseUp: new Gauge({ name: 'crosstrace_archive_database_up', help: '1 when the last database round trip succeeded.', registers: r }),
  };
}

export type ArchiveMetrics = ReturnType<typeof createArchiveMetrics>;

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
    databaseUp: new Gauge({ name: 'crosstrace_archive_database_up', help: '1 when the last database round trip succeeded.', registers: r }),
  };
}

export type ArchiveMetrics = ReturnType<typeof createArchiveMetrics>;

// Ingest-specific metrics, on the shared stage registry.
import { Counter, Gauge } from 'prom-client';
import { createStageMetrics } from '../common/metrics.ts';

export function createIngestMetrics() {
  const stage = createStageMetrics('ingest');
  const r = [stage.registry];
  return {
    stage,
    flowMarks: new Counter({ name: 'crosstrace_ingest_flow_marks_total', help: 'Flow watermark records sent to flows.norm partitions an exporter\'s batch of flow records did not reach (join/flow-watermark.ts).', registers: r }),
    duplicates: new Counter({ name: 'crosstrace_ingest_duplicates_total', help: 'Events dropped as duplicates of an event id seen within the dedupe window.', labelNames: ['topic'], registers: r }),
    exporterSkew: new Gauge({ name: 'crosstrace_ingest_exporter_clock_offset_ms', help: 'Estimated exporter clock offset (exporter - true), ms.', labelNames: ['exporter'], registers: r }),
    clockFlagged: new Counter({ name: 'crosstrace_ingest_clock_flagged_total', help: 'Events rejected because their exporter clock is wildly wrong.', labelNames: ['exporter'], registers: r }),
  };
}

export type IngestMetrics = ReturnType<typeof createIngestMetrics>;

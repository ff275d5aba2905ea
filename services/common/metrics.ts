// Metrics every stage shares, declared once: crosstrace_<service>_<what>_<unit>. Services
// add their own metrics to the same registry in their metrics.ts.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface StageMetrics {
  registry: Registry;
  messagesIn: Counter<'topic'>;
  messagesOut: Counter<'topic'>;
  deadLetters: Counter<'topic' | 'reason'>;
  retries: Counter<'reason'>;
  processing: Histogram<'stage'>;
  recordWait: Histogram<'topic'>;
  consumerLag: Gauge<'topic' | 'partition'>;
}

export function createStageMetrics(service: string): StageMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, prefix: `crosstrace_${service}_` });
  const p = `crosstrace_${service}_`;
  return {
    registry,
    messagesIn: new Counter({ name: `${p}messages_in_total`, help: 'Messages consumed, by source topic.', labelNames: ['topic'], registers: [registry] }),
    messagesOut: new Counter({ name: `${p}messages_out_total`, help: 'Messages produced, by target topic.', labelNames: ['topic'], registers: [registry] }),
    deadLetters: new Counter({ name: `${p}dead_letters_total`, help: 'Messages dead-lettered, by source topic and reason code.', labelNames: ['topic', 'reason'], registers: [registry] }),
    retries: new Counter({ name: `${p}retries_total`, help: 'Batches retried because a dependency was down, by error code.', labelNames: ['reason'], registers: [registry] }),
    processing: new Histogram({
      name: `${p}processing_seconds`, help: 'Time to process one consumed batch, seconds.', labelNames: ['stage'], registers: [registry],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    }),
    // what a record waits before its stage starts on it: the fetch, the rest of the fetch cycle
    // it arrived in (queueAhead false) or its partition's queue: the decisive path's wait, apart
    // from the batch's own work (processing_seconds)
    recordWait: new Histogram({
      name: `${p}record_wait_seconds`, help: 'From the produce time (CreateTime) of a batch\'s first record to the start of its handling, by source topic, seconds.', labelNames: ['topic'], registers: [registry],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    }),
    consumerLag: new Gauge({ name: `${p}consumer_lag_messages`, help: 'High watermark minus next offset, per partition, at the last batch.', labelNames: ['topic', 'partition'], registers: [registry] }),
  };
}

/** Latency buckets for end-to-end measurements, seconds. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5];

// Simulator metrics, on the shared stage registry (messagesOut per topic, retries, and the
// processing histogram timing each sendBatch under stage="produce").
import { Counter, Gauge } from 'prom-client';
import { createStageMetrics } from '../common/metrics.ts';

export function createSimulatorMetrics() {
  const stage = createStageMetrics('simulator');
  const r = [stage.registry];
  return {
    stage,
    produced: new Counter({ name: 'crosstrace_simulator_events_produced_total', help: 'Records acknowledged by Kafka, by topic and source (chain, background, bad, request).', labelNames: ['topic', 'source'], registers: r }),
    produceErrors: new Counter({ name: 'crosstrace_simulator_produce_errors_total', help: 'sendBatch calls that failed after the client\'s retries (the batch is queued again).', registers: r }),
    scheduleLag: new Gauge({ name: 'crosstrace_simulator_schedule_lag_seconds', help: 'How long the oldest due, unsent record has been due, seconds (0 = on schedule).', registers: r }),
    backlog: new Gauge({ name: 'crosstrace_simulator_backlog_records', help: 'Records due but not yet acknowledged.', registers: r }),
    targetRate: new Gauge({ name: 'crosstrace_simulator_target_events_per_second', help: 'Target background rate, raw events per second.', registers: r }),
  };
}

export type SimulatorMetrics = ReturnType<typeof createSimulatorMetrics>;

// Gateway-specific metrics, on the shared stage registry.
import { Counter, Gauge } from 'prom-client';
import { createStageMetrics } from '../common/metrics.ts';

export function createGatewayMetrics() {
  const stage = createStageMetrics('gateway');
  const r = [stage.registry];
  return {
    stage,
    httpRequests: new Counter({ name: 'crosstrace_gateway_http_requests_total', help: 'API requests answered, by route and HTTP status.', labelNames: ['route', 'status'], registers: r }),
    traceRequests: new Counter({ name: 'crosstrace_gateway_trace_requests_total', help: 'TraceRequests produced to trace.requests, by action and requesting jurisdiction.', labelNames: ['action', 'jurisdiction'], registers: r }),
    streams: new Gauge({ name: 'crosstrace_gateway_streams', help: 'Open /v1/stream connections, by jurisdiction.', labelNames: ['jurisdiction'], registers: r }),
    streamsCut: new Counter({ name: 'crosstrace_gateway_streams_cut_total', help: '/v1/stream connections ended because the reader fell behind by more than CROSSTRACE_GATEWAY_STREAM_MAX_PENDING traces, by jurisdiction.', labelNames: ['jurisdiction'], registers: r }),
    verified: new Counter({ name: 'crosstrace_gateway_updates_verified_total', help: 'Signed updates that verified (signature and audit link), by jurisdiction.', labelNames: ['jurisdiction'], registers: r }),
    rejected: new Counter({ name: 'crosstrace_gateway_updates_rejected_total', help: 'Signed updates rejected (never served), by jurisdiction and reason.', labelNames: ['jurisdiction', 'reason'], registers: r }),
    skipped: new Counter({ name: 'crosstrace_gateway_messages_skipped_total', help: 'Messages that did not decode, by topic.', labelNames: ['topic'], registers: r }),
    awaitingAudit: new Gauge({ name: 'crosstrace_gateway_updates_awaiting_audit', help: 'Signed updates waiting for their audit record.', registers: r }),
  };
}

export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>;

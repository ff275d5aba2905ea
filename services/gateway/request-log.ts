// What the gateway logs of a TraceRequest it queued: ids and the action, never the case
// reference (the requesting authority's file number: case data, not operations data; a log
// is kept, shipped and read far more widely than the topics it came from).
import type { TraceRequest } from '../../schemas/types.gen.ts';

export function requestLogFields(req: TraceRequest): Record<string, unknown> {
  return { traceId: req.traceId, action: req.action, jurisdiction: req.requestingJurisdiction };
}

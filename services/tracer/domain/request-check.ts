// What the tracer accepts as a TraceRequest read from trace.requests. The gateway validates
// what it writes, but anyone with write access to the topic (or an older gateway) can write
// a record that decodes and is still unusable; such a record is rejected here with a stable
// code (dead-lettered by the pipeline), never thrown later from deep inside the engine.
// Pure: no I/O.
import type { TraceRequest } from '../../../schemas/types.gen.ts';
import { isValidAddress } from '../../common/address.ts';
import { permanent } from '../../common/errors.ts';

const isPort = (p: number | null): boolean => p === null || (Number.isInteger(p) && p >= 0 && p <= 65535);

/** Returns `req` when usable; throws a permanent CrosstraceError naming the field otherwise. */
export function checkTraceRequest(req: TraceRequest): TraceRequest {
  if (req.traceId.length === 0 || req.traceId.length > 200) throw permanent('CT_MISSING_FIELD', `traceId must be 1-200 characters (got ${req.traceId.length})`, { field: 'traceId' });
  if (!/^[A-Z]{2}$/.test(req.requestingJurisdiction)) throw permanent('CT_MISSING_FIELD', `requestingJurisdiction ${JSON.stringify(req.requestingJurisdiction.slice(0, 20))} is not an ISO 3166-1 alpha-2 code`, { field: 'requestingJurisdiction' });
  for (const field of ['srcAddr', 'dstAddr'] as const) {
    if (!isValidAddress(req[field])) throw permanent('CT_INVALID_ADDRESS', `${field} ${JSON.stringify(req[field].slice(0, 60))} is not a valid IPv4/IPv6 address`, { field });
  }
  for (const field of ['srcPort', 'dstPort'] as const) {
    if (!isPort(req[field])) throw permanent('CT_INVALID_PORT', `${field} ${req[field]} is outside 0-65535`, { field });
  }
  if (!Number.isInteger(req.protocol) || req.protocol < 0 || req.protocol > 255) throw permanent('CT_INVALID_PROTOCOL', `protocol ${req.protocol} is outside 0-255`, { field: 'protocol' });
  if (req.observedTime < 0 || req.toleranceMs < 0 || req.requestedAt < 0) throw permanent('CT_IMPOSSIBLE_TIME', 'observedTime, toleranceMs and requestedAt must not be negative', { field: 'observedTime' });
  if (req.expiresAt < req.observedTime) throw permanent('CT_IMPOSSIBLE_TIME', `expiresAt ${req.expiresAt} is before observedTime ${req.observedTime}`, { field: 'expiresAt' });
  return req;
}

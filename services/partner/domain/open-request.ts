// Validation of a request to open a trace (the JSON body of POST /v1/traces, and the flags of
// `crosstrace trace open`). Every problem is reported with the field it concerns; nothing is
// silently corrected. The requesting jurisdiction is never taken from the body: it is the
// jurisdiction of the caller's credentials.
import { LegalBasisSymbols, type LegalBasis, type TraceRequest } from '../../../schemas/types.gen.ts';
import { canonicalAddress } from '../../common/address.ts';

export interface FieldError { field: string; message: string }
export type Validated<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

/** The part of a TraceRequest a caller chooses. */
export type OpenTraceFields = Pick<TraceRequest, 'legalBasis' | 'caseReference' | 'srcAddr' | 'srcPort' | 'dstAddr' | 'dstPort' | 'protocol' | 'observedTime' | 'toleranceMs'> & { ttlMs: number };

export interface OpenLimits {
  /** How far past now observedTime may lie (requester clock error), ms. Default 300 000. */
  futureToleranceMs: number;
  /** Bounds of toleranceMs, ms. Default 0..600 000, 2 000 when absent. */
  maxToleranceMs: number; defaultToleranceMs: number;
  /** Bounds of ttlMs (how long the trace stays open unless extended), ms. Default 10 000..30 days, 1 h when absent. */
  minTtlMs: number; maxTtlMs: number; defaultTtlMs: number;
}

export const DEFAULT_OPEN_LIMITS: Readonly<OpenLimits> = Object.freeze({
  futureToleranceMs: 300_000, maxToleranceMs: 600_000, defaultToleranceMs: 2_000, minTtlMs: 10_000, maxTtlMs: 30 * 86_400_000, defaultTtlMs: 3_600_000,
});

export const OPEN_FIELDS = ['legalBasis', 'caseReference', 'srcAddr', 'srcPort', 'dstAddr', 'dstPort', 'protocol', 'observedTime', 'toleranceMs', 'ttlMs'] as const;

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

/** ms since epoch from a number of ms or an ISO 8601 text with a time zone; a message otherwise. */
export function parseInstant(v: unknown): number | string {
  if (isInt(v)) return v >= 0 ? v : 'must not be negative';
  if (typeof v === 'string') {
    if (/^\d+$/.test(v)) return Number(v);
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(v)) return 'must be ms since epoch or ISO 8601 with a time zone, e.g. 2025-03-01T12:00:00.000Z';
    const t = Date.parse(v);
    return Number.isNaN(t) ? 'is not a valid date-time' : t;
  }
  return 'must be ms since epoch (integer) or an ISO 8601 string';
}

/** Ttl of an extension (POST /v1/traces/{id}/extend), same bounds as at open. */
export function validateTtl(v: unknown, l: OpenLimits = DEFAULT_OPEN_LIMITS): number | FieldError {
  if (v === undefined || v === null) return l.defaultTtlMs;
  if (!isInt(v) || v < l.minTtlMs || v > l.maxTtlMs) return { field: 'ttlMs', message: `must be a whole number of ms between ${l.minTtlMs} and ${l.maxTtlMs}` };
  return v;
}

export function validateOpenTrace(body: unknown, now: number, l: OpenLimits = DEFAULT_OPEN_LIMITS): Validated<OpenTraceFields> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, errors: [{ field: '(body)', message: 'must be a JSON object' }] };
  const b = body as Record<string, unknown>;
  const errors: FieldError[] = [];
  const err = (field: string, message: string) => { errors.push({ field, message }); };
  for (const k of Object.keys(b)) {
    if (k === 'requestingJurisdiction') err(k, 'is the jurisdiction of your token; it cannot be set in the body');
    else if (!(OPEN_FIELDS as readonly string[]).includes(k)) err(k, `is not a field of this request (fields: ${OPEN_FIELDS.join(', ')})`);
  }
  const legalBasis = b.legalBasis;
  if (typeof legalBasis !== 'string' || !(LegalBasisSymbols as readonly string[]).includes(legalBasis)) err('legalBasis', `is required, one of ${LegalBasisSymbols.join(', ')}`);
  const caseReference = typeof b.caseReference === 'string' ? b.caseReference.trim() : '';
  if (caseReference === '') err('caseReference', 'is required: your case reference, a non-empty string');
  else if (caseReference.length > 128 || /[\p{Cc}]/u.test(caseReference)) err('caseReference', 'must be at most 128 printable characters');
  const addr = (field: 'srcAddr' | 'dstAddr'): string => {
    const v = b[field];
    if (typeof v !== 'string' || v === '') { err(field, 'is required: an IPv4 or IPv6 address'); return ''; }
    try { return canonicalAddress(v); } catch (e) { err(field, (e as Error).message); return ''; }
  };
  const port = (field: 'srcPort' | 'dstPort'): number | null => {
    const v = b[field];
    if (v === undefined || v === null) return null;
    if (!isInt(v) || v < 0 || v > 65535) { err(field, 'must be a port 0-65535, or null when unknown'); return null; }
    return v;
  };
  const srcAddr = addr('srcAddr');
  const srcPort = port('srcPort');
  const dstAddr = addr('dstAddr');
  const dstPort = port('dstPort');
  const protocol = b.protocol;
  if (!isInt(protocol) || protocol < 0 || protocol > 255) err('protocol', 'is required: the IANA protocol number 0-255 (6 TCP, 17 UDP)');
  let observedTime = 0;
  if (b.observedTime === undefined) err('observedTime', 'is required: when you saw the connection (ms since epoch or ISO 8601)');
  else {
    const t = parseInstant(b.observedTime);
    if (typeof t === 'string') err('observedTime', t);
    else if (t > now + l.futureToleranceMs) err('observedTime', `lies ${Math.round((t - now) / 1000)} s in the future (more than ${l.futureToleranceMs} ms ahead of this node's clock)`);
    else observedTime = t;
  }
  let toleranceMs = l.defaultToleranceMs;
  if (b.toleranceMs !== undefined && b.toleranceMs !== null) {
    if (!isInt(b.toleranceMs) || b.toleranceMs < 0 || b.toleranceMs > l.maxToleranceMs) err('toleranceMs', `must be a whole number of ms between 0 and ${l.maxToleranceMs}`);
    else toleranceMs = b.toleranceMs;
  }
  const ttl = validateTtl(b.ttlMs, l);
  if (typeof ttl !== 'number') errors.push(ttl);
  if (errors.length) return { ok: false, errors };
  return { ok: true, value: { legalBasis: legalBasis as LegalBasis, caseReference, srcAddr, srcPort, dstAddr, dstPort, protocol: protocol as number, observedTime, toleranceMs, ttlMs: ttl as number } };
}

export function openRequest(f: OpenTraceFields, traceId: string, requestingJurisdiction: string, now: number): TraceRequest {
  const { ttlMs, ...rest } = f;
  return { ...rest, traceId, action: 'OPEN', requestingJurisdiction, requestedAt: now, expiresAt: now + ttlMs };
}

/** EXTEND or CLOSE of a trace opened by `template` (the tracer reads action, jurisdiction and expiresAt). */
export function followUpRequest(template: TraceRequest, action: 'EXTEND' | 'CLOSE', now: number, expiresAt: number = template.expiresAt): TraceRequest {
  return { ...template, action, requestedAt: now, expiresAt };
}

// The JSON schemas of the API, in one place: request bodies, parameters and queries that
// fastify validates (ajv) before a handler runs, and the responses that the generated OpenAPI
// document describes. The trace view schemas are converted from schemas/*.avsc, so they match
// what the API serves. Shared schemas are referenced as `<Name>#`.
import { LegalBasisSymbols } from '../../schemas/types.gen.ts';
import { loadSchemas } from '../../schemas/catalog.ts';
import { PRESERVATION_MAX_DAYS } from '../history/domain/legal-clock.ts';
import { API_ERROR_CODES } from './api-errors.ts';
import { avroToJsonSchema, type JsonSchema } from './avro-json-schema.ts';
import type { OpenLimits } from '../partner/domain/open-request.ts';

/** Art. 16(2): up to 90 days at a time, renewable (services/history/domain/legal-clock.ts). */
export const MAX_PRESERVATION_DAYS = PRESERVATION_MAX_DAYS;
export const DEFAULT_PRESERVATION_DAYS = 90;
/** What a trace id may hold (the tracer's and the CLI's rule). */
export const TRACE_ID_PATTERN = '^[A-Za-z0-9._:-]{1,128}$';

export const ref = (name: string) => ({ $ref: `${name}#` });
export const error = (description: string) => ({ description, ...ref('Error') });
export const traceIdParams = {
  type: 'object', required: ['id'], additionalProperties: false,
  properties: { id: { type: 'string', pattern: TRACE_ID_PATTERN, description: 'Trace id returned by POST /v1/traces.' } },
};
export const AUTH_ERRORS = { 401: error('Missing or unknown bearer token.') };
/** Every route that changes something takes one from its jurisdiction's quota (request-quota.ts). */
export const QUOTA_ERRORS = { 429: error('This jurisdiction used its quota of such requests; retry after the Retry-After header\'s seconds.') };

/** Every shared schema, each with its `$id`, for `app.addSchema`. */
export function sharedSchemas(limits: OpenLimits): JsonSchema[] {
  const named = new Map<string, JsonSchema>();
  avroToJsonSchema(loadSchemas().get('TraceUpdate') as JsonSchema, named);
  const port = { type: ['integer', 'null'], minimum: 0, maximum: 65535 };
  const ttlMs = { type: 'integer', minimum: limits.minTtlMs, maximum: limits.maxTtlMs, default: limits.defaultTtlMs, description: 'How long the trace stays open unless extended, ms.' };
  const schemas: Record<string, JsonSchema> = {
    OpenTrace: {
      type: 'object', additionalProperties: false,
      required: ['legalBasis', 'caseReference', 'srcAddr', 'dstAddr', 'protocol', 'observedTime'],
      properties: {
        legalBasis: { type: 'string', enum: [...LegalBasisSymbols] },
        caseReference: { type: 'string', minLength: 1, maxLength: 128 },
        srcAddr: { type: 'string', maxLength: 64, description: 'Observed source address, IPv4 or IPv6 (canonicalised).' },
        srcPort: { ...port, description: 'Observed source port; null when unknown (candidates become ambiguous).' },
        dstAddr: { type: 'string', maxLength: 64, description: 'Observed destination (victim side) address.' },
        dstPort: { ...port, description: 'Observed destination port.' },
        protocol: { type: 'integer', minimum: 0, maximum: 255, description: 'IANA protocol number (6 TCP, 17 UDP).' },
        observedTime: { oneOf: [{ type: 'integer', minimum: 0, description: 'UTC ms since epoch' }, { type: 'string', maxLength: 40, description: 'ISO 8601 with a time zone' }], description: `When you saw the connection; at most ${limits.futureToleranceMs} ms ahead of the node's clock.` },
        toleranceMs: { type: ['integer', 'null'], minimum: 0, maximum: limits.maxToleranceMs, default: limits.defaultToleranceMs, description: 'Clock tolerance around observedTime, ms.' },
        ttlMs: { ...ttlMs, type: ['integer', 'null'] },
      },
    },
    ExtendTrace: { type: 'object', additionalProperties: false, properties: { ttlMs } },
    PreservationDays: {
      type: 'object', additionalProperties: false,
      properties: { days: { type: 'integer', minimum: 1, maximum: MAX_PRESERVATION_DAYS, description: `Days the records stay pinned from now (default ${DEFAULT_PRESERVATION_DAYS} at open; required to extend).` } },
    },
    PreservationOrder: {
      type: 'object', required: ['orderId', 'traceId', 'openedAt', 'expiresAt', 'releasedAt', 'preserved'],
      properties: {
        orderId: { type: 'string' }, traceId: { type: 'string' }, openedAt: { type: 'integer', description: 'UTC ms' }, expiresAt: { type: 'integer', description: 'UTC ms' },
        releasedAt: { type: ['integer', 'null'], description: 'UTC ms; null while the order holds' },
        preserved: { type: 'object', properties: { flows: { type: 'integer' }, sessions: { type: 'integer' } }, description: 'Records the order pins.' },
        pinnedNow: { type: 'object', description: 'Records this request pinned (open only).' },
      },
    },
    TraceAccepted: { type: 'object', required: ['traceId', 'requestingJurisdiction', 'expiresAt'], properties: { traceId: { type: 'string' }, requestingJurisdiction: { type: 'string' }, expiresAt: { type: 'integer' } } },
    VerifiedUpdate: {
      type: 'object', required: ['traceId', 'seq', 'audience', 'verified', 'signerKeyId', 'signature', 'signedBytes', 'auditHash', 'update'],
      properties: {
        traceId: { type: 'string' }, seq: { type: 'integer' }, audience: { type: 'string' }, verified: { const: true },
        signerKeyId: { type: 'string', description: 'Id of the node key that signed (a key of the trust file, with its validity period).' },
        signature: { type: 'string', contentEncoding: 'base64', description: 'Ed25519 signature over signedBytes, exactly as served (never over a re-encoding of `update`).' },
        signedBytes: {
          type: 'string', contentEncoding: 'base64',
          description: 'The view as signed: Confluent wire format (magic byte 0, 4-byte big-endian TraceUpdate schema id in the registry, Avro binary). Verify `signature` over these bytes with the key `signerKeyId`, then decode them with the schema the id names.',
        },
        auditHash: { type: 'string', description: 'Hex SHA-256 hash of the audit.disclosures record of this disclosure.' }, update: ref('TraceUpdate'),
      },
    },
    Error: {
      type: 'object', required: ['error'],
      properties: { error: { type: 'object', required: ['code', 'message'], properties: {
        code: { type: 'string', enum: Object.keys(API_ERROR_CODES), description: Object.entries(API_ERROR_CODES).map(([c, d]) => `${c}: ${d}`).join('; ') },
        message: { type: 'string' },
        fields: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } } },
      } } },
    },
    ...Object.fromEntries(named),
  };
  return Object.entries(schemas).map(([$id, s]) => ({ $id, ...s }));
}

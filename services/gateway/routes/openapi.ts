// GET /openapi.json: OpenAPI 3.1 description of every gateway route. The trace view schemas
// are converted from schemas/*.avsc, so they match what the API serves.
import { LegalBasisSymbols } from '../../../schemas/types.gen.ts';
import { loadSchemas } from '../../../schemas/catalog.ts';
import { avroToJsonSchema, type JsonSchema } from '../avro-json-schema.ts';
import { DEFAULT_OPEN_LIMITS, type OpenLimits } from '../../partner/domain/open-request.ts';
import { sendJson } from '../http-io.ts';
import type { RouteContext } from './context.ts';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown) => ({ 'application/json': { schema } });
const error = (description: string) => ({ description, content: json(ref('Error')) });
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' }, description: 'Trace id returned by POST /v1/traces.' };
const COMMON_ERRORS = { 401: error('Missing or unknown bearer token.'), 404: error('No such trace for the caller.') };

export function openApiDocument(limits: OpenLimits = DEFAULT_OPEN_LIMITS): JsonSchema {
  const named = new Map<string, JsonSchema>();
  avroToJsonSchema(loadSchemas().get('TraceUpdate') as JsonSchema, named);
  const port = { type: ['integer', 'null'], minimum: 0, maximum: 65535 };
  return {
    openapi: '3.1.0',
    info: {
      title: 'crosstrace gateway', version: '1',
      description: 'Open, extend and close live cross-border traces and follow your jurisdiction\'s signed, verified trace views. '
        + 'Every /v1 route needs `Authorization: Bearer <token>`; the token decides the caller\'s jurisdiction, which is the requesting jurisdiction of the traces it opens and the only stream it can read.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    paths: {
      '/v1/traces': {
        post: {
          operationId: 'openTrace', summary: 'Open a trace of a connection you observed (TraceRequest OPEN on trace.requests).',
          requestBody: { required: true, content: json(ref('OpenTrace')) },
          responses: {
            202: { description: 'Queued; views follow on your stream.', headers: { Location: { schema: { type: 'string' } } }, content: json(ref('TraceAccepted')) },
            400: error('A field is missing or invalid; `fields` names each one.'), 401: COMMON_ERRORS[401],
            413: error('Body too large.'), 415: error('Body is not JSON.'), 429: error('Quota of trace opens used; retry after the Retry-After header\'s seconds.'), 503: error('Kafka unavailable; retry.'),
          },
        },
      },
      '/v1/traces/{id}': {
        get: {
          operationId: 'getTrace', summary: 'Your newest verified view of a trace (from trace.updates.<your CC>).', parameters: [idParam],
          responses: { 200: { description: 'The view.', content: json(ref('VerifiedUpdate')) }, ...COMMON_ERRORS },
        },
      },
      '/v1/traces/{id}/extend': {
        post: {
          operationId: 'extendTrace', summary: 'Push the expiry of a trace you opened to now + ttlMs.', parameters: [idParam],
          requestBody: { required: false, content: json(ref('ExtendTrace')) },
          responses: {
            202: { description: 'Queued.', content: json({ type: 'object', properties: { traceId: { type: 'string' }, action: { const: 'EXTEND' }, expiresAt: { type: 'integer' } } }) },
            400: error('ttlMs invalid.'), ...COMMON_ERRORS, 403: error('Only the requesting jurisdiction may extend.'),
            409: error('Closed or expired, or the trace already runs longer.'), 503: error('Kafka unavailable; retry.'),
          },
        },
      },
      '/v1/traces/{id}/close': {
        post: {
          operationId: 'closeTrace', summary: 'Close a trace you opened.', parameters: [idParam],
          responses: {
            202: { description: 'Queued.', content: json({ type: 'object', properties: { traceId: { type: 'string' }, action: { const: 'CLOSE' } } }) },
            ...COMMON_ERRORS, 403: error('Only the requesting jurisdiction may close.'), 409: error('Already closed or expired.'), 503: error('Kafka unavailable; retry.'),
          },
        },
      },
      '/v1/stream': {
        get: {
          operationId: 'stream', summary: 'Server-sent events: your jurisdiction\'s verified views, newest of each trace first, then live. `id:` is traceId:seq; event name `update`.',
          parameters: [{ name: 'trace', in: 'query', required: false, schema: { type: 'string' }, description: 'Only this trace.' }],
          responses: { 200: { description: 'An event stream; each `data:` is a VerifiedUpdate.', content: { 'text/event-stream': { schema: { type: 'string' }, itemSchema: ref('VerifiedUpdate') } } }, 401: COMMON_ERRORS[401] },
        },
      },
      '/openapi.json': { get: { operationId: 'openapi', summary: 'This document.', security: [], responses: { 200: { description: 'OpenAPI 3.1.', content: json({ type: 'object' }) } } } },
      '/healthz': { get: { operationId: 'health', summary: '200 when the topic followers run, 503 otherwise.', security: [], responses: { 200: { description: 'Healthy.' }, 503: { description: 'Not healthy.' } } } },
      '/metrics': { get: { operationId: 'metrics', summary: 'Prometheus metrics (crosstrace_gateway_*).', security: [], responses: { 200: { description: 'Prometheus text format.', content: { 'text/plain': { schema: { type: 'string' } } } } } } },
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'One token per jurisdiction (CROSSTRACE_GATEWAY_TOKENS).' } },
      schemas: {
        OpenTrace: {
          type: 'object', additionalProperties: false,
          required: ['legalBasis', 'caseReference', 'srcAddr', 'dstAddr', 'protocol', 'observedTime'],
          properties: {
            legalBasis: { type: 'string', enum: [...LegalBasisSymbols] },
            caseReference: { type: 'string', minLength: 1, maxLength: 128 },
            srcAddr: { type: 'string', description: 'Observed source address, IPv4 or IPv6 (canonicalised).' },
            srcPort: { ...port, description: 'Observed source port; null when unknown (candidates become ambiguous).' },
            dstAddr: { type: 'string', description: 'Observed destination (victim side) address.' },
            dstPort: { ...port, description: 'Observed destination port.' },
            protocol: { type: 'integer', minimum: 0, maximum: 255, description: 'IANA protocol number (6 TCP, 17 UDP).' },
            observedTime: { oneOf: [{ type: 'integer', minimum: 0, description: 'UTC ms since epoch' }, { type: 'string', format: 'date-time' }], description: `When you saw the connection; at most ${limits.futureToleranceMs} ms ahead of the node's clock.` },
            toleranceMs: { type: 'integer', minimum: 0, maximum: limits.maxToleranceMs, default: limits.defaultToleranceMs, description: 'Clock tolerance around observedTime, ms.' },
            ttlMs: { type: 'integer', minimum: limits.minTtlMs, maximum: limits.maxTtlMs, default: limits.defaultTtlMs, description: 'How long the trace stays open unless extended, ms.' },
          },
        },
        ExtendTrace: { type: 'object', additionalProperties: false, properties: { ttlMs: { type: 'integer', minimum: limits.minTtlMs, maximum: limits.maxTtlMs, default: limits.defaultTtlMs } } },
        TraceAccepted: { type: 'object', required: ['traceId', 'requestingJurisdiction', 'expiresAt'], properties: { traceId: { type: 'string' }, requestingJurisdiction: { type: 'string' }, expiresAt: { type: 'integer' } } },
        VerifiedUpdate: {
          type: 'object', required: ['traceId', 'seq', 'audience', 'verified', 'signerKeyId', 'signature', 'auditHash', 'update'],
          properties: {
            traceId: { type: 'string' }, seq: { type: 'integer' }, audience: { type: 'string' }, verified: { const: true },
            signerKeyId: { type: 'string' }, signature: { type: 'string', contentEncoding: 'base64', description: 'Ed25519 over the Avro encoding of `update`.' },
            auditHash: { type: 'string', description: 'Hex SHA-256 hash of the audit.disclosures record of this disclosure.' }, update: ref('TraceUpdate'),
          },
        },
        Error: {
          type: 'object', required: ['error'],
          properties: { error: { type: 'object', required: ['code', 'message'], properties: {
            code: { type: 'string', enum: ['unauthorized', 'forbidden', 'not_found', 'method_not_allowed', 'unsupported_media_type', 'payload_too_large', 'invalid_json', 'invalid_request', 'conflict', 'too_many_requests', 'unavailable', 'internal'] },
            message: { type: 'string' },
            fields: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } } },
          } } },
        },
        ...Object.fromEntries(named),
      },
    },
  };
}

export function makeOpenApiHandler(limits: OpenLimits) {
  const doc = openApiDocument(limits); // built once
  return (ctx: RouteContext): void => sendJson(ctx.res, 200, doc, { 'cache-control': 'public, max-age=300' });
}

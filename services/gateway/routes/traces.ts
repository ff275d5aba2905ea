// POST /v1/traces, POST /v1/traces/{id}/extend, POST /v1/traces/{id}/close, GET /v1/traces/{id}.
// Only the requesting jurisdiction may extend or close; a caller that has no part in a trace
// (no view of it, not its owner) gets 404 rather than learning the trace exists.
import type { FastifyRequest } from 'fastify';
import type { TraceRequest, TraceStatus } from '../../../schemas/types.gen.ts';
import { ApiError, fieldErrorsOf, invalidRequest, type FieldError } from '../api-errors.ts';
import { AUTH_ERRORS, QUOTA_ERRORS, error, ref, traceIdParams } from '../api-schemas.ts';
import { MIN_EXTEND_STEP_MS } from '../../common/extend-step.ts';
import { followUpRequest, openRequest, validateOpenTrace, validateTtl } from '../../partner/domain/open-request.ts';
import { updateJson } from '../render-update.ts';
import type { TraceFacts } from '../trace-book.ts';
import type { GatewayDeps, RoutePlugin } from './context.ts';

const CLOSED: ReadonlySet<TraceStatus> = new Set<TraceStatus>(['CLOSED', 'EXPIRED']);
const KAFKA_DOWN = { 503: error('Kafka unavailable; retry after Retry-After.') };
const ID_ERRORS = { ...AUTH_ERRORS, 400: error('The trace id is not a trace id.'), 404: error('No such trace for the caller.') };
type IdRequest = FastifyRequest<{ Params: { id: string } }>;

async function submitOrUnavailable(deps: GatewayDeps, req: TraceRequest): Promise<void> {
  try { await deps.submit(req); } catch (e) {
    throw new ApiError(503, 'unavailable', `the request could not be queued (${(e as Error).message}); retry`, { headers: { 'retry-after': '2' } });
  }
}

/** The facts of a trace the caller owns; 404 / 403 / 409 otherwise. */
function ownedOpenTrace(deps: GatewayDeps, req: IdRequest, verb: string): TraceFacts {
  const { id } = req.params;
  const { cc } = req.caller;
  const facts = deps.book.facts(id);
  if (!facts || (facts.owner !== cc && !deps.book.view(cc, id))) throw new ApiError(404, 'not_found', `no trace ${id} known to ${cc}`);
  if (facts.owner !== cc) throw new ApiError(403, 'forbidden', `only the requesting jurisdiction (${facts.owner}) may ${verb} trace ${id}`);
  if (facts.status && CLOSED.has(facts.status)) throw new ApiError(409, 'conflict', `trace ${id} is ${facts.status}; it can no longer be changed`);
  return facts;
}

export const traceRoutes: RoutePlugin = (app, deps) => {
  app.post('/v1/traces', {
    // the schema's verdict is merged with the checks no schema can make (addresses, the clock)
    attachValidation: true,
    config: { quota: 'open' },
    schema: {
      operationId: 'openTrace', summary: 'Open a trace of a connection you observed (TraceRequest OPEN on trace.requests).', body: ref('OpenTrace'),
      response: {
        202: { description: 'Queued; views follow on your stream.', headers: { Location: { type: 'string' } }, ...ref('TraceAccepted') },
        400: error('A field is missing or invalid; `fields` names each one.'), ...AUTH_ERRORS, 413: error('Body too large.'), 415: error('Body is not JSON.'),
        429: error('Quota of trace opens used; retry after the Retry-After header\'s seconds.'), ...KAFKA_DOWN,
      },
    },
  }, async (req, reply) => {
    const now = deps.now();
    const v = validateOpenTrace(req.body ?? {}, now, deps.limits);
    const schemaFields = req.validationError ? fieldErrorsOf((req.validationError as { validation?: never[] }).validation ?? []) : [];
    if (!v.ok || schemaFields.length) {
      const fields: FieldError[] = v.ok ? [] : [...v.errors];
      for (const f of schemaFields) if (!fields.some((g) => g.field === f.field)) fields.push(f);
      throw invalidRequest(fields);
    }
    const open = openRequest(v.value, deps.newTraceId(), req.caller.cc, now);
    await submitOrUnavailable(deps, open);
    deps.book.noteRequest(open);
    return reply.code(202).header('location', `/v1/traces/${encodeURIComponent(open.traceId)}`)
      .send({ traceId: open.traceId, requestingJurisdiction: open.requestingJurisdiction, expiresAt: open.expiresAt });
  });

  app.get('/v1/traces/:id', {
    schema: {
      operationId: 'getTrace', summary: 'Your newest verified view of a trace (from trace.updates.<your CC>).', params: traceIdParams,
      response: { 200: { description: 'The view.', ...ref('VerifiedUpdate') }, ...ID_ERRORS },
    },
  }, async (req: IdRequest) => {
    const view = deps.book.view(req.caller.cc, req.params.id);
    if (!view) throw new ApiError(404, 'not_found', `${req.caller.cc} has no view of trace ${req.params.id} (yet)`);
    return updateJson(view);
  });

  const minStep = deps.minExtendStepMs ?? MIN_EXTEND_STEP_MS;
  app.post('/v1/traces/:id/extend', {
    config: { quota: 'change' },
    schema: {
      operationId: 'extendTrace', summary: `Push the expiry of a trace you opened to now + ttlMs, by at least ${minStep} ms.`, params: traceIdParams, body: ref('ExtendTrace'),
      response: {
        202: { description: 'Queued.', type: 'object', properties: { traceId: { type: 'string' }, action: { const: 'EXTEND' }, expiresAt: { type: 'integer' } } },
        ...ID_ERRORS, 400: error('ttlMs invalid.'), 403: error('Only the requesting jurisdiction may extend.'),
        409: error(`Closed or expired, or the trace already runs until now + ttlMs or less than ${minStep} ms before it (an extension already queued counts).`), ...QUOTA_ERRORS, ...KAFKA_DOWN,
      },
    },
  }, async (req: FastifyRequest<{ Params: { id: string }; Body: { ttlMs?: number } | undefined }>, reply) => {
    const facts = ownedOpenTrace(deps, req, 'extend');
    const ttl = validateTtl(req.body?.ttlMs, deps.limits);
    if (typeof ttl !== 'number') throw invalidRequest([ttl]);
    const now = deps.now();
    const expiresAt = now + ttl;
    // each extension is a signed update to every audience and an audit record kept forever:
    // one that moves the expiry by less than the step is refused, not queued
    if (expiresAt < facts.expiresAt + minStep) {
      throw new ApiError(409, 'conflict', `trace ${req.params.id} already runs until ${new Date(facts.expiresAt).toISOString()}; an extension must move it by at least ${minStep} ms: ask for a ttlMs of ${facts.expiresAt + minStep - now} or more`);
    }
    const ext = followUpRequest(facts.template, 'EXTEND', now, expiresAt);
    await submitOrUnavailable(deps, ext);
    deps.book.noteRequest(ext);
    return reply.code(202).send({ traceId: req.params.id, action: 'EXTEND', expiresAt });
  });

  app.post('/v1/traces/:id/close', {
    config: { quota: 'change' },
    schema: {
      operationId: 'closeTrace', summary: 'Close a trace you opened.', params: traceIdParams,
      response: {
        202: { description: 'Queued.', type: 'object', properties: { traceId: { type: 'string' }, action: { const: 'CLOSE' } } },
        ...ID_ERRORS, 403: error('Only the requesting jurisdiction may close.'), 409: error('Already closed or expired.'), ...QUOTA_ERRORS, ...KAFKA_DOWN,
      },
    },
  }, async (req: IdRequest, reply) => {
    const facts = ownedOpenTrace(deps, req, 'close');
    await submitOrUnavailable(deps, followUpRequest(facts.template, 'CLOSE', deps.now(), facts.expiresAt));
    return reply.code(202).send({ traceId: req.params.id, action: 'CLOSE' });
  });
};

// POST /v1/traces, POST /v1/traces/{id}/extend, POST /v1/traces/{id}/close, GET /v1/traces/{id}.
// Only the requesting jurisdiction may extend or close; a caller that has no part in a trace
// (no view of it, not its owner) gets 404 rather than learning the trace exists.
import type { TraceStatus } from '../../../schemas/types.gen.ts';
import { ApiError, readJson, sendJson } from '../http-io.ts';
import { followUpRequest, openRequest, validateOpenTrace, validateTtl } from '../../partner/domain/open-request.ts';
import { updateJson } from '../render-update.ts';
import type { TraceFacts } from '../trace-book.ts';
import type { RouteContext } from './context.ts';

const CLOSED: ReadonlySet<TraceStatus> = new Set<TraceStatus>(['CLOSED', 'EXPIRED']);

async function submitOrUnavailable(ctx: RouteContext, req: Parameters<RouteContext['deps']['submit']>[0]): Promise<void> {
  try { await ctx.deps.submit(req); } catch (e) {
    throw new ApiError(503, 'unavailable', `the request could not be queued (${(e as Error).message}); retry`, { headers: { 'retry-after': '2' } });
  }
}

export async function openTrace(ctx: RouteContext): Promise<void> {
  const q = ctx.deps.openQuota?.take(ctx.cc);
  if (q && !q.ok) {
    throw new ApiError(429, 'too_many_requests', `${ctx.cc} has used its quota of trace opens; retry in ${q.retryAfterS} s`, { headers: { 'retry-after': String(q.retryAfterS) } });
  }
  const body = await readJson(ctx.req, ctx.deps.maxBodyBytes);
  const now = ctx.deps.now();
  const v = validateOpenTrace(body ?? {}, now, ctx.deps.limits);
  if (!v.ok) throw new ApiError(400, 'invalid_request', v.errors.map((e) => `${e.field} ${e.message}`).join('; '), { fields: v.errors });
  const req = openRequest(v.value, ctx.deps.newTraceId(), ctx.cc, now);
  await submitOrUnavailable(ctx, req);
  ctx.deps.book.noteOpen(req);
  sendJson(ctx.res, 202, { traceId: req.traceId, requestingJurisdiction: req.requestingJurisdiction, expiresAt: req.expiresAt }, { location: `/v1/traces/${encodeURIComponent(req.traceId)}` });
}

/** The facts of a trace the caller owns; 404 / 403 / 409 otherwise. */
function ownedOpenTrace(ctx: RouteContext, verb: string): TraceFacts {
  const id = ctx.params.id!;
  const facts = ctx.deps.book.facts(id);
  const hasView = ctx.deps.book.view(ctx.cc, id) !== undefined;
  if (!facts || (facts.owner !== ctx.cc && !hasView)) throw new ApiError(404, 'not_found', `no trace ${id} known to ${ctx.cc}`);
  if (facts.owner !== ctx.cc) throw new ApiError(403, 'forbidden', `only the requesting jurisdiction (${facts.owner}) may ${verb} trace ${id}`);
  if (facts.status && CLOSED.has(facts.status)) throw new ApiError(409, 'conflict', `trace ${id} is ${facts.status}; it can no longer be changed`);
  return facts;
}

export async function extendTrace(ctx: RouteContext): Promise<void> {
  const facts = ownedOpenTrace(ctx, 'extend');
  const body = await readJson(ctx.req, ctx.deps.maxBodyBytes);
  if (body !== undefined && (typeof body !== 'object' || body === null || Array.isArray(body))) throw new ApiError(400, 'invalid_request', 'body must be a JSON object like {"ttlMs": 3600000}');
  const b = (body ?? {}) as Record<string, unknown>;
  const unknown = Object.keys(b).filter((k) => k !== 'ttlMs');
  if (unknown.length) throw new ApiError(400, 'invalid_request', `unknown field(s) ${unknown.join(', ')}; the only field is ttlMs`, { fields: unknown.map((field) => ({ field, message: 'is not a field of this request (fields: ttlMs)' })) });
  const ttl = validateTtl(b.ttlMs, ctx.deps.limits);
  if (typeof ttl !== 'number') throw new ApiError(400, 'invalid_request', `${ttl.field} ${ttl.message}`, { fields: [ttl] });
  const now = ctx.deps.now();
  const expiresAt = now + ttl;
  if (expiresAt <= facts.expiresAt) {
    throw new ApiError(409, 'conflict', `trace ${ctx.params.id} already runs until ${new Date(facts.expiresAt).toISOString()}; ask for a ttlMs beyond ${facts.expiresAt - now}`);
  }
  await submitOrUnavailable(ctx, followUpRequest(facts.template, 'EXTEND', now, expiresAt));
  sendJson(ctx.res, 202, { traceId: ctx.params.id, action: 'EXTEND', expiresAt });
}

export async function closeTrace(ctx: RouteContext): Promise<void> {
  const facts = ownedOpenTrace(ctx, 'close');
  await submitOrUnavailable(ctx, followUpRequest(facts.template, 'CLOSE', ctx.deps.now(), facts.expiresAt));
  sendJson(ctx.res, 202, { traceId: ctx.params.id, action: 'CLOSE' });
}

export function getTrace(ctx: RouteContext): void {
  const view = ctx.deps.book.view(ctx.cc, ctx.params.id!);
  if (!view) throw new ApiError(404, 'not_found', `${ctx.cc} has no view of trace ${ctx.params.id} (yet)`);
  sendJson(ctx.res, 200, updateJson(view));
}

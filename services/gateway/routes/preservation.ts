// Preservation orders through the API (Budapest Convention Art. 16/29), one order per trace:
//   POST   /v1/traces/{id}/preservation          {"days": 90}  open (or re-pin) -> 201
//   POST   /v1/traces/{id}/preservation/extend   {"days": 30}  push the expiry out -> 200
//   DELETE /v1/traces/{id}/preservation                       release -> 200
//   GET    /v1/traces/{id}/preservation                       the order -> 200
// Only the requesting jurisdiction may act, also on a closed trace (evidence outlives a trace).
// The order pins every record the chain in the caller's newest view relies on and the records
// around each hop's window (services/history). Without a history store the routes answer 503.
import type { FastifyRequest } from 'fastify';
import type { OrderState } from '../../history/preservation.ts';
import type { PreservationStore } from '../preservation-port.ts';
import { ApiError } from '../api-errors.ts';
import { AUTH_ERRORS, DEFAULT_PRESERVATION_DAYS, QUOTA_ERRORS, error, ref, traceIdParams } from '../api-schemas.ts';
import type { GatewayDeps, RoutePlugin } from './context.ts';

type OrderRequest = FastifyRequest<{ Params: { id: string }; Body: { days?: number } | undefined }>;

function storeOf(deps: GatewayDeps): PreservationStore {
  if (!deps.preservation) throw new ApiError(503, 'unavailable', 'this node has no history store (DATABASE_URL); preservation orders need it');
  return deps.preservation;
}

function ownedTrace(deps: GatewayDeps, req: OrderRequest): string {
  const { id } = req.params;
  const { cc } = req.caller;
  const facts = deps.book.facts(id);
  if (!facts || (facts.owner !== cc && !deps.book.view(cc, id))) throw new ApiError(404, 'not_found', `no trace ${id} known to ${cc}`);
  if (facts.owner !== cc) throw new ApiError(403, 'forbidden', `only the requesting jurisdiction (${facts.owner}) may preserve trace ${id}`);
  return id;
}

const orderJson = (o: OrderState) => ({
  orderId: o.orderId, traceId: o.traceId, openedAt: o.openedAt, expiresAt: o.expiresAt, releasedAt: o.releasedAt,
  preserved: { flows: o.flows, sessions: o.sessions },
});

const ORDER_ERRORS = {
  ...AUTH_ERRORS, 400: error('days or the trace id invalid.'), 403: error('Only the requesting jurisdiction may preserve.'),
  404: error('No such trace for the caller, or no such order.'), 503: error('This node has no history store.'),
};
const schema = (operationId: string, summary: string, ok: number, body: boolean, changes = true) => ({
  operationId, summary, params: traceIdParams, ...(body ? { body: ref('PreservationDays') } : {}),
  response: { [ok]: { description: 'The order.', ...ref('PreservationOrder') }, ...ORDER_ERRORS, ...(changes ? QUOTA_ERRORS : {}) },
});
/** Opening, extending and releasing an order take from the jurisdiction's quota of changes. */
const CHANGES = { quota: 'change' as const };
function orderOr404(o: OrderState | undefined, id: string, what: string) {
  if (!o) throw new ApiError(404, 'not_found', `no ${what}preservation order for trace ${id}`);
  return orderJson(o);
}

export const preservationRoutes: RoutePlugin = (app, deps) => {
  const path = '/v1/traces/:id/preservation';
  app.post(path, {
    config: CHANGES,
    schema: { ...schema('openPreservationOrder', `Pin the records of a trace you opened for \`days\` (default ${DEFAULT_PRESERVATION_DAYS}); again re-pins.`, 201, true) },
  }, async (req: OrderRequest, reply) => {
    const id = ownedTrace(deps, req);
    const store = storeOf(deps);
    const hops = deps.book.view(req.caller.cc, id)?.update.hops ?? [];
    if (hops.length === 0) throw new ApiError(409, 'conflict', `trace ${id} has no resolved hop yet; there is nothing to preserve (retry when it has)`);
    const { order, pinned } = await store.open(id, hops, req.body?.days ?? DEFAULT_PRESERVATION_DAYS);
    return reply.code(201).header('location', `/v1/traces/${encodeURIComponent(id)}/preservation`).send({ ...orderJson(order), pinnedNow: pinned });
  });
  app.post(`${path}/extend`, { config: CHANGES, schema: schema('extendPreservationOrder', 'Push the order\'s expiry to now + `days` (never shortens it).', 200, true) }, async (req: OrderRequest) => {
    const id = ownedTrace(deps, req);
    const days = req.body?.days;
    if (days === undefined) throw new ApiError(400, 'invalid_request', 'days is required to extend', { fields: [{ field: 'days', message: 'is required' }] });
    return orderOr404(await storeOf(deps).extend(id, days), id, 'open ');
  });
  app.delete(path, { config: CHANGES, schema: schema('releasePreservationOrder', 'End the order; retention may then take the records.', 200, false) }, async (req: OrderRequest) => {
    const id = ownedTrace(deps, req);
    return orderOr404(await storeOf(deps).release(id), id, 'open ');
  });
  app.get(path, { schema: schema('getPreservationOrder', 'The order on a trace you opened.', 200, false, false) }, async (req: OrderRequest) => {
    const id = ownedTrace(deps, req);
    return orderOr404(await storeOf(deps).state(id), id, '');
  });
};

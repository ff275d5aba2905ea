// Preservation orders through the API (Budapest Convention Art. 16/29), one order per trace:
//   POST   /v1/traces/{id}/preservation          {"days": 90}  open (or re-pin) -> 201
//   POST   /v1/traces/{id}/preservation/extend   {"days": 30}  push the expiry out -> 200
//   DELETE /v1/traces/{id}/preservation                       release -> 200
//   GET    /v1/traces/{id}/preservation                       the order -> 200
// Only the requesting jurisdiction may act, also on a closed trace (evidence outlives a trace).
// The order pins every record the chain in the caller's newest view relies on and the records
// around each hop's window (services/history). Without a history store the routes answer 503.
import { PRESERVATION_MAX_DAYS } from '../../history/domain/legal-clock.ts';
import type { OrderState } from '../../history/preservation.ts';
import type { PreservationStore } from '../preservation-port.ts';
import { ApiError, readJson, sendJson } from '../http-io.ts';
import type { Handler, RouteContext } from './context.ts';

/** Art. 16(2): up to 90 days at a time, renewable (services/history/domain/legal-clock.ts). */
export const MAX_PRESERVATION_DAYS = PRESERVATION_MAX_DAYS;
const DEFAULT_DAYS = 90;

function storeOf(ctx: RouteContext): PreservationStore {
  const store = ctx.deps.preservation;
  if (!store) throw new ApiError(503, 'unavailable', 'this node has no history store (DATABASE_URL); preservation orders need it');
  return store;
}

function ownedTrace(ctx: RouteContext): string {
  const id = ctx.params.id!;
  const facts = ctx.deps.book.facts(id);
  if (!facts || (facts.owner !== ctx.cc && !ctx.deps.book.view(ctx.cc, id))) throw new ApiError(404, 'not_found', `no trace ${id} known to ${ctx.cc}`);
  if (facts.owner !== ctx.cc) throw new ApiError(403, 'forbidden', `only the requesting jurisdiction (${facts.owner}) may preserve trace ${id}`);
  return id;
}

async function daysOf(ctx: RouteContext, required: boolean): Promise<number> {
  const body = await readJson(ctx.req, ctx.deps.maxBodyBytes);
  if (body !== undefined && (typeof body !== 'object' || body === null || Array.isArray(body))) throw new ApiError(400, 'invalid_request', 'body must be a JSON object like {"days": 90}');
  const b = (body ?? {}) as Record<string, unknown>;
  const unknown = Object.keys(b).filter((k) => k !== 'days');
  if (unknown.length) throw new ApiError(400, 'invalid_request', `unknown field(s) ${unknown.join(', ')}; the only field is days`);
  if (b.days === undefined && !required) return DEFAULT_DAYS;
  if (!Number.isInteger(b.days) || (b.days as number) < 1 || (b.days as number) > MAX_PRESERVATION_DAYS) {
    throw new ApiError(400, 'invalid_request', `days must be an integer 1..${MAX_PRESERVATION_DAYS}`, { fields: [{ field: 'days', message: `must be an integer 1..${MAX_PRESERVATION_DAYS}` }] });
  }
  return b.days as number;
}

const orderJson = (o: OrderState) => ({
  orderId: o.orderId, traceId: o.traceId, openedAt: o.openedAt, expiresAt: o.expiresAt, releasedAt: o.releasedAt,
  preserved: { flows: o.flows, sessions: o.sessions },
});

export const openPreservationOrder: Handler = async (ctx) => {
  const id = ownedTrace(ctx);
  const store = storeOf(ctx);
  const days = await daysOf(ctx, false);
  const hops = ctx.deps.book.view(ctx.cc, id)?.update.hops ?? [];
  if (hops.length === 0) throw new ApiError(409, 'conflict', `trace ${id} has no resolved hop yet; there is nothing to preserve (retry when it has)`);
  const { order, pinned } = await store.open(id, hops, days);
  sendJson(ctx.res, 201, { ...orderJson(order), pinnedNow: pinned }, { location: `/v1/traces/${encodeURIComponent(id)}/preservation` });
};

export const extendPreservationOrder: Handler = async (ctx) => {
  const id = ownedTrace(ctx);
  const order = await storeOf(ctx).extend(id, await daysOf(ctx, true));
  if (!order) throw new ApiError(404, 'not_found', `no open preservation order for trace ${id}`);
  sendJson(ctx.res, 200, orderJson(order));
};

export const releasePreservationOrder: Handler = async (ctx) => {
  const id = ownedTrace(ctx);
  const order = await storeOf(ctx).release(id);
  if (!order) throw new ApiError(404, 'not_found', `no open preservation order for trace ${id}`);
  sendJson(ctx.res, 200, orderJson(order));
};

export const getPreservationOrder: Handler = async (ctx) => {
  const id = ownedTrace(ctx);
  const order = await storeOf(ctx).state(id);
  if (!order) throw new ApiError(404, 'not_found', `no preservation order for trace ${id}`);
  sendJson(ctx.res, 200, orderJson(order));
};

/** The router's hook: these routes, added to its table. */
export function preservationRoutes(id: string) {
  const p = new RegExp(`^/v1/traces/${id}/preservation$`);
  return [
    { method: 'POST', pattern: p, name: 'preservation_open', auth: true, handler: openPreservationOrder },
    { method: 'GET', pattern: p, name: 'preservation_get', auth: true, handler: getPreservationOrder },
    { method: 'DELETE', pattern: p, name: 'preservation_release', auth: true, handler: releasePreservationOrder },
    { method: 'POST', pattern: new RegExp(`^/v1/traces/${id}/preservation/extend$`), name: 'preservation_extend', auth: true, handler: extendPreservationOrder },
  ];
}

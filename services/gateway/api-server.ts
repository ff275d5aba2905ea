// The gateway's API server on fastify: TLS (unless told plain HTTP on loopback), the bearer
// token check on every /v1 route (the token's jurisdiction is the caller, and nothing in a
// request can name another one), a per-jurisdiction quota on every route that changes something, schema validation of bodies, parameters and queries, one
// error shape (api-errors.ts), JSON with control characters escaped (safe-json.ts), pino
// logging, and the OpenAPI document generated from the route schemas at /openapi.json.
// /metrics and /healthz are not here: they are on the ops port (common/http-server.ts).
import swagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { createHash } from 'node:crypto';
import type { Logger } from '../common/logger.ts';
import { ApiError, apiErrorOf, errorBody } from './api-errors.ts';
import { sharedSchemas } from './api-schemas.ts';
import type { GatewayDeps } from './routes/context.ts';
import { preservationRoutes } from './routes/preservation.ts';
import { streamRoutes } from './routes/stream.ts';
import { traceRoutes } from './routes/traces.ts';
import { safeJson } from '../partner/domain/safe-json.ts';
import { bearerToken, type TokenTable } from './tokens.ts';

export interface ApiOptions extends GatewayDeps {
  tokens: TokenTable;
  /** PEM certificate chain and key; absent = plain HTTP (the caller checks that is allowed). */
  tls?: { cert: Buffer; key: Buffer };
  /** Largest request body accepted, bytes. */
  maxBodyBytes: number;
  logger?: Logger;
  /** Called once per answered request with the route and status. */
  observe?(route: string, status: number): void;
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

export async function buildApi(o: ApiOptions): Promise<FastifyInstance> {
  const app = Fastify({
    ...(o.tls ? { https: { cert: o.tls.cert, key: o.tls.key, minVersion: 'TLSv1.2' as const } } : {}),
    ...(o.logger ? { loggerInstance: o.logger.child({ component: 'api' }) } : { logger: false }),
    bodyLimit: o.maxBodyBytes,
    logController: new LogController({ disableRequestLogging: true }), // the gateway logs what matters itself
    forceCloseConnections: true, // streams never end on their own; close() must not wait for them
    // every problem in a body at once, named by field; no silent coercion or removal
    ajv: { customOptions: { allErrors: true, coerceTypes: false, removeAdditional: false } },
  }) as unknown as FastifyInstance;
  // response schemas describe, they do not filter: every answer is safeJson of what the route returns
  app.setSerializerCompiler(() => safeJson);
  app.setReplySerializer(safeJson);
  for (const s of sharedSchemas(o.limits)) app.addSchema(s);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'crosstrace gateway', version: '1',
        description: 'Open, extend and close live cross-border traces, follow your jurisdiction\'s signed, verified trace views, and place preservation orders on a trace\'s records. '
          + 'Every /v1 route needs `Authorization: Bearer <token>`; the token decides the caller\'s jurisdiction, which is the requesting jurisdiction of the traces it opens and the only stream it can read.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'One token per jurisdiction (CROSSTRACE_GATEWAY_TOKENS).' } } },
      security: [{ bearer: [] }],
    },
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });

  const routeMethods = new Map<string, Set<string>>();
  app.addHook('onRoute', (r) => {
    if (r.schema?.hide) return;
    const set = routeMethods.get(r.url) ?? new Set<string>();
    for (const m of [r.method].flat()) set.add(m);
    routeMethods.set(r.url, set);
  });
  app.decorateRequest('caller', null as never);
  app.addHook('onRequest', async (req, reply) => {
    // the route's pattern decides, not the raw URL: the router decodes %-escapes, so `/%761/stream`
    // is /v1/stream and must not reach its handler without a token
    const guarded = (req.routeOptions.url ?? '').startsWith('/v1/') || req.url.startsWith('/v1/');
    if (req.routeOptions.config.public || !guarded) return;
    const token = bearerToken(req.headers.authorization);
    const cc = token === undefined ? undefined : o.tokens.jurisdictionOf(token);
    if (!token || !cc) {
      reply.header('www-authenticate', 'Bearer realm="crosstrace"');
      throw new ApiError(401, 'unauthorized', token === undefined ? 'send Authorization: Bearer <token>' : 'unknown token');
    }
    req.caller = { cc, tokenId: createHash('sha256').update(token).digest('hex'), stillValid: () => o.tokens.jurisdictionOf(token) === cc };
    // every route that changes something takes from the jurisdiction's quota, before any other check
    const kind = req.routeOptions.config.quota;
    const q = kind === 'open' ? o.openQuota?.take(cc) : kind === 'change' ? o.changeQuota?.take(cc) : undefined;
    if (q && !q.ok) {
      throw new ApiError(429, 'too_many_requests', `${cc} has used its quota of ${kind === 'open' ? 'trace opens' : 'changes (extend, close, preservation)'}; retry in ${q.retryAfterS} s`,
        { headers: { 'retry-after': String(q.retryAfterS) } });
    }
  });
  // a POST without a body (close, preservation open/release) is validated as an empty object
  app.addHook('preValidation', async (req) => { if (req.body === undefined || req.body === null) req.body = {}; });
  app.addHook('onResponse', async (req, reply) => { o.observe?.(req.routeOptions.url ?? 'unknown', reply.statusCode); });
  app.setErrorHandler((err, req, reply) => {
    const e = apiErrorOf(err);
    if (e.status >= 500 && e.code === 'internal') req.log.error({ err, route: req.routeOptions.url }, 'request failed');
    return reply.code(e.status).headers({ 'cache-control': 'no-store', ...e.headers }).send(errorBody(e));
  });
  app.setNotFoundHandler((req) => { throw new ApiError(404, 'not_found', `no route ${req.url.split('?')[0]}; see /openapi.json`); });

  app.get('/openapi.json', { config: { public: true }, schema: { operationId: 'openapi', summary: 'This document (OpenAPI 3.1).', security: [] } },
    async (_req, reply) => reply.header('cache-control', 'public, max-age=300').send(app.swagger()));
  traceRoutes(app, o);
  preservationRoutes(app, o);
  streamRoutes(app, o);
  // a path served with other methods answers 405 with Allow, not 404
  for (const [url, methods] of routeMethods) {
    const others = METHODS.filter((m) => !methods.has(m) && !(m === 'GET' && methods.has('HEAD')));
    const allow = [...methods].filter((m) => m !== 'HEAD').join(', ');
    if (others.length) {
      app.route({ method: [...others], url, schema: { hide: true }, handler: async (req) => {
        throw new ApiError(405, 'method_not_allowed', `${req.method} is not allowed on ${req.url.split('?')[0]}`, { headers: { allow } });
      } });
    }
  }
  return app;
}

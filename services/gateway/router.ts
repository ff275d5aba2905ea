// The gateway's HTTP routes, as the `route` hook of the ops server: returns false for paths it
// does not serve (/metrics and /healthz are the ops server's own). Every /v1 route needs a
// bearer token; the token's jurisdiction is the caller, and nothing in a request can name
// another one.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, sendApiError } from './http-io.ts';
import type { TokenTable } from './tokens.ts';
import { bearerToken } from './tokens.ts';
import type { GatewayDeps, Handler } from './routes/context.ts';
import { makeOpenApiHandler } from './routes/openapi.ts';
import { stream } from './routes/stream.ts';
import { preservationRoutes } from './routes/preservation.ts';
import { closeTrace, extendTrace, getTrace, openTrace } from './routes/traces.ts';

interface Route { method: string; pattern: RegExp; name: string; auth: boolean; handler: Handler }

const ID = '([A-Za-z0-9._:-]{1,128})';

export interface RouterOptions extends GatewayDeps {
  tokens: TokenTable;
  /** Called once per answered request with the route name and status. */
  observe?(route: string, status: number): void;
  /** Called with errors that became a 500. */
  onError?(err: unknown, route: string): void;
}

export function createRouter(o: RouterOptions): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const routes: Route[] = [
    { method: 'POST', pattern: /^\/v1\/traces$/, name: 'open', auth: true, handler: openTrace },
    { method: 'GET', pattern: new RegExp(`^/v1/traces/${ID}$`), name: 'get', auth: true, handler: getTrace },
    { method: 'POST', pattern: new RegExp(`^/v1/traces/${ID}/extend$`), name: 'extend', auth: true, handler: extendTrace },
    { method: 'POST', pattern: new RegExp(`^/v1/traces/${ID}/close$`), name: 'close', auth: true, handler: closeTrace },
    ...preservationRoutes(ID),
    { method: 'GET', pattern: /^\/v1\/stream$/, name: 'stream', auth: true, handler: stream },
    { method: 'GET', pattern: /^\/openapi\.json$/, name: 'openapi', auth: false, handler: makeOpenApiHandler(o.limits) },
  ];

  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://gateway.invalid');
    const path = url.pathname;
    const matching = routes.filter((r) => r.pattern.test(path));
    if (matching.length === 0 && !path.startsWith('/v1/')) return false;
    let name = matching[0]?.name ?? 'unknown';
    try {
      const route = matching.find((r) => r.method === req.method);
      if (matching.length === 0) throw new ApiError(404, 'not_found', `no route ${path}; see /openapi.json`);
      if (!route) throw new ApiError(405, 'method_not_allowed', `${req.method} is not allowed on ${path}`, { headers: { allow: matching.map((r) => r.method).join(', ') } });
      name = route.name;
      let cc = '';
      if (route.auth) {
        const token = bearerToken(req.headers.authorization);
        const found = token === undefined ? undefined : o.tokens.jurisdictionOf(token);
        if (!found) throw new ApiError(401, 'unauthorized', token === undefined ? 'send Authorization: Bearer <token>' : 'unknown token', { headers: { 'www-authenticate': 'Bearer realm="crosstrace"' } });
        cc = found;
      }
      const params = route.pattern.exec(path)!.slice(1);
      await route.handler({ req, res, url, cc, params: params.length ? { id: params[0]! } : {}, deps: o });
    } catch (e) {
      if (e instanceof ApiError) {
        if (!res.headersSent) sendApiError(res, e);
      } else {
        o.onError?.(e, name);
        if (!res.headersSent) sendApiError(res, new ApiError(500, 'internal', 'internal error'));
        else res.end();
      }
    }
    o.observe?.(name, res.statusCode);
    return true;
  };
}

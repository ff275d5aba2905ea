// /metrics (Prometheus text) and /healthz (200 when healthy, 503 otherwise, JSON details).
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

export interface Health { ok: boolean; [detail: string]: unknown }

export interface OpsServer { port(): number; close(): Promise<void> }

export async function startOpsServer(opts: {
  port: number;
  host?: string;
  registry: Registry;
  health: () => Health;
  /** Extra routes (e.g. the gateway API); return false when not handled. */
  route?: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => boolean | Promise<boolean>;
}): Promise<OpsServer> {
  const server: Server = createServer((req, res) => {
    void (async () => {
      try {
        if (req.url === '/metrics') {
          res.writeHead(200, { 'content-type': opts.registry.contentType });
          res.end(await opts.registry.metrics());
        } else if (req.url === '/healthz') {
          const h = opts.health();
          res.writeHead(h.ok ? 200 : 503, { 'content-type': 'application/json' });
          res.end(JSON.stringify(h));
        } else if (!opts.route || !(await opts.route(req, res))) {
          res.writeHead(404, { 'content-type': 'application/json' });
          res.end('{"error":"not found"}');
        }
      } catch (e) {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: (e as Error).message }));
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => resolve());
  });
  return {
    port: () => (server.address() as { port: number }).port,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

// The ops server every service runs: /metrics (Prometheus text) and /healthz (200 when healthy,
// 503 otherwise, JSON details), nothing else. The gateway's API is a server of its own on
// another port (services/gateway/api-server.ts), so the ops port can stay inside the node: it
// listens on loopback unless told otherwise (CROSSTRACE_OPS_HOST, common/config.ts).
import Fastify from 'fastify';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface Health { ok: boolean; [detail: string]: unknown }

export interface OpsServer { port(): number; /** The address it listens on. */ address(): string; close(): Promise<void> }

/** Where the ops port listens when no host is given: loopback, never every interface. */
export const DEFAULT_OPS_HOST = '127.0.0.1';

export async function startOpsServer(opts: { port: number; host?: string; registry: Registry; health: () => Health }): Promise<OpsServer> {
  const app = Fastify({ logger: false, forceCloseConnections: true });
  app.get('/metrics', async (_req, reply) => reply.type(opts.registry.contentType).send(await opts.registry.metrics()));
  app.get('/healthz', async (_req, reply) => {
    const h = opts.health();
    return reply.code(h.ok ? 200 : 503).send(h);
  });
  app.setNotFoundHandler(async (_req, reply) => reply.code(404).send({ error: 'not found: this port serves /metrics and /healthz' }));
  await app.listen({ port: opts.port, host: opts.host ?? DEFAULT_OPS_HOST });
  return {
    port: () => (app.server.address() as AddressInfo).port,
    address: () => (app.server.address() as AddressInfo).address,
    close: () => app.close(),
  };
}

import { networkInterfaces } from 'node:os';
import { Registry, Counter } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { commonSpec } from './config.ts';
import { startOpsServer } from './http-server.ts';

describe('ops server', () => {
  it('serves /metrics and /healthz (503 when unhealthy) and nothing else', async () => {
    const registry = new Registry();
    new Counter({ name: 'crosstrace_test_things_total', help: 'things', registers: [registry] }).inc(3);
    let ok = true;
    const ops = await startOpsServer({ port: 0, host: '127.0.0.1', registry, health: () => ({ ok, follower: ok }) });
    const base = `http://127.0.0.1:${ops.port()}`;
    try {
      const m = await fetch(`${base}/metrics`);
      expect([m.status, m.headers.get('content-type')]).toEqual([200, registry.contentType]);
      expect(await m.text()).toMatch(/^crosstrace_test_things_total 3$/m);
      expect([(await fetch(`${base}/healthz`)).status]).toEqual([200]);
      ok = false;
      const h = await fetch(`${base}/healthz`);
      expect([h.status, await h.json()]).toEqual([503, { ok: false, follower: false }]);
      expect((await fetch(`${base}/v1/traces`)).status).toBe(404);
    } finally { await ops.close(); }
  });

  it('listens on loopback unless told otherwise: metrics and health details stay on the node (security review 8)', async () => {
    expect(commonSpec.CROSSTRACE_OPS_HOST.default).toBe('127.0.0.1');
    const ops = await startOpsServer({ port: 0, registry: new Registry(), health: () => ({ ok: true }) });
    try {
      expect(ops.address()).toBe('127.0.0.1');
      // from another interface of this machine (when it has one) the port is closed
      const other = Object.values(networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal);
      if (other) await expect(fetch(`http://${other.address}:${ops.port()}/healthz`)).rejects.toThrow();
    } finally { await ops.close(); }
    const wide = await startOpsServer({ port: 0, host: '0.0.0.0', registry: new Registry(), health: () => ({ ok: true }) });
    try { expect(wide.address()).toBe('0.0.0.0'); } finally { await wide.close(); }
  });
});

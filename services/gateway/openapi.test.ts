// The OpenAPI document is generated from the route schemas: every route the API serves is in
// it (the preservation routes too), the trace view schemas come from schemas/*.avsc, and every
// reference resolves.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApi } from './api-server.ts';
import { DEFAULT_OPEN_LIMITS } from '../partner/domain/open-request.ts';
import { createTokenTable } from './tokens.ts';
import { createTraceBook } from './trace-book.ts';

type Doc = { openapi: string; paths: Record<string, Record<string, { operationId?: string; security?: unknown[]; requestBody?: unknown; responses: Record<string, unknown> }>>; components: { schemas: Record<string, { properties?: Record<string, unknown>; enum?: string[] }> } };

describe('OpenAPI description', () => {
  let app: FastifyInstance;
  let doc: Doc;
  beforeAll(async () => {
    app = await buildApi({
      tokens: createTokenTable([['GB', 'gb-token-0123456789abcdef']]), book: createTraceBook(), submit: async () => undefined, now: Date.now, newTraceId: () => 'x',
      limits: DEFAULT_OPEN_LIMITS, maxBodyBytes: 65_536, heartbeatMs: 15_000, maxStreamsPerToken: 2, maxPendingPerStream: 10,
    });
    const res = await app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    doc = res.json<Doc>();
  });
  afterAll(async () => { await app.close(); });

  it('describes every route the API serves, the preservation orders included, and no 405 helper', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.fromEntries(Object.entries(doc.paths).map(([p, ops]) => [p, Object.keys(ops).sort()]))).toEqual({
      '/v1/traces': ['post'], '/v1/traces/{id}': ['get'], '/v1/traces/{id}/extend': ['post'], '/v1/traces/{id}/close': ['post'],
      '/v1/traces/{id}/preservation': ['delete', 'get', 'post'], '/v1/traces/{id}/preservation/extend': ['post'],
      '/v1/stream': ['get'], '/openapi.json': ['get'],
    });
    const ops = Object.values(doc.paths).flatMap((p) => Object.values(p));
    expect(ops.every((o) => typeof o.operationId === 'string')).toBe(true);
    expect(doc.paths['/v1/traces/{id}/preservation']!.post!.requestBody).toBeDefined();
    expect(Object.keys(doc.paths['/v1/stream']!.get!.responses)).toContain('429');
    expect(doc.paths['/openapi.json']!.get!.security).toEqual([]);
  });

  it('takes the trace view schemas from schemas/*.avsc, and every $ref resolves', () => {
    const s = doc.components.schemas;
    expect(Object.keys(s.TraceUpdate!.properties!)).toContain('awaiting');
    expect(s.Hop!.properties!.subscriberHandle).toMatchObject({ type: ['string', 'null'] });
    expect(s.TraceStatus!.enum).toContain('TERMINATED_AT_SUBSCRIBER');
    expect(Object.keys(s.PreservationOrder!.properties!)).toContain('expiresAt');
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(10);
    expect(refs.filter((r) => !r.startsWith('#/components/schemas/') || !(r.slice('#/components/schemas/'.length) in s))).toEqual([]);
  });
});

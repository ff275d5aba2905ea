import { describe, expect, it } from 'vitest';
import { openApiDocument } from './routes/openapi.ts';

describe('OpenAPI description', () => {
  const doc = openApiDocument() as { openapi: string; paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, { properties?: Record<string, unknown>; enum?: string[] }> } };
  it('describes every route the gateway serves', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.fromEntries(Object.entries(doc.paths).map(([p, ops]) => [p, Object.keys(ops)]))).toEqual({
      '/v1/traces': ['post'], '/v1/traces/{id}': ['get'], '/v1/traces/{id}/extend': ['post'], '/v1/traces/{id}/close': ['post'],
      '/v1/stream': ['get'], '/openapi.json': ['get'], '/healthz': ['get'], '/metrics': ['get'],
    });
  });
  it('takes the trace view schemas from schemas/*.avsc, and every $ref resolves', () => {
    const s = doc.components.schemas;
    expect(Object.keys(s.TraceUpdate!.properties!)).toContain('awaiting');
    expect(s.Hop!.properties!.subscriberHandle).toMatchObject({ type: ['string', 'null'] });
    expect(s.TraceStatus!.enum).toContain('TERMINATED_AT_SUBSCRIBER');
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/(\w+)"/g)].map((m) => m[1]!);
    expect(refs.filter((r) => !(r in s))).toEqual([]);
  });
});

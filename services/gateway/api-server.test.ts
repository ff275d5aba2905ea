// The gateway's API over real HTTP (fastify on a loopback port + fetch) with an injected
// producer and book: authentication, validation, ownership, views and the per-jurisdiction stream.
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TraceRequest } from '../../schemas/types.gen.ts';
import { fullUpdate, hop, makeNode } from '../partner/test-fixtures.ts';
import { createRequestQuota, type RequestQuota } from './request-quota.ts';
import { DEFAULT_OPEN_LIMITS } from '../partner/domain/open-request.ts';
import { buildApi } from './api-server.ts';
import { createTokenTable } from './tokens.ts';
import { createTraceBook, type TraceBook } from './trace-book.ts';

const NOW = 1_700_000_000_000;
const TOK = { GB: 'gb-token-0123456789abcdef', FR: 'fr-token-0123456789abcdef', DE: 'de-token-0123456789abcdef' };
const body = { legalBasis: 'ART33_REALTIME_TRAFFIC', caseReference: 'GB-NCA-42', srcAddr: '198.51.100.7', srcPort: 40001, dstAddr: '192.0.2.10', dstPort: 443, protocol: 6, observedTime: new Date(NOW - 60_000).toISOString(), toleranceMs: 2000 };

let server: FastifyInstance;
let base: string;
let book: TraceBook;
let submitted: TraceRequest[];
let kafkaDown: boolean;
let clock: number;
let quota: RequestQuota;
let changes: RequestQuota;
const streams: Record<string, number> = {};
const table = createTokenTable(Object.entries(TOK));
let revoked: Set<string>;

beforeEach(async () => {
  revoked = new Set();
  book = createTraceBook();
  submitted = [];
  kafkaDown = false;
  clock = 0;
  quota = createRequestQuota({ perMinute: 6000, burst: 1000, now: () => NOW + clock });
  changes = createRequestQuota({ perMinute: 6000, burst: 1000, now: () => NOW + clock });
  let n = 0;
  server = await buildApi({
    tokens: { jurisdictionOf: (t) => (revoked.has(t) ? undefined : table.jurisdictionOf(t)), jurisdictions: () => table.jurisdictions() }, book, now: () => NOW + clock, openQuota: { take: (cc) => quota.take(cc) }, changeQuota: { take: (cc) => changes.take(cc) }, newTraceId: () => `trace-${++n}`, limits: DEFAULT_OPEN_LIMITS, maxBodyBytes: 4096, heartbeatMs: 60_000,
    maxStreamsPerToken: 2, maxPendingPerStream: 100,
    submit: async (r) => { if (kafkaDown) throw new Error('broker down'); submitted.push(r); },
    onStream: (cc, d) => { streams[cc] = (streams[cc] ?? 0) + d; },
  });
  base = await server.listen({ port: 0, host: '127.0.0.1' });
});
afterEach(async () => { await server.close(); });

const call = (path: string, o: { method?: string; token?: string; json?: unknown; raw?: string; type?: string } = {}) => fetch(`${base}${path}`, {
  method: o.method ?? (o.json !== undefined || o.raw !== undefined ? 'POST' : 'GET'),
  headers: { ...(o.token ? { authorization: `Bearer ${o.token}` } : {}), ...(o.json !== undefined || o.raw !== undefined ? { 'content-type': o.type ?? 'application/json' } : {}) },
  body: o.raw ?? (o.json === undefined ? undefined : JSON.stringify(o.json)),
});
async function open(token = TOK.GB): Promise<string> {
  const res = await call('/v1/traces', { token, json: body });
  expect(res.status).toBe(202);
  return ((await res.json()) as { traceId: string }).traceId;
}

describe('authentication', () => {
  it('refuses /v1 routes without a token or with an unknown one; /openapi.json is public; /metrics is not on the API port', async () => {
    for (const [path, method] of [['/v1/traces', 'POST'], ['/v1/traces/x', 'GET'], ['/v1/stream', 'GET'], ['/v1/traces/x/close', 'POST']] as const) {
      const none = await call(path, { method });
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect((await call(path, { method, token: 'not-a-known-token-at-all' })).status).toBe(401);
    }
    expect((await call('/openapi.json')).status).toBe(200);
    expect((await call('/metrics')).status).toBe(404);
    expect((await call('/healthz')).status).toBe(404);
    expect((await call('/v1/nothing', { token: TOK.GB })).status).toBe(404);
    const wrongMethod = await call('/v1/traces', { method: 'GET', token: TOK.GB });
    expect([wrongMethod.status, wrongMethod.headers.get('allow')]).toEqual([405, 'POST']);
  });
  it('checks the token on a /v1 route however its path is spelled (percent-encoded): 401, never a handler without a caller', async () => {
    const id = await open(TOK.FR);
    for (const [path, method] of [['/%761/stream', 'GET'], [`/%761/traces/${id}`, 'GET'], [`/v%31/traces/${id}/close`, 'POST'], ['/%76%31/traces', 'POST']] as const) {
      const res = await call(path, { method });
      expect([path, res.status]).toEqual([path, 401]);
    }
    expect(submitted.map((r) => r.action)).toEqual(['OPEN']);
  });
});

describe('POST /v1/traces', () => {
  it('produces an OPEN TraceRequest whose requesting jurisdiction is the token\'s, and answers 202 with the trace id', async () => {
    const res = await call('/v1/traces', { token: TOK.FR, json: { ...body, srcAddr: '2001:DB8:0:0::1' } });
    expect(res.status).toBe(202);
    expect(res.headers.get('location')).toBe('/v1/traces/trace-1');
    expect(await res.json()).toEqual({ traceId: 'trace-1', requestingJurisdiction: 'FR', expiresAt: NOW + 3_600_000 });
    expect(submitted).toEqual([{
      traceId: 'trace-1', action: 'OPEN', requestingJurisdiction: 'FR', legalBasis: 'ART33_REALTIME_TRAFFIC', caseReference: 'GB-NCA-42',
      srcAddr: '2001:db8::1', srcPort: 40001, dstAddr: '192.0.2.10', dstPort: 443, protocol: 6, observedTime: NOW - 60_000, toleranceMs: 2000,
      requestedAt: NOW, expiresAt: NOW + 3_600_000,
    }]);
  });

  it('never takes the requesting jurisdiction from the body', async () => {
    const res = await call('/v1/traces', { token: TOK.FR, json: { ...body, requestingJurisdiction: 'GB' } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_request', fields: [{ field: 'requestingJurisdiction' }] } });
    expect(submitted).toEqual([]);
  });

  it('answers 400 naming every bad field', async () => {
    const res = await call('/v1/traces', { token: TOK.GB, json: { ...body, srcAddr: '300.1.2.3', dstPort: 70000, protocol: 'tcp', legalBasis: 'ART99', observedTime: 'yesterday', extra: 1 } });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { fields: { field: string }[]; message: string } };
    expect(error.fields.map((f) => f.field).sort()).toEqual(['dstPort', 'extra', 'legalBasis', 'observedTime', 'protocol', 'srcAddr']);
    expect(error.message).toMatch(/srcAddr "300\.1\.2\.3" is not a valid IPv4\/IPv6 address/);
  });

  it('refuses malformed JSON, non-JSON bodies, oversized bodies; 503 when Kafka is down', async () => {
    expect(await (await call('/v1/traces', { token: TOK.GB, raw: '{"legalBasis":' })).json()).toMatchObject({ error: { code: 'invalid_json' } });
    expect((await call('/v1/traces', { token: TOK.GB, raw: 'a=b', type: 'application/x-www-form-urlencoded' })).status).toBe(415);
    expect((await call('/v1/traces', { token: TOK.GB, json: { ...body, caseReference: 'x'.repeat(5000) } })).status).toBe(413);
    kafkaDown = true;
    const res = await call('/v1/traces', { token: TOK.GB, json: body });
    expect([res.status, res.headers.get('retry-after')]).toEqual([503, '2']);
  });
});

describe('extend and close', () => {
  it('only the requesting jurisdiction may; a party with a view gets 403, a stranger 404', async () => {
    const id = await open(TOK.GB);
    const node = makeNode();
    book.noteView('FR', node.publish(fullUpdate({ traceId: id }), 'FR').signed);
    expect((await call(`/v1/traces/${id}/close`, { method: 'POST', token: TOK.FR })).status).toBe(403);
    expect((await call(`/v1/traces/${id}/close`, { method: 'POST', token: TOK.DE })).status).toBe(404);
    expect((await call(`/v1/traces/${id}/extend`, { token: TOK.FR, json: { ttlMs: 7_200_000 } })).status).toBe(403);
    const ext = await call(`/v1/traces/${id}/extend`, { token: TOK.GB, json: { ttlMs: 7_200_000 } });
    expect([ext.status, await ext.json()]).toEqual([202, { traceId: id, action: 'EXTEND', expiresAt: NOW + 7_200_000 }]);
    expect((await call(`/v1/traces/${id}/close`, { method: 'POST', token: TOK.GB })).status).toBe(202);
    expect(submitted.map((r) => [r.action, r.requestingJurisdiction, r.traceId])).toEqual([['OPEN', 'GB', id], ['EXTEND', 'GB', id], ['CLOSE', 'GB', id]]);
    expect(submitted[1]!.expiresAt).toBe(NOW + 7_200_000);
  });

  it('the owner comes from trace.state when the tracer has published it; closed traces cannot change; an extension must extend', async () => {
    book.noteState(fullUpdate({ traceId: 'tX', requestingJurisdiction: 'DE', expiresAt: NOW + 3_600_000 }));
    expect((await call('/v1/traces/tX/extend', { token: TOK.DE, json: { ttlMs: 60_000 } })).status).toBe(409);
    expect((await call('/v1/traces/tX/extend', { token: TOK.DE, json: { ttlMs: 'long' } })).status).toBe(400);
    expect((await call('/v1/traces/tX/extend', { token: TOK.DE, json: { ttlMs: 7_200_000, until: 1 } })).status).toBe(400);
    expect((await call('/v1/traces/tX/close', { method: 'POST', token: TOK.DE })).status).toBe(202);
    expect(submitted[0]).toMatchObject({ traceId: 'tX', action: 'CLOSE', requestingJurisdiction: 'DE' });
    book.noteState(fullUpdate({ traceId: 'tX', seq: 2, requestingJurisdiction: 'DE', status: 'CLOSED' }));
    const again = await call('/v1/traces/tX/close', { method: 'POST', token: TOK.DE });
    expect([again.status, ((await again.json()) as { error: { code: string } }).error.code]).toEqual([409, 'conflict']);
    expect((await call('/v1/traces/unknown/close', { method: 'POST', token: TOK.DE })).status).toBe(404);
  });
});

describe('GET /v1/traces/{id}', () => {
  it('returns the caller\'s own newest view, 404 when it has none', async () => {
    const node = makeNode();
    const full = fullUpdate({ seq: 3 });
    book.noteView('GB', node.publish(full, 'GB').signed);
    book.noteView('FR', node.publish(full, 'FR').signed);
    const gb = (await (await call('/v1/traces/t1', { token: TOK.GB })).json()) as { seq: number; audience: string; verified: boolean; update: { hops: { subscriberHandle: string | null }[] } };
    const fr = (await (await call('/v1/traces/t1', { token: TOK.FR })).json()) as typeof gb;
    expect([gb.seq, gb.audience, gb.verified, fr.audience]).toEqual([3, 'GB', true, 'FR']);
    expect(gb.update.hops.map((h) => h.subscriberHandle)).toEqual([null, null]);
    expect(fr.update.hops.map((h) => h.subscriberHandle)).toEqual([null, 'fr-sub-0007']);
    expect((await call('/v1/traces/t1', { token: TOK.DE })).status).toBe(404);
  });
});

async function readUntil(res: Response, pred: (text: string) => boolean): Promise<string> {
  const reader = res.body!.getReader();
  let text = '';
  const dec = new TextDecoder();
  while (!pred(text)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += dec.decode(value);
  }
  reader.releaseLock();
  return text;
}

interface SseEvent { id: string; event: string; data: Record<string, unknown> }
/** The stream's events, parsed (assertions read fields, never substrings of the raw text: a
 *  signature's random base64 can contain any short string). */
function sseEvents(text: string): SseEvent[] {
  return text.split('\n\n').flatMap((block) => {
    const f: Record<string, string> = {};
    for (const line of block.split('\n')) { const i = line.indexOf(': '); if (i > 0) f[line.slice(0, i)] = line.slice(i + 2); }
    return f.data === undefined ? [] : [{ id: f.id ?? '', event: f.event ?? 'message', data: JSON.parse(f.data) as Record<string, unknown> }];
  });
}
/** Every string value anywhere in a parsed JSON value. */
const stringsIn = (v: unknown): string[] => typeof v === 'string' ? [v] : v && typeof v === 'object' ? Object.values(v).flatMap(stringsIn) : [];

describe('quota on trace opens', () => {
  it('answers 429 with Retry-After once a jurisdiction used its burst; others are not affected; it refills', async () => {
    quota = createRequestQuota({ perMinute: 6, burst: 3, now: () => NOW + clock });
    for (let i = 0; i < 3; i++) await open(TOK.GB);
    const res = await call('/v1/traces', { token: TOK.GB, json: body });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('10'); // 6 per minute: one every 10 s
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('too_many_requests');
    expect(submitted).toHaveLength(3);
    await open(TOK.FR);
    clock += 10_000;
    await open(TOK.GB);
  });
});

describe('flooding with changes (security review 4)', () => {
  it('200 extends with the largest ttl queue ONE request: an extension must move the expiry by the minimum step, queued ones count', async () => {
    const id = await open(TOK.GB);
    const ttlMs = DEFAULT_OPEN_LIMITS.maxTtlMs;
    const statuses: number[] = [];
    for (let i = 0; i < 200; i++) {
      clock += 100;
      statuses.push((await call(`/v1/traces/${id}/extend`, { token: TOK.GB, json: { ttlMs } })).status);
    }
    expect(submitted.filter((r) => r.action === 'EXTEND')).toHaveLength(1);
    expect([statuses[0], new Set(statuses.slice(1))]).toEqual([202, new Set([409])]);
    const refused = await call(`/v1/traces/${id}/extend`, { token: TOK.GB, json: { ttlMs } });
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/at least 60000 ms/);
    clock += 60_000; // a minute later the same ttl moves the expiry by the step: queued again
    expect((await call(`/v1/traces/${id}/extend`, { token: TOK.GB, json: { ttlMs } })).status).toBe(202);
    expect(submitted.filter((r) => r.action === 'EXTEND')).toHaveLength(2);
  });

  it('extend, close and the preservation routes take from the jurisdiction\'s quota of changes: 429 with Retry-After; reads and other jurisdictions are not affected', async () => {
    const gb = await open(TOK.GB);
    const fr = await open(TOK.FR);
    changes = createRequestQuota({ perMinute: 6, burst: 4, now: () => NOW + clock });
    const tries = [
      () => call(`/v1/traces/${gb}/extend`, { token: TOK.GB, json: { ttlMs: 7_200_000 } }),
      () => call(`/v1/traces/${gb}/preservation`, { method: 'POST', token: TOK.GB }),
      () => call(`/v1/traces/${gb}/preservation/extend`, { token: TOK.GB, json: { days: 30 } }),
      () => call(`/v1/traces/${gb}/preservation`, { method: 'DELETE', token: TOK.GB }),
      () => call(`/v1/traces/${gb}/close`, { method: 'POST', token: TOK.GB }),
    ];
    const first = [];
    for (const t of tries) first.push((await t()).status);
    expect(first).toEqual([202, 503, 503, 503, 429]); // 503: no history store here, but the quota was taken
    for (const t of tries) {
      const res = await t();
      expect([res.status, res.headers.get('retry-after')]).toEqual([429, '10']);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('too_many_requests');
    }
    expect(submitted.filter((r) => r.traceId === gb).map((r) => r.action)).toEqual(['OPEN', 'EXTEND']);
    expect((await call(`/v1/traces/${gb}/preservation`, { token: TOK.GB })).status).toBe(503); // a read takes no quota
    expect((await call(`/v1/traces/${fr}/close`, { method: 'POST', token: TOK.FR })).status).toBe(202);
    clock += 10_000;
    expect((await call(`/v1/traces/${gb}/close`, { method: 'POST', token: TOK.GB })).status).toBe(202);
  });
});

describe('GET /v1/stream', () => {
  it('streams the caller\'s jurisdiction\'s views only: state first, then live; never another jurisdiction\'s', async () => {
    const node = makeNode();
    const t1 = fullUpdate({ traceId: 'tA', hops: [hop({ traceId: 'tA' }), hop({ traceId: 'tA', hopId: 'h2', parentHopId: 'h1', depth: 2, jurisdiction: 'DE', providerId: 'de-vpn' })] });
    book.noteView('FR', node.publish(t1, 'FR').signed);
    book.noteView('DE', node.publish(t1, 'DE').signed);
    const ac = new AbortController();
    const fr = await fetch(`${base}/v1/stream`, { headers: { authorization: `Bearer ${TOK.FR}` }, signal: ac.signal });
    const de = await fetch(`${base}/v1/stream`, { headers: { authorization: `Bearer ${TOK.DE}` }, signal: ac.signal });
    expect(fr.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const frStart = await readUntil(fr, (t) => t.includes('id: tA:1'));
    expect(frStart).toMatch(/event: update\ndata: \{"traceId":"tA","seq":1,"audience":"FR","verified":true/);
    expect(streams).toMatchObject({ FR: 1, DE: 1 });
    // live: a DE-only update of a new trace, then an FR one
    const t2 = fullUpdate({ traceId: 'tB', seq: 5, hops: [hop({ traceId: 'tB', jurisdiction: 'DE', providerId: 'de-vpn', subscriberHandle: 'de-acct-9' })] });
    book.noteView('DE', node.publish(t2, 'DE').signed);
    book.noteView('FR', node.publish(fullUpdate({ traceId: 'tA', seq: 2 }), 'FR').signed);
    const frLive = await readUntil(fr, (t) => t.includes('id: tA:2'));
    const deAll = await readUntil(de, (t) => t.includes('id: tB:5'));
    const frEvents = sseEvents(frLive).filter((e) => e.event === 'update');
    const deEvents = sseEvents(deAll).filter((e) => e.event === 'update');
    expect(frEvents.map((e) => e.id)).toEqual(['tA:2']); // live part only: tA:1 was read above
    expect(frEvents.map((e) => e.data.traceId)).not.toContain('tB');
    expect(frEvents.flatMap((e) => stringsIn(e.data))).not.toContain('de-acct-9');
    expect(new Set(frEvents.map((e) => e.data.audience))).toEqual(new Set(['FR']));
    expect(deEvents.map((e) => e.id)).toEqual(['tA:1', 'tB:5']);
    expect(new Set(deEvents.map((e) => e.data.audience))).toEqual(new Set(['DE']));
    ac.abort();
    // the server sees the sockets close when it gets to it (a loaded machine: not within a fixed 50 ms)
    for (let i = 0; i < 500 && book.listenerCount('FR') + book.listenerCount('DE') > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(book.listenerCount('FR') + book.listenerCount('DE')).toBe(0);
    expect(streams).toMatchObject({ FR: 0, DE: 0 });
  });

  it('?trace= narrows the stream to one trace', async () => {
    const node = makeNode();
    book.noteView('FR', node.publish(fullUpdate({ traceId: 'a' }), 'FR').signed);
    book.noteView('FR', node.publish(fullUpdate({ traceId: 'b' }), 'FR').signed);
    const ac = new AbortController();
    const res = await fetch(`${base}/v1/stream?trace=b`, { headers: { authorization: `Bearer ${TOK.FR}` }, signal: ac.signal });
    const text = await readUntil(res, (t) => t.includes('id: b:1'));
    expect(sseEvents(text).filter((e) => e.event === 'update').map((e) => e.id)).toEqual(['b:1']);
    ac.abort();
  });
});

describe('revoking a token (admin partner remove)', () => {
  it('ends the open stream of a revoked token before it sends another view; the token is refused from then on; other streams go on', async () => {
    const node = makeNode();
    book.noteView('FR', node.publish(fullUpdate({ traceId: 'tA' }), 'FR').signed);
    book.noteView('DE', node.publish(fullUpdate({ traceId: 'tA' }), 'DE').signed);
    const ac = new AbortController();
    const fr = await fetch(`${base}/v1/stream`, { headers: { authorization: `Bearer ${TOK.FR}` }, signal: ac.signal });
    const de = await fetch(`${base}/v1/stream`, { headers: { authorization: `Bearer ${TOK.DE}` }, signal: ac.signal });
    await readUntil(fr, (t) => t.includes('id: tA:1'));
    await readUntil(de, (t) => t.includes('id: tA:1'));
    revoked.add(TOK.FR);
    book.noteView('FR', node.publish(fullUpdate({ traceId: 'tA', seq: 2, caseReference: 'AFTER-REVOCATION' }), 'FR').signed);
    book.noteView('DE', node.publish(fullUpdate({ traceId: 'tA', seq: 2 }), 'DE').signed);
    const rest = await readUntil(fr, () => false); // to the end of the stream: it must end
    expect(sseEvents(rest).map((e) => e.id)).toEqual([]);
    expect(sseEvents(await readUntil(de, (t) => t.includes('id: tA:2'))).map((e) => e.id)).toEqual(['tA:2']);
    expect((await call('/v1/traces/tA', { token: TOK.FR })).status).toBe(401);
    expect((await call('/v1/traces', { token: TOK.FR, json: body })).status).toBe(401);
    expect(book.listenerCount('FR')).toBe(0);
    ac.abort();
  });
});

describe('stream cap per token', () => {
  it('a token holding its maximum of streams gets 429 with the reason; closing one frees a place; another token is not affected', async () => {
    const ac = [new AbortController(), new AbortController()];
    const held = await Promise.all(ac.map((a) => fetch(`${base}/v1/stream`, { headers: { authorization: `Bearer ${TOK.FR}` }, signal: a.signal })));
    expect(held.map((r) => r.status)).toEqual([200, 200]);
    const third = await call('/v1/stream', { token: TOK.FR });
    expect(third.status).toBe(429);
    expect(((await third.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'too_many_requests', message: expect.stringMatching(/this token already holds 2 open streams.*CROSSTRACE_GATEWAY_MAX_STREAMS_PER_TOKEN=2/) });
    const other = new AbortController();
    expect((await fetch(`${base}/v1/stream`, { headers: { authorization: `Bearer ${TOK.DE}` }, signal: other.signal })).status).toBe(200);
    ac[0]!.abort();
    for (let i = 0; i < 50 && streams.FR !== 1; i++) await new Promise((r) => setTimeout(r, 20));
    const again = new AbortController();
    expect((await fetch(`${base}/v1/stream`, { headers: { authorization: `Bearer ${TOK.FR}` }, signal: again.signal })).status).toBe(200);
    for (const a of [ac[1]!, other, again]) a.abort();
  });
});

describe('text from records is escaped on the wire', () => {
  const nasty = 'tX\n\nid: forged:99\nevent: update\ndata: {"verified":true}\u001b[2J\u202e\u0085';
  it('in the JSON of GET and in the SSE id and data: no control character reaches the socket, and the values parse back intact', async () => {
    const node = makeNode();
    book.noteView('GB', node.publish(fullUpdate({ traceId: 'plain', caseReference: nasty }), 'GB').signed);
    book.noteView('GB', node.publish(fullUpdate({ traceId: nasty }), 'GB').signed);
    const res = await call('/v1/traces/plain', { token: TOK.GB });
    const raw = await res.text();
    expect(raw).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202e]/); // eslint-disable-line no-control-regex
    expect((JSON.parse(raw) as { update: { caseReference: string } }).update.caseReference).toBe(nasty);
    const ac = new AbortController();
    const stream = await fetch(`${base}/v1/stream`, { headers: { authorization: `Bearer ${TOK.GB}` }, signal: ac.signal });
    const text = await readUntil(stream, (t) => t.split('event: update').length > 2);
    ac.abort();
    const events = sseEvents(text).filter((e) => e.event === 'update');
    expect(events).toHaveLength(2); // the forged "id: forged:99" block in the trace id is not an event
    expect(events.map((e) => e.id)).toContain('tX\\n\\nid: forged:99\\nevent: update\\ndata: {\\"verified\\":true}\\u001b[2J\\u202e\\u0085:1');
    expect(events.map((e) => e.data.traceId)).toEqual(expect.arrayContaining([nasty, 'plain']));
    for (const line of text.split('\n')) expect(line).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/); // eslint-disable-line no-control-regex
  });

  it('path and query values are checked by the route schemas: 400 naming the parameter', async () => {
    const bad = await call(`/v1/traces/${encodeURIComponent('a b')}`, { token: TOK.GB });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'invalid_request', fields: [{ field: 'id' }] } });
    const q = await call('/v1/stream?trace=%0Aevil', { token: TOK.GB });
    expect([q.status, ((await q.json()) as { error: { fields: { field: string }[] } }).error.fields[0]!.field]).toEqual([400, 'trace']);
    const id = await open(TOK.GB);
    const bare = await call(`/v1/traces/${id}/preservation`, { method: 'POST', token: TOK.GB }); // no body: days defaults
    expect([bare.status, ((await bare.json()) as { error: { code: string } }).error.code]).toEqual([503, 'unavailable']); // past validation: no history store here
    const body = await call('/v1/traces/x/preservation', { token: TOK.GB, json: { days: 0, until: 3 } });
    expect(((await body.json()) as { error: { fields: { field: string }[] } }).error.fields.map((f) => f.field).sort()).toEqual(['days', 'until']);
  });
});

// A preservation order end to end on the real history store: a session that started three weeks
// before a communication 400 days ago (scoped inside address) and the relay flows of the
// communication are archived; the requesting jurisdiction places an order through the gateway's
// API with `crosstrace preserve open`; a retention run drops the day partition and sweeps the
// sessions; the tracer's archive reader still serves the preserved session (its START three
// weeks back included) and flows, and nothing of what was not pinned; extend never shortens the
// order and renews for at most 90 days at a time; another jurisdiction cannot act on it; released, nothing is served any more.
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowEvent, Hop, SignedTraceUpdate, TraceRequest } from '../schemas/types.gen.ts';
import { flowRow, type SessionIntervalRow, type SessionRecordRow } from '../services/archive/domain/archive-rows.ts';
import { createHistoryWriter } from '../services/archive/history-writer.ts';
import { main as cli } from '../services/cli/main.ts';
import type { Lookup } from '../services/join/join-types.ts';
import { DEFAULT_OPEN_LIMITS } from '../services/partner/domain/open-request.ts';
import { createPreservationStore } from '../services/gateway/preservation-store.ts';
import { buildApi } from '../services/gateway/api-server.ts';
import { createTokenTable } from '../services/gateway/tokens.ts';
import { createTraceBook } from '../services/gateway/trace-book.ts';
import { migrate } from '../services/history/migrate.ts';
import { runRetention, sweepSessions } from '../services/history/retention.ts';
import { createHistorySource } from '../services/tracer/history-lookup.ts';
import { stackEndpoints } from './support/stack.ts';

const DAY = 86_400_000;
const run = `p${Date.now().toString(36)}`;
const T = Math.floor((Date.now() - 400 * DAY) / DAY) * DAY + 12 * 3_600_000; // noon, 400 days ago
const START = T - 21 * DAY;
const [INSIDE, OTHER, RELAY] = ['10.77.0.9', '10.77.0.10', '10.9.0.1'];
const TRACE = `trace-${run}`;
const [GB, FR] = [`gb-token-${run}-0123456789`, `fr-token-${run}-0123456789`];

const sessionRecords = (addr: string): { records: SessionRecordRow[]; intervals: SessionIntervalRow[] } => {
  const key = `${run}|${addr}`;
  const sessionKey = `ACCESS_SESSION|${run}|${addr}`;
  const records = [START, T - 1000, T + 3_600_000].map((at, i) => ({ windowKey: key, uid: `${run}/${addr}/${i}`, at, producedAt: at, value: Buffer.from([1, i]), sessionKey }));
  return {
    records,
    intervals: [{ sessionKey, scope: run, addr: `${addr}/32`, portLo: 0, portHi: 65535, kind: 'ACCESS_SESSION', providerId: run, leadsTo: null, startAt: START, evidenceAt: T - 1000, stopAt: T + 3_600_000 }],
  };
};

const hop = (observedAddr: string, over: Partial<Hop>): Hop => ({
  traceId: TRACE, hopId: `${observedAddr}-hop`, parentHopId: null, depth: 1, jurisdiction: 'GB', providerId: run, method: 'ACCESS_SESSION',
  observedAddr, observedPort: null, leadsToAddr: null, leadsToPort: null, subscriberHandle: null, evidenceEventIds: [], confidence: 1, rank: 1,
  firstSeen: T, lastSeen: T, active: false, windowFrom: T - 5000, windowTo: T + 5000, ...over,
} as Hop);

describe.skipIf(!stackEndpoints().databaseUrl)('a preservation order through the gateway and the CLI (needs DATABASE_URL)', () => {
  let pool: pg.Pool;
  let server: FastifyInstance;
  let gateway: string;
  const out: string[] = [];

  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: stackEndpoints().databaseUrl, max: 3 });
    await migrate(pool);
    const [mine, other] = [sessionRecords(INSIDE), sessionRecords(OTHER)];
    const flows = [RELAY, '10.9.0.2'].flatMap((addr) => [0, 1, 2].map((i) => flowRow(
      { windowKey: `${run}|${addr}`, uid: `${run}/${addr}/f${i}`, at: T + i * 1000, producedAt: T + i * 1000, value: Buffer.from([2, i]) }, 'in',
      { srcAddr: '192.0.2.1', srcPort: 40000 + i, dstAddr: addr, dstPort: 22 } as FlowEvent)));
    await createHistoryWriter(pool).write({ sessions: [...mine.records, ...other.records], intervals: [...mine.intervals, ...other.intervals], flows });

    const book = createTraceBook();
    const open = { traceId: TRACE, action: 'OPEN', requestingJurisdiction: 'GB', expiresAt: Date.now() + DAY } as TraceRequest;
    book.noteRequest(open);
    const hops = [hop(RELAY, { method: 'RELAY_TIMING' }), hop(INSIDE, { depth: 2, firstSeen: START, lastSeen: T + 3_600_000 })];
    book.noteView('GB', { update: { traceId: TRACE, seq: 1, requestingJurisdiction: 'GB', hops, awaiting: [] }, signerKeyId: 'k', signature: Buffer.alloc(0), auditHash: Buffer.alloc(0) } as unknown as SignedTraceUpdate);
    server = await buildApi({
      tokens: createTokenTable([['GB', GB], ['FR', FR]]), book, submit: async () => undefined, now: Date.now, newTraceId: () => 'x',
      limits: DEFAULT_OPEN_LIMITS, maxBodyBytes: 65_536, heartbeatMs: 15_000, maxStreamsPerToken: 4, maxPendingPerStream: 100, preservation: createPreservationStore(pool),
    });
    gateway = await server.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => { await server?.close(); await pool?.end(); });

  interface OrderJson { pinnedNow?: { flows: number; sessions: number }; preserved?: { flows: number; sessions: number }; expiresAt: number; releasedAt: number | null }
  const preserve = async (...args: string[]): Promise<{ code: number; json: OrderJson }> => {
    const write = process.stdout.write.bind(process.stdout);
    const lines: string[] = [];
    process.stdout.write = ((s: string) => { lines.push(String(s)); return true; }) as typeof process.stdout.write;
    try {
      const code = await cli(['preserve', ...args], {});
      out.push(...lines);
      return { code, json: (lines.length ? JSON.parse(lines.join('')) : {}) as OrderJson };
    } finally { process.stdout.write = write; }
  };
  const sessionsOf = async (addr: string) => (await createHistorySource(pool).read(`${run}|${addr}`,
    { mode: 'session', addr, scopeProviderId: run, port: null, windowFrom: T - 5000, windowTo: T + 5000 } as Lookup,
    { from: T - 60_000, coreFrom: T - 5000, coreTo: T + 5000, to: T + 60_000, limit: 100 })).events.map((e) => e.value[1]).sort();
  const flowsOf = async (addr: string) => (await createHistorySource(pool).read(`${run}|${addr}`,
    { mode: 'relay', addr, scopeProviderId: run, port: null, windowFrom: T - 5000, windowTo: T + 5000 } as Lookup,
    { from: T - 60_000, coreFrom: T - 5000, coreTo: T + 5000, to: T + 60_000, limit: 100 })).events.map((e) => e.value[1]).sort();

  it('only the requesting jurisdiction may place the order', async () => {
    expect((await preserve('open', TRACE, '--gateway', gateway, '--token', FR)).code).toBe(1);
    const res = await fetch(`${gateway}/v1/traces/${TRACE}/preservation`, { method: 'POST', headers: { authorization: `Bearer ${FR}` } });
    expect(res.status).toBe(404);
  });

  it('pins the chain\'s session (its START three weeks back too) and flows; they outlive retention', async () => {
    expect(await sessionsOf(INSIDE)).toEqual([0, 1, 2]);
    const { code, json } = await preserve('open', TRACE, '--gateway', gateway, '--token', GB);
    expect(code).toBe(0);
    expect(json.pinnedNow).toEqual({ flows: 3, sessions: 3 });
    expect(json.expiresAt - Date.now()).toBeGreaterThan(89 * DAY);
    const partition = `flow_records_${new Date(T).toISOString().slice(0, 10).replaceAll('-', '')}`;
    expect(await runRetention(pool, { retainDays: 180 })).toContain(partition);
    const swept = await sweepSessions(pool, { retainDays: 180 });
    expect(swept.intervals).toBeGreaterThanOrEqual(2);
    expect(swept.records).toBeGreaterThanOrEqual(6);
    expect((await pool.query('SELECT count(*)::int AS n FROM session_records WHERE window_key LIKE $1', [`${run}|%`])).rows[0].n).toBe(0);
    expect(await sessionsOf(INSIDE)).toEqual([0, 1, 2]);
    expect(await flowsOf(RELAY)).toEqual([0, 1, 2]);
    expect(await sessionsOf(OTHER)).toEqual([]);
    expect(await flowsOf('10.9.0.2')).toEqual([]);
  });

  it('extend never shortens; release ends what is served', async () => {
    const before = (await preserve('show', TRACE, '--gateway', gateway, '--token', GB)).json;
    expect(before.preserved).toEqual({ flows: 3, sessions: 3 });
    expect((await preserve('extend', TRACE, '--days', '30', '--gateway', gateway, '--token', GB)).json.expiresAt).toBe(before.expiresAt);
    expect((await preserve('extend', TRACE, '--days', '200', '--gateway', gateway, '--token', GB)).code).not.toBe(0); // Art. 16(2): at most 90 days at a time
    expect((await preserve('extend', TRACE, '--days', '90', '--gateway', gateway, '--token', GB)).json.expiresAt).toBeGreaterThanOrEqual(before.expiresAt);
    expect((await preserve('release', TRACE, '--gateway', gateway, '--token', GB)).json.releasedAt).not.toBeNull();
    expect(await sessionsOf(INSIDE)).toEqual([]);
    expect(await flowsOf(RELAY)).toEqual([]);
    expect((await preserve('release', TRACE, '--gateway', gateway, '--token', GB)).code).toBe(1); // already released
  });
});

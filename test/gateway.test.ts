// Gateway and partner CLI on the real stack: the tracer (in-process, its own key) publishes
// signed per-jurisdiction views; the gateway serves each jurisdiction only its own, verified,
// over HTTPS with a certificate signed by the stack's CA (a plain-HTTP client and a client that
// does not trust the CA are refused; /metrics and /healthz are on the ops port only); ownership
// rules for extend/close; a stream over the per-token cap gets 429; a forged update on a
// jurisdiction topic is never served and the CLI shows it as REJECTED; `crosstrace watch
// --until-terminal` and `trace open` (via the gateway and directly to Kafka) work end to end.
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SignedTraceUpdate } from '../schemas/types.gen.ts';
import { callGateway } from '../services/partner/gateway-client.ts';
import { createRegistryClient } from '../services/common/registry.ts';
import { jurisdictionTopic } from '../services/common/topics.ts';
import { startGateway } from '../services/gateway/main.ts';
import { startTracer } from '../services/tracer/main.ts';
import { groupAtEndEnv, serviceEnv, uniqueGroup } from './support/services.ts';
import { stackEndpoints, testKafka } from './support/stack.ts';

const exec = promisify(execFile);
const CLI = resolve(import.meta.dirname, '../services/cli/main.ts');
const TOK = { GB: `gb-${Date.now()}-0123456789`, FR: `fr-${Date.now()}-0123456789`, DE: `de-${Date.now()}-0123456789` };
const oct = () => 1 + Math.floor(Math.random() * 250);
// an FR CGN address (deploy/providers.json: fr-telecom), so FR gets a view with the lookup it must act on
const SRC = `198.51.100.${oct()}`;
const openBody = { legalBasis: 'ART33_REALTIME_TRAFFIC', caseReference: `GB-NCA-gw-${Date.now().toString(36)}`, srcAddr: SRC, srcPort: 40000 + oct(), dstAddr: '192.0.2.10', dstPort: 443, protocol: 6, observedTime: new Date().toISOString(), toleranceMs: 2000 };

interface Ev { id: string; data: { traceId: string; seq: number; audience: string; verified: boolean; update: { status: string; expiresAt: number; awaiting: { jurisdiction: string | null }[] } } }

/** A gateway certificate signed by the stack's CA (a fresh development CA when the stack has none). */
function gatewayCertificate(dir: string, securityDir: string | undefined): { cert: string; key: string; ca: string } {
  const root = resolve(import.meta.dirname, '..');
  if (securityDir && existsSync(join(securityDir, 'ca.key'))) for (const f of ['ca.pem', 'ca.key']) copyFileSync(join(securityDir, f), join(dir, f));
  else execFileSync(join(root, 'deploy/security/dev-pki.sh'), [dir], { stdio: 'ignore' });
  execFileSync(join(root, 'deploy/security/server-cert.sh'), [dir, 'gateway'], { stdio: 'ignore' });
  return { cert: join(dir, 'gateway.pem'), key: join(dir, 'gateway.key'), ca: join(dir, 'ca.pem') };
}

/** Collects the server-sent events of one jurisdiction's stream, over HTTPS trusting `ca`. */
function openStream(base: string, token: string, ca: Buffer) {
  const events: Ev[] = [];
  let raw = '';
  let status = 0;
  let body = '';
  const req = httpsRequest(`${base}/v1/stream`, { headers: { authorization: `Bearer ${token}` }, ca }, (res) => {
    status = res.statusCode ?? 0;
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      if (status !== 200) { body += chunk; return; }
      raw += chunk;
      let cut: number;
      while ((cut = raw.indexOf('\n\n')) >= 0) {
        const block = raw.slice(0, cut);
        raw = raw.slice(cut + 2);
        const id = /^id: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (id && data) events.push({ id, data: JSON.parse(data) as Ev['data'] });
      }
    });
    res.on('error', () => {});
  });
  req.on('error', () => {});
  req.end();
  return { events, status: () => status, body: () => body, close: async () => { req.destroy(); } };
}

const waitFor = async <T>(what: string, fn: () => T | undefined | false, ms = 60_000): Promise<T> => {
  const until = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe('gateway and partner CLI on the real stack', () => {
  const stops: (() => Promise<void>)[] = [];
  const streams: { close(): Promise<void> }[] = [];
  let base = '';
  let ca = Buffer.alloc(0);
  let caFile = '';
  let opsPort = 0;
  let trustFile = '';
  let cliEnv: Record<string, string> = {};
  let traceId = '';
  let gb: ReturnType<typeof openStream>;
  let fr: ReturnType<typeof openStream>;

  beforeAll(async () => {
    const stack = stackEndpoints();
    const dir = mkdtempSync(join(tmpdir(), 'ct-gw-'));
    const keyFile = join(dir, 'node.pem');
    const tracer = await startTracer(serviceEnv(stack, {
      CROSSTRACE_TRACER_HTTP_PORT: '0', ...await groupAtEndEnv(stack, 'TRACER', uniqueGroup('gw-tracer')),
      CROSSTRACE_TRACER_SIGNING_KEY_FILE: keyFile, CROSSTRACE_TRACER_TICK_MS: '200', CROSSTRACE_TRACER_TRANSACTIONAL_ID: uniqueGroup('gw-tracer-tx'),
    }));
    stops.push(tracer.stop);
    // the node keys partners trust: this test's tracer, plus a local stack's own tracer if one runs
    // beside the tests (it shares the chain state in Redis, so it may be the one that publishes)
    const stackKey = resolve(import.meta.dirname, '../.stack/keys/node-ed25519.pem.pub');
    trustFile = join(dir, 'trusted.pub');
    writeFileSync(trustFile, [readFileSync(`${keyFile}.pub`, 'utf8'), ...(stack.mode === 'local' && existsSync(stackKey) ? [readFileSync(stackKey, 'utf8')] : [])].join(''));
    const tls = gatewayCertificate(mkdtempSync(join(tmpdir(), 'ct-gw-pki-')), stack.kafkaSecurityDir);
    ca = readFileSync(tls.ca);
    caFile = tls.ca;
    const gateway = await startGateway(serviceEnv(stack, {
      CROSSTRACE_GATEWAY_HTTP_PORT: '0', CROSSTRACE_GATEWAY_API_PORT: '0', CROSSTRACE_GATEWAY_HOST: '127.0.0.1', CROSSTRACE_GATEWAY_TOKENS: Object.entries(TOK).map(([cc, t]) => `${cc}:${t}`).join(','),
      CROSSTRACE_GATEWAY_TLS_CERT_FILE: tls.cert, CROSSTRACE_GATEWAY_TLS_KEY_FILE: tls.key, CROSSTRACE_GATEWAY_MAX_STREAMS_PER_TOKEN: '1',
      CROSSTRACE_GATEWAY_TRUSTED_KEYS_FILE: trustFile, CROSSTRACE_GATEWAY_AUDIT_GRACE_MS: '3000',
    }));
    stops.push(gateway.stop);
    base = gateway.url();
    opsPort = gateway.opsPort();
    expect(base).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    await waitFor('the gateway to read the topics', () => gateway.caughtUp(), 120_000);
    cliEnv = { PATH: process.env.PATH ?? '', KAFKA_BROKERS: stack.kafkaBrokers.join(','), KAFKA_CLIENT_PROPERTIES: stack.kafkaClientProperties ?? '', SCHEMA_REGISTRY_URL: stack.schemaRegistryUrl, KAFKAJS_NO_PARTITIONER_WARNING: '1', CI: 'true' };
    gb = openStream(base, TOK.GB, ca);
    fr = openStream(base, TOK.FR, ca);
    streams.push(gb, fr);
  }, 240_000);

  afterAll(async () => {
    for (const s of streams) await s.close();
    for (const s of stops.reverse()) await s();
  });

  /** One API call over HTTPS trusting the CA (the CLI's client); `.json()` as fetch has it. */
  const call = async (path: string, token: string, json?: unknown) => {
    const r = await callGateway({ base: new URL(`${base}/`), token, ca }, json === undefined && !path.endsWith('/close') ? 'GET' : 'POST', path, json);
    return { status: r.status, json: async () => r.json };
  };

  it('serves the API over TLS only: a client trusting the CA gets /openapi.json with the preservation routes; plain HTTP and an untrusting client are refused; /metrics and /healthz are on the ops port', async () => {
    const doc = (await (await call('/openapi.json', TOK.GB)).json()) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/traces', '/v1/stream', '/v1/traces/{id}/preservation', '/v1/traces/{id}/preservation/extend']));
    expect(Object.keys(doc.paths['/v1/traces/{id}/preservation']!).sort()).toEqual(['delete', 'get', 'post']);
    const plain = await fetch(base.replace('https:', 'http:') + '/openapi.json').then((r) => `answered ${r.status}`, (e: Error) => `refused: ${e.message}`);
    expect(plain).toMatch(/^refused/);
    const untrusting = await fetch(`${base}/openapi.json`).then((r) => `answered ${r.status}`, (e: Error) => `refused: ${String((e.cause as Error | undefined)?.message ?? e.message)}`);
    expect(untrusting).toMatch(/^refused: .*(certificate|self.signed|issuer)/i);
    expect((await fetch(`http://127.0.0.1:${opsPort}/healthz`)).status).toBe(200);
    expect(await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text()).toMatch(/crosstrace_gateway_streams/);
    expect((await call('/metrics', TOK.GB)).status).toBe(404);
  });

  it('a second stream of one token over the cap (1 here) gets 429 with the reason; other tokens are not affected', async () => {
    const extra = openStream(base, TOK.GB, ca);
    await waitFor('the refused stream\'s answer', () => extra.status() !== 0 && extra.body().length > 0, 10_000);
    expect(extra.status()).toBe(429);
    expect(JSON.parse(extra.body())).toMatchObject({ error: { code: 'too_many_requests', message: expect.stringMatching(/already holds 1 open streams/) } });
    await extra.close();
    expect([gb.status(), fr.status()]).toEqual([200, 200]);
  });

  it('opens a trace for the token\'s jurisdiction; each party sees its own verified view, a stranger nothing', async () => {
    const res = await call('/v1/traces', TOK.GB, openBody);
    expect(res.status).toBe(202);
    traceId = ((await res.json()) as { traceId: string }).traceId;
    const gbEv = await waitFor('GB view on the stream', () => gb.events.find((e) => e.data.traceId === traceId));
    expect(gbEv).toMatchObject({ id: `${traceId}:${gbEv.data.seq}`, data: { audience: 'GB', verified: true } });
    const frEv = await waitFor('FR view on the stream', () => fr.events.find((e) => e.data.traceId === traceId));
    expect(frEv.data.audience).toBe('FR');
    expect(frEv.data.update.awaiting.every((a) => a.jurisdiction === 'FR')).toBe(true);
    expect(((await (await call(`/v1/traces/${traceId}`, TOK.GB)).json()) as Ev['data']).audience).toBe('GB');
    expect(((await (await call(`/v1/traces/${traceId}`, TOK.FR)).json()) as Ev['data']).audience).toBe('FR');
    expect((await call(`/v1/traces/${traceId}`, TOK.DE)).status).toBe(404);
    expect(fr.events.some((e) => e.data.audience !== 'FR')).toBe(false);
    expect(gb.events.some((e) => e.data.audience !== 'GB')).toBe(false);
  });

  it('only the requesting jurisdiction extends and closes', async () => {
    expect((await call(`/v1/traces/${traceId}/close`, TOK.FR)).status).toBe(403);
    expect((await call(`/v1/traces/${traceId}/close`, TOK.DE)).status).toBe(404);
    const before = gb.events.filter((e) => e.data.traceId === traceId).at(-1)!.data.update.expiresAt;
    expect((await call(`/v1/traces/${traceId}/extend`, TOK.GB, { ttlMs: 7_200_000 })).status).toBe(202);
    await waitFor('the extension', () => gb.events.some((e) => e.data.traceId === traceId && e.data.update.expiresAt > before));
    expect((await call(`/v1/traces/${traceId}/close`, TOK.GB)).status).toBe(202);
    await waitFor('CLOSED on the GB stream', () => gb.events.some((e) => e.data.traceId === traceId && e.data.update.status === 'CLOSED'));
  });

  it('never serves a forged update; the CLI shows it REJECTED and exits 0 once the trace is terminal', async () => {
    const stack = stackEndpoints();
    const registry = createRegistryClient({ url: stack.schemaRegistryUrl });
    const topic = jurisdictionTopic('GB');
    await registry.ensureSubjects([topic, 'trace.updates']);
    const latest = (await (await call(`/v1/traces/${traceId}`, TOK.GB)).json()) as { seq: number; signerKeyId: string; signature: string; auditHash: string; update: SignedTraceUpdate['update'] };
    expect(latest.update.status).toBe('CLOSED');
    const update = { ...latest.update, seq: latest.seq + 50, status: 'EXTENDED' as const, caseReference: 'FORGED' };
    const forged: SignedTraceUpdate = {
      update, signerKeyId: latest.signerKeyId, signedBytes: registry.encode('trace.updates', update),
      signature: Buffer.from(latest.signature, 'base64'), auditHash: Buffer.from(latest.auditHash, 'hex'),
    };
    const producer = testKafka('gw-forger').producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ key: traceId, value: registry.encode(topic, forged) }] });
    await producer.disconnect();
    await new Promise((r) => setTimeout(r, 3000));
    expect(((await (await call(`/v1/traces/${traceId}`, TOK.GB)).json()) as { seq: number }).seq).toBe(latest.seq);
    expect(gb.events.some((e) => e.data.seq === forged.update.seq)).toBe(false);

    const { stdout, stderr } = await exec(process.execPath, [CLI, 'watch', '--jurisdiction', 'GB', '--trust', trustFile, '--trace', traceId, '--until-terminal', '--timeout', '90'], { env: cliEnv, maxBuffer: 64 << 20, timeout: 120_000 });
    const mine = stdout.split('\n').filter((l) => l.includes(`trace=${traceId} `));
    expect(mine).toContainEqual(expect.stringMatching(new RegExp(`GB REJECTED trace=${traceId} seq=${forged.update.seq} code=bad-signature`)));
    expect(mine).toContainEqual(expect.stringMatching(new RegExp(`GB VERIFIED trace=${traceId} seq=${latest.seq} status=CLOSED case=${JSON.stringify(openBody.caseReference)}`)));
    expect(mine.some((l) => l.includes('VERIFIED') && l.includes('FORGED'))).toBe(false);
    expect(stderr).toMatch(/every watched trace is terminal/);
  }, 150_000);

  it('crosstrace trace open works through the gateway and directly to Kafka', async () => {
    const args = ['--src', `${SRC}:${openBody.srcPort + 1}`, '--dst', '192.0.2.10:443', '--proto', '6', '--observed', String(Date.now()), '--legal-basis', 'EMERGENCY', '--case', 'cli-case'];
    const noCa = await exec(process.execPath, [CLI, 'trace', 'open', ...args, '--gateway', base, '--token', TOK.FR], { env: cliEnv }).catch((e: { code: number; stderr: string }) => e);
    expect(noCa).toMatchObject({ code: 1, stderr: expect.stringMatching(/pass the CA that signed its certificate: --gateway-ca FILE/) });
    const viaGw = await exec(process.execPath, [CLI, 'trace', 'open', ...args, '--gateway', base, '--gateway-ca', caFile, '--token', TOK.FR], { env: cliEnv });
    const gwId = viaGw.stdout.trim();
    const direct = await exec(process.execPath, [CLI, 'trace', 'open', '--jurisdiction', 'GB', ...args, '--trace-id', `cli-${Date.now().toString(36)}`], { env: cliEnv });
    const directId = direct.stdout.trim();
    await waitFor('FR view of the trace FR opened via the gateway', () => fr.events.find((e) => e.data.traceId === gwId));
    await waitFor('GB view of the trace opened directly', () => gb.events.find((e) => e.data.traceId === directId));
    const bad = await exec(process.execPath, [CLI, 'trace', 'open', ...args.slice(0, 8), '--legal-basis', 'ART99', '--case', 'x', '--jurisdiction', 'GB'], { env: cliEnv }).catch((e: { code: number; stderr: string }) => e);
    expect(bad).toMatchObject({ code: 1, stderr: expect.stringMatching(/--legal-basis: legalBasis is required, one of/) });
    for (const [id, tok] of [[gwId, TOK.FR], [directId, TOK.GB]] as const) expect((await call(`/v1/traces/${id}/close`, tok)).status).toBe(202);
  }, 120_000);
});

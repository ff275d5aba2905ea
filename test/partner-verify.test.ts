// A partner verifies what the node publishes for it, with its own credentials, from its own two
// topics (trace.updates.FR and its audit feed audit.disclosures.FR), on the real broker:
//   - a partner written in Python with Debian's packages and no project code
//     (clients/python/verify_feed.py: librdkafka over the mutual-TLS listener, Avro through the
//     registry, Ed25519 from `cryptography`, the node's PEM trust file) verifies every update
//     and audit record of a trace, and fails a tampered one;
//   - a forged, a replayed (old seq) and a re-signed-with-an-unknown-key update are REJECTED by
//     `crosstrace watch`, which logs in with the partner's SCRAM credentials.
// The tracer alone publishes here: a trace FR opens itself is disclosed to FR in full.
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { SignedTraceUpdate, TraceRequest, TraceUpdate } from '../schemas/types.gen.ts';
import { adminCommand } from '../services/cli/admin/admin-command.ts';
import { createRegistryClient, type RegistryClient } from '../services/common/registry.ts';
import { TOPICS, jurisdictionTopic } from '../services/common/topics.ts';
import { followUpRequest, openRequest } from '../services/partner/domain/open-request.ts';
import { keyIdOf, sign } from '../services/partner/domain/signing.ts';
import { startTracer } from '../services/tracer/main.ts';
import { groupAtEndEnv, serviceEnv, uniqueGroup, waitHealthy } from './support/services.ts';
import { stackEndpoints, testKafka } from './support/stack.ts';

const exec = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '..');
const CLI = join(ROOT, 'services/cli/main.ts');
const PYTHON_PARTNER = join(ROOT, 'clients/python/verify_feed.py');
const stack = stackEndpoints();
const secured = stack.kafkaClientProperties !== undefined && (stack.kafkaMtlsBrokers?.length ?? 0) > 0;
// forged records stay on a topic: written only into a broker that lives for this run
const throwaway = stack.mode !== 'local';
const dir = mkdtempSync(join(tmpdir(), 'ct-partner-'));
const keyFile = join(dir, 'node-ed25519.pem');
const partners = join(dir, 'partners');
const TOPIC = jurisdictionTopic('FR');
const traceId = `partner-${Date.now().toString(36)}`;

interface PyVerdict { offset: number; ok: boolean; code?: string; traceId?: string; seq?: number; status?: string; signerKeyId: string }
interface PyOut { caughtUp: boolean; updates: PyVerdict[]; audit: { records: number; verified: number; unverified: unknown[]; flags: string[] } }

async function pythonPartner(): Promise<PyOut> {
  const args = [PYTHON_PARTNER, '--properties', join(partners, 'FR-tls.properties'), '--registry', stack.schemaRegistryUrl, '--trust', `${keyFile}.pub`, '--jurisdiction', 'FR', '--timeout', '90'];
  const r = await exec('/usr/bin/python3', args, { maxBuffer: 64 << 20, timeout: 150_000 }).catch((e: { stdout?: string; stderr?: string; code?: number }) => {
    if (!e.stdout) throw new Error(`python partner failed (exit ${e.code}): ${e.stderr}`);
    return { stdout: e.stdout, stderr: e.stderr ?? '' };
  });
  return JSON.parse(r.stdout) as PyOut;
}

/** Resolves once `ok()` holds (vitest retries it every 200 ms), or fails naming `what`. */
const wait = (what: string, ok: () => boolean, timeout: number): Promise<void> =>
  vi.waitFor(() => { if (!ok()) throw new Error(`timed out waiting for ${what}`); }, { timeout, interval: 200 });

describe.skipIf(!secured || !existsSync('/usr/bin/python3'))('a partner verifies its own feed (Python partner, CLI)', () => {
  const stops: (() => Promise<void>)[] = [];
  const mine: { offset: string; value: Buffer; signed: SignedTraceUpdate }[] = [];
  let registry: RegistryClient;

  // each start a new group, from the end of the tracer's topics as they are then
  const tracerEnv = async () => serviceEnv(stack, {
    CROSSTRACE_DEMO: '0', CROSSTRACE_TRACER_HTTP_PORT: '0', ...await groupAtEndEnv(stack, 'TRACER', uniqueGroup('partner-tracer')),
    CROSSTRACE_TRACER_SIGNING_KEY_FILE: keyFile, CROSSTRACE_TRACER_TICK_MS: '200', CROSSTRACE_TRACER_STALL_AFTER_MS: '1500',
    CROSSTRACE_TRACER_TRANSACTIONAL_ID: uniqueGroup('partner-tracer-tx'),
  });
  let stopTracer = async (): Promise<void> => undefined;
  let send = async (_r: TraceRequest): Promise<unknown> => undefined;
  const seen = new Map<string, { offset: string; value: Buffer; signed: SignedTraceUpdate }[]>(); // trace id -> its messages on trace.updates.FR
  const of = (id: string) => seen.get(id) ?? [];

  async function startNodeTracer(): Promise<void> {
    const tracer = await startTracer(await tracerEnv());
    stopTracer = tracer.stop;
    await waitHealthy(tracer.port());
    healthOf = async () => (await fetch(`http://127.0.0.1:${tracer.port()}/healthz`)).text();
  }
  let healthOf = async (): Promise<string> => '';
  /** FR opens a trace of its own (disclosed to FR in full), lets it stall, closes it. */
  async function runTrace(id: string): Promise<void> {
    const now = Date.now();
    const open = openRequest({ legalBasis: 'ART29_PRESERVATION', caseReference: `FR-${id}`, srcAddr: '203.0.113.77', srcPort: 40000, dstAddr: '198.51.100.99', dstPort: 443, protocol: 6, observedTime: now - 5_000, toleranceMs: 2_000, ttlMs: 600_000 }, id, 'FR', now);
    seen.set(id, []);
    await send(open); // the tracer's group starts where the topic ended before it started (groupAtEndEnv)
    await wait(`a stalled update of ${id} on trace.updates.FR`, () => of(id).some((m) => m.signed.update.status === 'STALLED'), 90_000);
    await send(followUpRequest(open, 'CLOSE', Date.now()));
    await wait(`the CLOSED update of ${id}`, () => of(id).some((m) => m.signed.update.status === 'CLOSED'), 60_000);
  }

  beforeAll(async () => {
    const adminEnv = { KAFKA_BROKERS: stack.kafkaBrokers.join(','), KAFKA_CLIENT_PROPERTIES: stack.kafkaClientProperties ?? '', KAFKA_MTLS_BROKERS: stack.kafkaMtlsBrokers?.join(',') ?? '' };
    await adminCommand(['key', 'create', '--key-file', keyFile], {});
    await adminCommand(['partner', 'add', 'FR', '--out', partners, '--tokens-file', join(dir, 'gateway-tokens')], adminEnv);
    await startNodeTracer();
    stops.push(() => stopTracer());
    registry = createRegistryClient({ url: stack.schemaRegistryUrl });
    await registry.ensureSubjects([TOPICS.traceRequests, TOPICS.traceUpdates, TOPIC]);
    const kafka = testKafka('partner-verify');
    const consumer = kafka.consumer({ groupId: uniqueGroup('partner-verify-reader'), maxWaitTimeInMs: 50 });
    await consumer.connect();
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const list = message.value && seen.get(message.key?.toString() ?? '');
        if (list) list.push({ offset: message.offset, value: message.value!, signed: await registry.decode<SignedTraceUpdate>(TOPIC, message.value) });
      },
    });
    stops.push(() => consumer.disconnect());
    const producer = kafka.producer();
    await producer.connect();
    stops.push(() => producer.disconnect());
    send = (r: TraceRequest) => producer.send({ topic: TOPICS.traceRequests, messages: [{ key: r.traceId, value: registry.encode(TOPICS.traceRequests, r) }] });
    await runTrace(traceId);
    mine.push(...of(traceId));
  }, 300_000);
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  });

  it('the Python partner verifies every update of the trace and its audit records, with its own certificate', async () => {
    const out = await pythonPartner();
    expect(out.caughtUp).toBe(true);
    const ours = out.updates.filter((v) => v.traceId === traceId);
    expect(ours.map((v) => v.seq)).toEqual(mine.map((m) => m.signed.update.seq));
    expect(ours.length).toBeGreaterThanOrEqual(2);
    expect(ours.every((v) => v.ok), JSON.stringify(ours)).toBe(true);
    expect(ours.at(-1)!.status).toBe('CLOSED');
    expect(out.audit.verified).toBeGreaterThanOrEqual(ours.length);
    expect(out.audit.flags).toEqual([]);
  }, 200_000);

  it.skipIf(!throwaway)('forged, replayed and unknown-key updates: the Python partner fails them, the CLI shows them REJECTED', async () => {
    const last = mine.at(-1)!.signed;
    const first = mine[0]!;
    const forgedView: TraceUpdate = { ...last.update, seq: last.update.seq + 10, status: 'EXTENDED', caseReference: 'FORGED' };
    const forged: SignedTraceUpdate = { ...last, update: forgedView, signedBytes: registry.encode(TOPICS.traceUpdates, forgedView) };
    const stranger = generateKeyPairSync('ed25519');
    const strangeView: TraceUpdate = { ...last.update, seq: last.update.seq + 20, status: 'EXTENDED', caseReference: 'STRANGER' };
    const strangeBytes = registry.encode(TOPICS.traceUpdates, strangeView);
    const resigned: SignedTraceUpdate = { ...last, update: strangeView, signedBytes: strangeBytes, signerKeyId: keyIdOf(stranger.publicKey), signature: sign(strangeBytes, stranger.privateKey) };
    const producer = testKafka('partner-forger').producer();
    await producer.connect();
    const [sent] = await producer.send({ topic: TOPIC, messages: [
      { key: traceId, value: registry.encode(TOPIC, forged) },
      { key: traceId, value: first.value }, // seq 1 again, byte for byte, after the trace was closed
      { key: traceId, value: registry.encode(TOPIC, resigned) },
    ] });
    await producer.disconnect();
    const base = Number(sent!.baseOffset);

    const py = (await pythonPartner()).updates.filter((v) => v.offset >= base && v.offset < base + 3);
    expect(py.map((v) => v.code)).toEqual(['bad-signature', 'replayed', 'unknown-key']);

    const cliEnv = { PATH: process.env.PATH ?? '', KAFKA_CLIENT_PROPERTIES: join(partners, 'FR.properties'), SCHEMA_REGISTRY_URL: stack.schemaRegistryUrl, KAFKAJS_NO_PARTITIONER_WARNING: '1', CI: 'true' };
    const { stdout } = await exec(process.execPath, [CLI, 'watch', '--jurisdiction', 'FR', '--trust', `${keyFile}.pub`, '--trace', traceId, '--from-beginning', '--timeout', '25', '--plain', '--audit-grace-ms', '3000'],
      { env: cliEnv, maxBuffer: 64 << 20, timeout: 120_000 });
    const lines = stdout.split('\n').filter((l) => l.includes(`trace=${traceId} `));
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`FR VERIFIED trace=${traceId} seq=${last.update.seq} status=CLOSED`)));
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`FR REJECTED trace=${traceId} seq=${forgedView.seq} code=bad-signature`)));
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`FR REJECTED trace=${traceId} seq=1 code=replayed`)));
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`FR REJECTED trace=${traceId} seq=${strangeView.seq} code=unknown-key`)));
    expect(lines.some((l) => l.includes('VERIFIED') && /FORGED|STRANGER/.test(l))).toBe(false);
  }, 250_000);

  it('after a key rotation, what the old key signed still verifies and the new trace is signed by the new key (Python partner and CLI)', async () => {
    const oldKeyId = mine[0]!.signed.signerKeyId;
    await stopTracer();
    await adminCommand(['key', 'rotate', '--key-file', keyFile], {});
    await startNodeTracer();
    const after = `${traceId}-rotated`;
    await runTrace(after).catch(async (e: unknown) => { throw new Error(`${(e as Error).message}; tracer /healthz: ${await healthOf()}`); });
    const newKeyId = of(after)[0]!.signed.signerKeyId;
    expect(newKeyId).not.toBe(oldKeyId);

    const py = await pythonPartner();
    const byTrace = (id: string) => py.updates.filter((v) => v.traceId === id);
    expect(byTrace(traceId).filter((v) => v.ok).map((v) => [v.seq, v.signerKeyId])).toEqual(mine.map((m) => [m.signed.update.seq, oldKeyId]));
    expect(byTrace(after).map((v) => [v.ok, v.signerKeyId])).toEqual(of(after).map(() => [true, newKeyId]));
    expect(py.audit.flags).toEqual([]);

    const cliEnv = { PATH: process.env.PATH ?? '', KAFKA_CLIENT_PROPERTIES: join(partners, 'FR.properties'), SCHEMA_REGISTRY_URL: stack.schemaRegistryUrl, KAFKAJS_NO_PARTITIONER_WARNING: '1', CI: 'true' };
    const { stdout } = await exec(process.execPath, [CLI, 'watch', '--jurisdiction', 'FR', '--trust', `${keyFile}.pub`, '--trace', traceId, '--trace', after, '--from-beginning', '--until-terminal', '--timeout', '60', '--plain'],
      { env: cliEnv, maxBuffer: 64 << 20, timeout: 120_000 });
    expect(stdout).toMatch(new RegExp(`FR VERIFIED trace=${traceId} seq=${mine.at(-1)!.signed.update.seq} status=CLOSED`));
    expect(stdout).toMatch(new RegExp(`FR VERIFIED trace=${after} seq=${of(after).at(-1)!.signed.update.seq} status=CLOSED`));
    expect(stdout).not.toMatch(new RegExp(`REJECTED trace=${after} `));
  }, 300_000);
});

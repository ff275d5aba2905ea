// The evidence export on the real stack: a preservation order holds a session and flows from
// 400 days ago; the trace's signed updates are on trace.updates.GB (with another trace's in
// between); `crosstrace evidence export` writes them with a manifest signed by the node key;
// `crosstrace evidence verify` accepts the export as written, and rejects it after one changed
// byte in a preserved record, in an update, or with another node's key.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowEvent } from '../schemas/types.gen.ts';
import { flowRow } from '../services/archive/domain/archive-rows.ts';
import { createHistoryWriter } from '../services/archive/history-writer.ts';
import { main as cli } from '../services/cli/main.ts';
import { jurisdictionTopic } from '../services/common/topics.ts';
import { keyTarget } from '../services/history/domain/preserved-window.ts';
import { migrate } from '../services/history/migrate.ts';
import { preserve } from '../services/history/preservation.ts';
import { rawOfPublicKey } from '../services/partner/domain/signing.ts';
import { ensureJurisdictionTopics, stackEndpoints, testKafka } from './support/stack.ts';

const DAY = 86_400_000;
const run = `e${Date.now().toString(36)}`;
const T = Math.floor((Date.now() - 400 * DAY) / DAY) * DAY + 12 * 3_600_000;
const TRACE = `trace-${run}`;
const dir = mkdtempSync(join(tmpdir(), 'ct-evidence-'));
const keyFile = join(dir, 'node-ed25519.pem');
const out = join(dir, 'export');

const quiet = async (argv: string[], env: Record<string, string | undefined>): Promise<{ code: number; stdout: string; stderr: string }> => {
  const [o, e] = [process.stdout.write.bind(process.stdout), process.stderr.write.bind(process.stderr)];
  let stdout = ''; let stderr = '';
  process.stdout.write = ((s: string) => { stdout += s; return true; }) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => { stderr += s; return true; }) as typeof process.stderr.write;
  try { return { code: await cli(argv, env), stdout, stderr }; } finally { process.stdout.write = o; process.stderr.write = e; }
};

describe.skipIf(!stackEndpoints().databaseUrl)('evidence export and verification (needs DATABASE_URL)', () => {
  let pool: pg.Pool;
  const env = () => ({
    DATABASE_URL: stackEndpoints().databaseUrl, KAFKA_BROKERS: stackEndpoints().kafkaBrokers.join(','), SCHEMA_REGISTRY_URL: stackEndpoints().schemaRegistryUrl,
    KAFKA_CLIENT_PROPERTIES: stackEndpoints().kafkaClientProperties ?? '',
  });

  beforeAll(async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    writeFileSync(keyFile, privateKey.export({ format: 'pem', type: 'pkcs8' }));
    writeFileSync(`${keyFile}.pub`, `${rawOfPublicKey(publicKey).toString('base64')}\n`);
    pool = new pg.Pool({ connectionString: stackEndpoints().databaseUrl, max: 2 });
    await migrate(pool);
    const key = `${run}|10.9.0.1`;
    const flows = [0, 1, 2].map((i) => flowRow({ windowKey: key, uid: `${run}/f${i}`, at: T + i * 1000, producedAt: T + i * 1000, value: Buffer.from([2, i]) }, 'in',
      { srcAddr: '192.0.2.1', srcPort: 40000 + i, dstAddr: '10.9.0.1', dstPort: 22 } as FlowEvent));
    const sessionKey = `ACCESS_SESSION|${run}`;
    await createHistoryWriter(pool).write({
      sessions: [{ windowKey: key, uid: `${run}/s0`, at: T - DAY, producedAt: T - DAY, value: Buffer.from([1, 0]), sessionKey }],
      intervals: [{ sessionKey, scope: run, addr: '10.9.0.1/32', portLo: 0, portHi: 65535, kind: 'ACCESS_SESSION', providerId: run, leadsTo: null, startAt: T - DAY, evidenceAt: T - DAY, stopAt: null }],
      flows,
    });
    expect(await preserve(pool, { orderId: TRACE, traceId: TRACE, windows: [{ windowKey: key, from: T - 5000, to: T + 5000, ...keyTarget(key) }] })).toEqual({ flows: 3, sessions: 1 });
    const kafka = testKafka('evidence-test');
    await ensureJurisdictionTopics(kafka, [jurisdictionTopic('GB')]);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: jurisdictionTopic('GB'), messages: [
      { key: TRACE, value: Buffer.from('signed update 1') }, { key: `other-${run}`, value: Buffer.from('another trace') }, { key: TRACE, value: Buffer.from('signed update 2') },
    ] });
    await producer.disconnect();
  });
  afterAll(async () => { await pool?.end(); });

  it('exports the preserved records and the trace\'s updates, signed; verifies as written', async () => {
    const ex = await quiet(['evidence', 'export', TRACE, '--out', out, '--key', keyFile], env());
    expect(ex.code, ex.stderr).toBe(0);
    expect(JSON.parse(ex.stdout)).toMatchObject({ traceId: TRACE, updates: 2 });
    expect(readFileSync(join(out, 'records/flows.jsonl'), 'utf8').trim().split('\n')).toHaveLength(3);
    expect(readFileSync(join(out, 'records/sessions.jsonl'), 'utf8').trim().split('\n')).toHaveLength(1);
    const updates = readFileSync(join(out, 'updates.jsonl'), 'utf8').trim().split('\n').map((l) => Buffer.from(JSON.parse(l).value, 'base64').toString());
    expect(updates).toEqual(['signed update 1', 'signed update 2']);
    expect((await quiet(['evidence', 'verify', out, '--trust', `${keyFile}.pub`], {})).code).toBe(0);
  });

  it('one changed byte anywhere fails verification', async () => {
    for (const file of ['records/flows.jsonl', 'updates.jsonl', 'manifest.json']) {
      const path = join(out, file);
      const good = readFileSync(path);
      const bad = Buffer.from(good);
      bad.writeUInt8(bad.readUInt8(10) ^ 0x01, 10);
      writeFileSync(path, bad);
      const v = await quiet(['evidence', 'verify', out, '--trust', `${keyFile}.pub`], {});
      writeFileSync(path, good);
      expect(v.code, file).toBe(1);
      expect(v.stderr, file).toMatch(/SHA-256 differs|does not verify|not JSON|not a crosstrace/);
    }
    expect((await quiet(['evidence', 'verify', out, '--trust', `${keyFile}.pub`], {})).code).toBe(0);
  });

  it('another node\'s key does not verify it', async () => {
    const other = join(dir, 'other.pub');
    writeFileSync(other, `${rawOfPublicKey(generateKeyPairSync('ed25519').publicKey).toString('base64')}\n`);
    const v = await quiet(['evidence', 'verify', out, '--trust', other], {});
    expect(v.code).toBe(1);
    expect(v.stderr).toMatch(/is not trusted/);
  });
});

// crosstrace evidence export TRACE --out DIR    (on the node: DATABASE_URL, Kafka, the node key)
// crosstrace evidence verify DIR [--trust FILE]
// An export holds what a preservation order on TRACE preserved (records/sessions.jsonl,
// records/flows.jsonl: each record as archived, its Avro value base64), the order (order.json),
// the trace's signed updates as published on trace.updates.<CC> (updates.jsonl: each message's
// value base64, as signed), and manifest.json (SHA-256 of every file) with manifest.sig, the
// node's Ed25519 signature over the manifest bytes. verify exits 0 only when everything matches.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { loadOrCreateSigningKey } from '../partner/domain/signing.ts';
import { MANIFEST, SIGNATURE, signManifest, verifyManifest } from './domain/evidence-manifest.ts';
import { cliConfig, cliKafka, UsageError } from './env.ts';
import { followTopics } from '../partner/topic-follower.ts';
import { readTrustFiles } from '../partner/trust-file.ts';

export const EVIDENCE_USAGE = `crosstrace evidence export TRACE --out DIR [--key FILE] [--timeout SECONDS]
  the records a preservation order on TRACE holds and the trace's signed updates, with a manifest
  of SHA-256 hashes signed by the node key (--key, default CROSSTRACE_TRACER_SIGNING_KEY_FILE or
  .stack/keys/node-ed25519.pem); needs DATABASE_URL
crosstrace evidence verify DIR [--trust FILE]...
  exit 0 when the manifest is signed by a trusted key (default .stack/keys/node-ed25519.pem.pub)
  and every file matches it; otherwise prints each problem and exits 1`;

const DEFAULT_KEY = '.stack/keys/node-ed25519.pem';
const line = (o: unknown): string => `${JSON.stringify(o)}\n`;

async function exportEvidence(traceId: string, out: string, keyFile: string, timeoutMs: number, env: Record<string, string | undefined>): Promise<number> {
  if (!env.DATABASE_URL) throw new UsageError('evidence export needs DATABASE_URL (the history store)');
  const key = loadOrCreateSigningKey(readFileSync(keyFile, 'utf8'));
  const files = new Map<string, Buffer>();
  const pool = new pg.Pool({ connectionString: env.DATABASE_URL, max: 1, application_name: 'crosstrace-evidence' });
  try {
    const order = (await pool.query('SELECT order_id, trace_id, opened_at, expires_at, released_at FROM preservation_orders WHERE trace_id = $1 ORDER BY opened_at', [traceId])).rows;
    if (order.length === 0) { process.stderr.write(`no preservation order for trace ${traceId}: place one first (crosstrace preserve open)\n`); return 1; }
    files.set('order.json', Buffer.from(`${JSON.stringify(order, null, 2)}\n`));
    const ids = order.map((o: { order_id: string }) => o.order_id);
    const sessions = await pool.query(`SELECT DISTINCT ON (window_key, uid) window_key, uid, at, produced_at, session_key, value FROM preserved_session_records WHERE order_id = ANY($1) ORDER BY window_key, uid`, [ids]);
    const flows = await pool.query(`SELECT DISTINCT ON (uid, dir, at) window_key, uid, dir, at, produced_at, src, src_port, dst, dst_port, value FROM preserved_flow_records WHERE order_id = ANY($1) ORDER BY uid, dir, at`, [ids]);
    const jsonl = (rows: Record<string, unknown>[]) => Buffer.from(rows.map((r) => line({ ...r, value: (r.value as Buffer).toString('base64') })).join(''));
    files.set('records/sessions.jsonl', jsonl(sessions.rows));
    files.set('records/flows.jsonl', jsonl(flows.rows));
  } finally {
    await pool.end();
  }
  const cfg = cliConfig.parse(env);
  const { kafka } = cliKafka(cfg, env, 'crosstrace-evidence');
  const admin = kafka.admin();
  await admin.connect();
  const topics = (await admin.listTopics().finally(() => admin.disconnect())).filter((t) => /^trace\.updates\.[A-Z]{2}$/.test(t)).sort();
  const updates: string[] = [];
  if (topics.length > 0) {
    const f = await followTopics({
      kafka, groupId: `crosstrace-evidence-${process.pid}-${Date.now().toString(36)}`, topics,
      handle: (m) => { if (m.value !== null && m.key?.toString() === traceId) updates.push(line({ topic: m.topic, partition: m.partition, offset: m.offset, timestamp: m.timestamp, value: m.value.toString('base64') })); },
    });
    const deadline = Date.now() + timeoutMs;
    while (!f.caughtUp() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const complete = f.caughtUp();
    await f.stop();
    if (!complete) { process.stderr.write(`the trace's updates could not be read to the end within ${timeoutMs} ms\n`); return 1; }
  }
  files.set('updates.jsonl', Buffer.from(updates.join('')));
  const { manifest, signature } = signManifest({ traceId, createdAt: Date.now(), files, privateKey: key.privateKey, publicKey: key.publicKey });
  for (const [path, b] of [...files, [MANIFEST, manifest], [SIGNATURE, Buffer.from(`${signature.toString('base64')}\n`)]] as [string, Buffer][]) {
    mkdirSync(dirname(join(out, path)), { recursive: true });
    writeFileSync(join(out, path), b);
  }
  process.stdout.write(`${line({ traceId, out, files: files.size, updates: updates.length, signerKeyId: key.keyId })}`);
  return 0;
}

function filesUnder(dir: string, root = dir, acc = new Map<string, Buffer>()): Map<string, Buffer> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) filesUnder(p, root, acc);
    else acc.set(relative(root, p), readFileSync(p));
  }
  return acc;
}

function verifyEvidence(dir: string, trustFiles: string[]): number {
  const all = filesUnder(dir);
  const manifest = all.get(MANIFEST);
  const sig = all.get(SIGNATURE);
  if (!manifest || !sig) { process.stderr.write(`${dir}: no ${MANIFEST} / ${SIGNATURE}\n`); return 1; }
  all.delete(MANIFEST); all.delete(SIGNATURE);
  const problems = verifyManifest({ manifest, signature: Buffer.from(sig.toString('utf8').trim(), 'base64'), files: all, trusted: new Map([...readTrustFiles(trustFiles)].map(([id, k]) => [id, k.key])) });
  if (problems.length) { process.stderr.write(`${problems.map((p) => `evidence: ${p}`).join('\n')}\n`); return 1; }
  process.stdout.write(`evidence ${dir}: ${all.size} files verify against the signed manifest\n`);
  return 0;
}

export async function evidenceCommand(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const { values: a, positionals } = parseArgs({
    args: argv, strict: true, allowPositionals: true,
    options: { out: { type: 'string' }, key: { type: 'string' }, trust: { type: 'string', multiple: true }, timeout: { type: 'string' } },
  });
  const [verb, arg, ...extra] = positionals;
  if (!arg || extra.length) throw new UsageError('evidence needs `export TRACE --out DIR` or `verify DIR`');
  const keyFile = a.key ?? env.CROSSTRACE_TRACER_SIGNING_KEY_FILE ?? DEFAULT_KEY;
  if (verb === 'export') {
    if (!a.out) throw new UsageError('evidence export needs --out DIR');
    if (a.timeout !== undefined && !/^\d+$/.test(a.timeout)) throw new UsageError('--timeout must be whole seconds');
    return exportEvidence(arg, a.out, keyFile, Number(a.timeout ?? 30) * 1000, env);
  }
  if (verb === 'verify') return verifyEvidence(arg, a.trust ?? [`${keyFile}.pub`]);
  throw new UsageError(`evidence needs export or verify, not ${verb ?? 'nothing'}`);
}

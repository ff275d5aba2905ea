// SCRAM-SHA-512 credentials through the broker's AlterUserScramCredentials API (KIP-554, API
// key 51, version 0, a "flexible" request), which kafkajs 2.2.4 does not offer: the salted
// password is computed here (RFC 5802: PBKDF2-HMAC-SHA-512 of the password) and only it,
// the salt and the iteration count travel, over the admin's authenticated TLS connection.
// The wire encoding is pure (encode/decode below); `alterScramCredentials` sends it through a
// kafkajs broker connection, which authenticates first.
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Kafka } from 'kafkajs';

export const SCRAM_SHA_512 = 2; // the protocol's ScramMechanism id (1 = SCRAM-SHA-256)
/** Kafka's minimum for SCRAM-SHA-512; each login costs the broker this many HMACs. */
export const SCRAM_ITERATIONS = 4096;

export interface ScramUpsertion { name: string; password: string }
export interface ScramResult { user: string; errorCode: number; errorMessage: string | null }

const uvarint = (n: number): Buffer => {
  const out: number[] = [];
  while (n > 0x7f) { out.push((n & 0x7f) | 0x80); n >>>= 7; }
  out.push(n);
  return Buffer.from(out);
};
const compactBytes = (b: Buffer): Buffer => Buffer.concat([uvarint(b.length + 1), b]);
const compactString = (s: string): Buffer => compactBytes(Buffer.from(s, 'utf8'));
const int8 = (n: number): Buffer => Buffer.from([n]);
const int32 = (n: number): Buffer => { const b = Buffer.alloc(4); b.writeInt32BE(n); return b; };
const NO_TAGS = Buffer.from([0]);

/** RFC 5802 SaltedPassword for SCRAM-SHA-512. (SASLprep is the identity for the ASCII
 *  passwords this project generates; other passwords are refused by the caller.) */
export function saltedPassword(password: string, salt: Buffer, iterations = SCRAM_ITERATIONS): Buffer {
  return pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, 64, 'sha512');
}

/** Request body v0, preceded by the request header v2's empty tag section (kafkajs writes
 *  header v1: api key, version, correlation id, client id). */
export function encodeAlterScramRequest(deletions: string[], upsertions: ScramUpsertion[], salt = (): Buffer => randomBytes(32)): Buffer {
  const dels = deletions.map((name) => Buffer.concat([compactString(name), int8(SCRAM_SHA_512), NO_TAGS]));
  const ups = upsertions.map(({ name, password }) => {
    const s = salt();
    return Buffer.concat([compactString(name), int8(SCRAM_SHA_512), int32(SCRAM_ITERATIONS), compactBytes(s), compactBytes(saltedPassword(password, s)), NO_TAGS]);
  });
  return Buffer.concat([NO_TAGS, uvarint(dels.length + 1), ...dels, uvarint(ups.length + 1), ...ups, NO_TAGS]);
}

/** Response v0 after the correlation id: header v1 tags, throttle, results, tags. */
export function decodeAlterScramResponse(buf: Buffer): ScramResult[] {
  let o = 0;
  const readUvarint = (): number => {
    let n = 0;
    let shift = 0;
    for (;;) {
      const b = buf.readUInt8(o++);
      n |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return n >>> 0;
      shift += 7;
    }
  };
  const skipTags = (): void => { const count = readUvarint(); for (let i = 0; i < count; i++) { readUvarint(); o += readUvarint(); } };
  const readString = (): string | null => {
    const len = readUvarint() - 1;
    if (len < 0) return null;
    const s = buf.toString('utf8', o, o + len);
    o += len;
    return s;
  };
  skipTags();
  o += 4; // throttle_time_ms
  const results: ScramResult[] = [];
  const n = readUvarint() - 1;
  for (let i = 0; i < n; i++) {
    const user = readString() ?? '';
    const errorCode = buf.readInt16BE(o);
    o += 2;
    const errorMessage = readString();
    skipTags();
    results.push({ user, errorCode, errorMessage });
  }
  return results;
}

interface BrokerLike { connectionPool: { send(r: unknown): Promise<unknown> } }
interface ClusterLike { connect(): Promise<void>; disconnect(): Promise<void>; refreshMetadata(): Promise<void>; findControllerBroker(): Promise<BrokerLike> }
const Encoder = createRequire(import.meta.url)('kafkajs/src/protocol/encoder.js') as new () => { writeBufferInternal(b: Buffer): void };

/** kafkajs keeps its cluster factory under a private symbol; this is the one place that reaches it. */
function clusterOf(kafka: Kafka): ClusterLike {
  const sym = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster');
  if (!sym) throw new Error('kafkajs internals changed: no private:Kafka:createCluster (AlterUserScramCredentials needs it)');
  return (kafka as unknown as Record<symbol, (o: object) => ClusterLike>)[sym]!({});
}

/** Creates or replaces (upsertions) and deletes SCRAM-SHA-512 credentials; throws on any
 *  per-user error except deleting a credential that does not exist (RESOURCE_NOT_FOUND, 91). */
export async function alterScramCredentials(kafka: Kafka, o: { upsert?: ScramUpsertion[]; delete?: string[] }): Promise<void> {
  const upsert = o.upsert ?? [];
  const del = o.delete ?? [];
  if (upsert.length + del.length === 0) return;
  for (const u of upsert) if (!/^[\x21-\x7e]+$/.test(u.password)) throw new Error(`password of ${u.name}: printable ASCII only, no spaces`);
  const body = encodeAlterScramRequest(del, upsert);
  const cluster = clusterOf(kafka);
  await cluster.connect();
  try {
    await cluster.refreshMetadata();
    const broker = await cluster.findControllerBroker();
    const results = (await broker.connectionPool.send({
      request: { apiKey: 51, apiVersion: 0, apiName: 'AlterUserScramCredentials', encode: async () => { const e = new Encoder(); e.writeBufferInternal(body); return e; } },
      response: { decode: async (raw: Buffer) => raw, parse: async (raw: Buffer) => decodeAlterScramResponse(raw) },
    })) as ScramResult[];
    const bad = results.filter((r) => r.errorCode !== 0 && !(r.errorCode === 91 && del.includes(r.user)));
    if (bad.length > 0) throw new Error(`AlterUserScramCredentials refused: ${bad.map((r) => `${r.user}: error ${r.errorCode} ${r.errorMessage ?? ''}`).join('; ')}`);
  } finally {
    await cluster.disconnect();
  }
}

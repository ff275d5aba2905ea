// kafkajs 2.2.4 on Node >= 24: every broker connection's RequestQueue re-schedules its
// pending-request check with a NEGATIVE delay when nothing is pending and nothing is
// throttled (throttledUntil defaults to -1), which Node runs after 1 ms and warns about
// (TimeoutNegativeWarning) — a 1 kHz busy loop per connection for the process's lifetime
// (tulios/kafkajs#1704, #1751; the fix in tulios/kafkajs#1768 is unreleased). This replaces
// the method with the same logic minus the loop: with nothing pending and no throttle
// there is nothing to check (a new request is sent or scheduled by push()). Applied once,
// on import, to the module instance kafkajs itself loads.
import { readFileSync } from 'node:fs';
import { createRequire, Module } from 'node:module';

/** Same value as kafkajs' own constant in requestQueue/index.js. */
const CHECK_PENDING_REQUESTS_INTERVAL = 10;

interface RequestQueueLike {
  throttledUntil: number;
  throttleCheckTimeoutId: ReturnType<typeof setTimeout> | null;
  pending: unknown[];
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

const RequestQueue = createRequire(import.meta.url)('kafkajs/src/network/requestQueue/index.js') as { prototype: RequestQueueLike & { __crosstracePatched?: true } };

export function scheduleCheckPendingRequests(this: RequestQueueLike): void {
  if (this.throttleCheckTimeoutId) return;
  let scheduleAt = this.throttledUntil - Date.now();
  if (this.pending.length > 0) scheduleAt = scheduleAt > 0 ? scheduleAt : CHECK_PENDING_REQUESTS_INTERVAL;
  else if (scheduleAt <= 0) return; // nothing pending, not throttled: nothing to check
  this.throttleCheckTimeoutId = setTimeout(() => {
    this.throttleCheckTimeoutId = null;
    this.checkPendingRequests();
  }, scheduleAt);
}

if (!RequestQueue.prototype.__crosstracePatched) {
  RequestQueue.prototype.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
  RequestQueue.prototype.__crosstracePatched = true;
}

export const kafkajsRequestQueue = RequestQueue;

// Two producer-side costs of kafkajs 2.2.4 that a profile of ingest put on top (bench/profile.ts):
//  - producer/groupMessagesPerPartition copies a partition's whole array for every message
//    (`[...current, message]`): quadratic in a sendBatch's size, 25 % of a bare passthrough;
//  - every record header gets its own protocol Encoder, which zero-fills 512 bytes: 4 headers
//    a record made Buffer.alloc + GC the largest self time of ingest.
// The replacements below keep the modules' contracts (same output, same order) and are put in
// Node's module cache BEFORE kafkajs loads them (its modules capture them at load time), so
// this file must be imported before the first import of 'kafkajs' (services/common/kafka.ts
// does). If kafkajs was loaded earlier, nothing is replaced (kafkajs works, only slower).
const require_ = createRequire(import.meta.url);
const Encoder = require_('kafkajs/src/protocol/encoder.js') as new (initialSize?: number) => {
  buffer: Buffer; writeVarIntString(s: string): unknown; writeVarIntBytes(b: unknown): unknown;
};

/** Messages grouped by the partition `partitioner` picks, in their order (linear). */
export function groupMessagesPerPartition<M>({ topic, partitionMetadata, messages, partitioner }: {
  topic: string; partitionMetadata: unknown[]; messages: M[]; partitioner(a: { topic: string; partitionMetadata: unknown[]; message: M }): number;
}): Record<number, M[]> {
  const result: Record<number, M[]> = {};
  if (partitionMetadata.length === 0) return result;
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message });
    (result[partition] ??= []).push(message);
  }
  return result;
}

/** Record header v0 (Key => varint string, Value => varint bytes), sized to fit. */
export function encodeRecordHeader({ key, value }: { key: string; value: Buffer | string | null }) {
  const size = Buffer.byteLength(key) + (value === null ? 0 : typeof value === 'string' ? Buffer.byteLength(value) : value.length) + 10;
  const e = new Encoder(size);
  e.writeVarIntString(key);
  e.writeVarIntBytes(value);
  return e;
}

/** Puts `exports` in Node's module cache as kafkajs module `id` (false when kafkajs loaded it already). */
export function preload(id: string, exports: unknown): boolean {
  const file = require_.resolve(id);
  if (require_.cache[file]) return require_.cache[file].exports === exports;
  const m = new Module(file);
  m.filename = file;
  m.loaded = true;
  m.exports = exports;
  require_.cache[file] = m;
  return true;
}

/** True when kafkajs' producer uses the replacements above (false: kafkajs was loaded first). */
export const producePatchApplied = !require_.cache[require_.resolve('kafkajs/src/producer/sendMessages.js')]
  && !require_.cache[require_.resolve('kafkajs/src/protocol/recordBatch/record/v0/index.js')]
  && preload('kafkajs/src/producer/groupMessagesPerPartition.js', groupMessagesPerPartition)
  && preload('kafkajs/src/protocol/recordBatch/header/v0/index.js', encodeRecordHeader);

// The per-record costs of the ct-* routing headers (bench/headers.bench.ts: four headers made
// a record ~5 µs dearer to encode and ~1.5 µs to decode in kafkajs 2.2.4):
//  - record/v0 (encode) builds a header array with flatMap, one Encoder per header, and every
//    varint through `Buffer.from([...])`, inside a zero-filled 512-byte Encoder per record;
//  - record/v0/decoder rebuilds the headers object with a spread per header (quadratic).
// encodeRecord writes a record into one Buffer of its exact size (the same bytes); records it
// does not cover (a timestamp delta beyond 32 bits, a Long, a null or array header value) go
// to kafkajs' own encoder. decodeRecord is kafkajs' decoder with the headers built by a loop.
const Long = require_('kafkajs/src/utils/long.js') as { fromValue(v: unknown): { add(v: unknown): { toString(): string } } };
const TimestampTypes = require_('kafkajs/src/protocol/timestampTypes.js') as { LOG_APPEND_TIME: number };
const HeaderDecoder = require_('kafkajs/src/protocol/recordBatch/header/v0/decoder.js') as (d: unknown) => { key: string; value: Buffer | null };

const zigzag = (v: number) => ((v << 1) ^ (v >> 31)) >>> 0;
const varIntSize = (v: number) => { let u = zigzag(v); let n = 1; while (u >= 0x80) { u >>>= 7; n++; } return n; };
function putVarInt(b: Buffer, at: number, v: number): number {
  let u = zigzag(v);
  while (u >= 0x80) { b[at++] = (u & 0x7f) | 0x80; u >>>= 7; }
  b[at++] = u;
  return at;
}
const isInt32 = (v: unknown): v is number => typeof v === 'number' && (v | 0) === v;
type RecordIn = { offsetDelta?: number; timestampDelta?: unknown; key?: Buffer | string | null; value?: Buffer | string | null; headers?: Record<string, unknown> };
type Bytes = Buffer | string | null;
const bytesOf = (v: Buffer | string | null | undefined): Bytes => (v == null ? null : Buffer.isBuffer(v) || typeof v === 'string' ? v : String(v));
const lengthOf = (v: Buffer | string): number => (typeof v === 'string' ? Buffer.byteLength(v, 'utf8') : v.length);

/** A record's bytes as the Encoder a record batch reads (.buf, .buffer, .size()), without the
 *  Encoder's own zero-filled buffer and without a new view per read of .buffer. */
class RecordBytes {
  buf: Buffer;
  offset: number;
  constructor(buf: Buffer) { this.buf = buf; this.offset = buf.length; }
  get buffer(): Buffer { return this.buf; }
  size(): number { return this.offset; }
}
Object.setPrototypeOf(RecordBytes.prototype, Encoder.prototype);

/** A header name's bytes, kept for the few names a service uses (ct-uid, ct-time, ...). */
const headerNames = new Map<string, Buffer>();
function headerName(n: string): Buffer {
  let b = headerNames.get(n);
  if (!b) { b = Buffer.from(n, 'utf8'); if (headerNames.size < 256) headerNames.set(n, b); }
  return b;
}

/** Record v0 (Length, Attributes, TimestampDelta, OffsetDelta, Key, Value, Headers) in one Buffer. */
export function makeRecordEncoder(original: (r: RecordIn) => unknown) {
  return function encodeRecord(r: RecordIn): unknown {
    const { offsetDelta = 0, timestampDelta = 0, headers = {} } = r;
    if (!isInt32(offsetDelta) || !isInt32(timestampDelta)) return original(r);
    const names = Object.keys(headers);
    const hk: Buffer[] = [];
    const hv: (Buffer | string)[] = [];
    for (const n of names) {
      const v = headers[n];
      if (typeof v !== 'string' && !Buffer.isBuffer(v)) return original(r); // null, arrays: kafkajs' path
      hk.push(headerName(n));
      hv.push(v);
    }
    const key = bytesOf(r.key);
    const value = bytesOf(r.value);
    const keyLen = key === null ? 0 : lengthOf(key);
    const valueLen = value === null ? 0 : lengthOf(value);
    const hvLen: number[] = [];
    for (const v of hv) hvLen.push(lengthOf(v));
    const sizeOf = (b: Bytes, len: number) => (b === null ? varIntSize(-1) : varIntSize(len) + len);
    let body = 1 + varIntSize(timestampDelta) + varIntSize(offsetDelta) + sizeOf(key, keyLen) + sizeOf(value, valueLen) + varIntSize(names.length);
    for (let i = 0; i < names.length; i++) body += sizeOf(hk[i]!, hk[i]!.length) + varIntSize(hvLen[i]!) + hvLen[i]!;
    const buf = Buffer.allocUnsafe(varIntSize(body) + body);
    let at = putVarInt(buf, 0, body);
    buf[at++] = 0; // attributes
    at = putVarInt(buf, at, timestampDelta);
    at = putVarInt(buf, at, offsetDelta);
    const put = (b: Bytes, len: number) => {
      if (b === null) { at = putVarInt(buf, at, -1); return; }
      at = putVarInt(buf, at, len);
      at += typeof b === 'string' ? buf.write(b, at, 'utf8') : b.copy(buf, at);
    };
    put(key, keyLen);
    put(value, valueLen);
    at = putVarInt(buf, at, names.length);
    for (let i = 0; i < names.length; i++) {
      put(hk[i]!, hk[i]!.length);
      put(hv[i]!, hvLen[i]!);
    }
    return new RecordBytes(buf);
  };
}

/** A batch's first offset and timestamp as numbers (NaN when not a safe integer: kafkajs' Long
 *  path), parsed once per record batch instead of once per record (Long.fromValue of a string). */
const batchNumbers = new WeakMap<object, { offset: number; timestamp: number }>();
const safeNumber = (v: unknown): number => {
  const n = typeof v === 'string' || typeof v === 'number' ? Number(v) : Number.NaN;
  return Number.isSafeInteger(n) && String(n) === String(v) ? n : Number.NaN;
};
function numbersOf(ctx: { firstOffset?: unknown; firstTimestamp?: unknown }): { offset: number; timestamp: number } {
  let n = batchNumbers.get(ctx);
  if (!n) batchNumbers.set(ctx, n = { offset: safeNumber(ctx.firstOffset), timestamp: safeNumber(ctx.firstTimestamp) });
  return n;
}

/** A zigzag varlong of at most 7 bytes (|v| < 2^48) as a number, advancing the decoder; undefined
 *  (the decoder untouched) for a longer one. kafkajs builds two Longs per byte. */
function readSmallVarLong(d: { buffer: Buffer; offset: number }): number | undefined {
  const b = d.buffer;
  let at = d.offset;
  let n = 0;
  let mul = 1;
  for (let i = 0; i < 7 && at < b.length; i++) {
    const c = b[at++]!;
    n += (c & 0x7f) * mul;
    mul *= 128;
    if (c < 0x80) { d.offset = at; return n % 2 === 0 ? n / 2 : -(n + 1) / 2; }
  }
  return undefined;
}

/** kafkajs' record v0 decoder, the headers object built in one pass (same keys, same arrays for
 *  repeated keys), offset and timestamp added as numbers where they are safe integers (the same
 *  strings kafkajs' Long arithmetic gives; Long where they are not). */
export function decodeRecord(decoder: { buffer: Buffer; offset: number; readInt8(): number; readVarLong(): unknown; readVarInt(): number; readVarIntBytes(): Buffer | null; readVarIntArray<T>(r: (d: unknown) => T): T[] },
  batchContext: { firstOffset?: unknown; firstTimestamp?: unknown; magicByte?: number; isControlBatch?: boolean; timestampType?: number; maxTimestamp?: string } = {}) {
  const { firstOffset, firstTimestamp, magicByte, isControlBatch = false, timestampType, maxTimestamp } = batchContext;
  const first = numbersOf(batchContext);
  const attributes = decoder.readInt8();
  const small = readSmallVarLong(decoder);
  const timestampDelta = small ?? decoder.readVarLong();
  const timestamp = timestampType === TimestampTypes.LOG_APPEND_TIME && maxTimestamp ? maxTimestamp
    : small !== undefined && !Number.isNaN(first.timestamp) ? String(first.timestamp + small) : Long.fromValue(firstTimestamp).add(timestampDelta).toString();
  const offsetDelta = decoder.readVarInt();
  const offset = Number.isNaN(first.offset) ? Long.fromValue(firstOffset).add(offsetDelta).toString() : String(first.offset + offsetDelta);
  const key = decoder.readVarIntBytes();
  const value = decoder.readVarIntBytes();
  const headers: Record<string, Buffer | null | (Buffer | null)[]> = {};
  for (const { key: k, value: v } of decoder.readVarIntArray(HeaderDecoder)) {
    const had = headers[k];
    headers[k] = had === undefined ? v : Array.isArray(had) ? had.concat([v]) : [had, v];
  }
  return { magicByte, attributes, timestamp, offset, key, value, headers, isControlRecord: isControlBatch, batchContext };
}

/** A kafkajs module evaluated apart from the module cache (its own requires resolve as usual). */
export function originalModule<T>(rel: string): T {
  const file = require_.resolve(`kafkajs/src/${rel}`);
  const m = { exports: {} as T };
  new Function('module', 'require', readFileSync(file, 'utf8'))(m, createRequire(file));
  return m.exports;
}

// CRC-32C of every produced record batch (kafkajs 2.2.4 recordBatch/crc32C): a byte-at-a-time
// table loop, then a Uint32Array per call to read the result unsigned; a top frame of ingest and
// of the bare passthrough (3.4 % of ingest's CPU, bench/profile.ts). Slicing-by-8 (eight tables,
// eight bytes a step) gives the same value. Put in Node's module cache before kafkajs loads
// recordBatch/v0, like the replacements above.
const CRC_TABLES = (() => {
  const t = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n]!;
    for (let k = 1; k < 8; k++) { c = t[c & 0xff]! ^ (c >>> 8); t[k * 256 + n] = c; }
  }
  return t;
})();

/** CRC-32C (Castagnoli) of `b`, unsigned: what kafkajs' recordBatch/crc32C returns. */
export function crc32C(b: Buffer): number {
  const T = CRC_TABLES;
  let crc = -1;
  let i = 0;
  const n = b.length;
  for (const whole = n - (n & 7); i < whole; i += 8) {
    const a = crc ^ (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24));
    crc = T[1792 + (a & 0xff)]! ^ T[1536 + ((a >>> 8) & 0xff)]! ^ T[1280 + ((a >>> 16) & 0xff)]! ^ T[1024 + (a >>> 24)]!
      ^ T[768 + b[i + 4]!]! ^ T[512 + b[i + 5]!]! ^ T[256 + b[i + 6]!]! ^ T[b[i + 7]!]!;
  }
  for (; i < n; i++) crc = T[(crc ^ b[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

/** True when kafkajs checksums record batches with crc32C above. */
export const crcPatchApplied = !require_.cache[require_.resolve('kafkajs/src/protocol/recordBatch/v0/index.js')]
  && preload('kafkajs/src/protocol/recordBatch/crc32C/index.js', crc32C);

/** True when kafkajs encodes and decodes records with the two functions above. */
export const recordPatchApplied = producePatchApplied
  && !require_.cache[require_.resolve('kafkajs/src/protocol/requests/produce/v3/request.js')]
  && !require_.cache[require_.resolve('kafkajs/src/protocol/recordBatch/v0/decoder.js')]
  && preload('kafkajs/src/protocol/recordBatch/record/v0/index.js', makeRecordEncoder(originalModule<(r: RecordIn) => unknown>('protocol/recordBatch/record/v0/index.js')))
  && preload('kafkajs/src/protocol/recordBatch/record/v0/decoder.js', decodeRecord);

// kafkajs' protocol Encoder grows its buffer with Buffer.alloc: every produce request's record
// batch is copied up through ~5 nested Encoders, each doubling from 512 bytes, each new buffer
// zero-filled (a bare passthrough's top self frame, FastBuffer under ensureAvailable). An Encoder
// only reads what it wrote ([0, offset): every write advances the offset after writing its
// bytes), so the zeros are never read: grow with allocUnsafe instead (the same bytes out).
const EncoderProto = (Encoder as unknown as { prototype: { buf: Buffer; offset: number; ensureAvailable(n: number): void; __crosstracePatched?: true } }).prototype;
const nextPowerOfTwo = (Encoder as unknown as { nextPowerOfTwo(n: number): number }).nextPowerOfTwo;
export function ensureAvailable(this: { buf: Buffer; offset: number }, length: number): void {
  if (this.offset + length <= this.buf.length) return;
  const grown = Buffer.allocUnsafe(nextPowerOfTwo(this.offset + length));
  this.buf.copy(grown, 0, 0, this.offset);
  this.buf = grown;
}
if (!EncoderProto.__crosstracePatched) {
  EncoderProto.ensureAvailable = ensureAvailable;
  EncoderProto.__crosstracePatched = true;
}

// The default partitioner's murmur2 (Kafka's Java murmur2 on int) in kafkajs 2.2.4 builds
// BigInt Longs for every 4 key bytes and never truncates them (a 20-byte key multiplies ~190-bit
// numbers): the low 32 bits it returns are the same in Math.imul arithmetic. A string key is
// hashed from a scratch copy (no Buffer per record); the same keys land in the same partitions
// (tested against kafkajs' own murmur2).
const M = 0x5bd1e995;
const SCRATCH = 256;
const murmurScratch = Buffer.allocUnsafe(SCRATCH);
export function murmur2(key: unknown): number {
  let data: Buffer;
  let length: number;
  // a string key is written into the scratch buffer, whole when at most SCRATCH - 4 bytes came
  // out (a cut write stops within 3 bytes of the end); a longer one gets a Buffer of its own
  if (typeof key === 'string' && (length = murmurScratch.write(key, 0, 'utf8')) <= SCRATCH - 4) {
    data = murmurScratch;
  } else {
    data = Buffer.isBuffer(key) ? key : Buffer.from(String(key));
    length = data.length;
  }
  let h = 0x9747b28c ^ length;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = data[i4]! | (data[i4 + 1]! << 8) | (data[i4 + 2]! << 16) | (data[i4 + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const tail = length & ~3;
  const rest = length & 3; // Java's switch falling through from case 3 to case 1
  if (rest === 3) h ^= data[tail + 2]! << 16;
  if (rest >= 2) h ^= data[tail + 1]! << 8;
  if (rest >= 1) h = Math.imul(h ^ data[tail]!, M);
  h ^= h >>> 13;
  h = Math.imul(h, M);
  return h ^ (h >>> 15);
}

/** The partition kafkajs' default partitioner gives a record keyed `key` among `partitions`
 *  (Java's: toPositive(murmur2) mod the topic's partition count). */
export const keyPartition = (key: string, partitions: number): number => (murmur2(key) & 0x7fffffff) % partitions;

/** True when kafkajs' default partitioner hashes keys with the murmur2 above. */
export const murmurPatchApplied = !require_.cache[require_.resolve('kafkajs/src/producer/partitioners/default/index.js')]
  && preload('kafkajs/src/producer/partitioners/default/murmur2.js', murmur2);

// kafkajs 2.2.4's consumer Batch parses every message's offset string into a Long
// (Long.fromValue(message.offset).gte(fetchedOffset)) to drop records before the fetched
// offset: a string-to-Long parse per record, a top frame of a bare consume. This Batch does the
// same comparison on numbers where both offsets are safe integers (every offset below 2^53),
// with kafkajs' Long where not; every method is kafkajs' own (its prototype). Put in Node's
// module cache before kafkajs loads consumer/batch.js, like the replacements above.
const LongCmp = Long as unknown as { fromValue(v: unknown): { gte(o: unknown): boolean } };
const filterAbortedMessages = require_('kafkajs/src/consumer/filterAbortedMessages.js') as
  (a: { messages: BatchMessage[]; abortedTransactions?: unknown[] }) => BatchMessage[];

interface BatchMessage { offset: string; isControlRecord?: boolean }
interface PartitionData { partition: number; highWatermark: string; abortedTransactions?: unknown[]; messages: BatchMessage[] }

const safe = (s: string): number => { const n = Number(s); return Number.isSafeInteger(n) ? n : Number.NaN; };

/** Records at or after `fetchedOffset`, as kafkajs' Batch keeps them. */
export function withinOffset(messages: BatchMessage[], fetchedOffset: string): BatchMessage[] {
  const from = safe(fetchedOffset);
  if (Number.isNaN(from)) { const f = LongCmp.fromValue(fetchedOffset); return messages.filter((m) => LongCmp.fromValue(m.offset).gte(f)); }
  return messages.filter((m) => { const o = safe(m.offset); return Number.isNaN(o) ? LongCmp.fromValue(m.offset).gte(LongCmp.fromValue(fetchedOffset)) : o >= from; });
}

export class Batch {
  fetchedOffset: string; topic: string; partition: number; highWatermark: string;
  rawMessages: BatchMessage[]; messagesWithinOffset: BatchMessage[]; messages: BatchMessage[];
  constructor(topic: string, fetchedOffset: string, partitionData: PartitionData) {
    this.fetchedOffset = fetchedOffset;
    this.topic = topic;
    this.partition = partitionData.partition;
    this.highWatermark = partitionData.highWatermark;
    this.rawMessages = partitionData.messages;
    this.messagesWithinOffset = withinOffset(this.rawMessages, fetchedOffset);
    this.messages = filterAbortedMessages({ messages: this.messagesWithinOffset, abortedTransactions: partitionData.abortedTransactions })
      .filter((m) => !m.isControlRecord);
  }
}
Object.setPrototypeOf(Batch.prototype, originalModule<{ prototype: object }>('consumer/batch.js').prototype);

/** True when kafkajs' consumer builds its batches with the Batch above. */
export const batchPatchApplied = !require_.cache[require_.resolve('kafkajs/src/consumer/consumerGroup.js')]
  && preload('kafkajs/src/consumer/batch.js', Batch);

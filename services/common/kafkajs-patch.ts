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
const bytesOf = (v: Buffer | string | null | undefined): Buffer | null => (v == null ? null : Buffer.isBuffer(v) ? v : Buffer.from(String(v), 'utf8'));

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
    const hvLen = hv.map((v) => (typeof v === 'string' ? Buffer.byteLength(v, 'utf8') : v.length));
    const sizeOfBytes = (b: Buffer | null) => (b === null ? varIntSize(-1) : varIntSize(b.length) + b.length);
    let body = 1 + varIntSize(timestampDelta) + varIntSize(offsetDelta) + sizeOfBytes(key) + sizeOfBytes(value) + varIntSize(names.length);
    for (let i = 0; i < names.length; i++) body += sizeOfBytes(hk[i]!) + varIntSize(hvLen[i]!) + hvLen[i]!;
    const buf = Buffer.allocUnsafe(varIntSize(body) + body);
    let at = putVarInt(buf, 0, body);
    buf[at++] = 0; // attributes
    at = putVarInt(buf, at, timestampDelta);
    at = putVarInt(buf, at, offsetDelta);
    const put = (b: Buffer | null) => { if (b === null) { at = putVarInt(buf, at, -1); return; } at = putVarInt(buf, at, b.length); at += b.copy(buf, at); };
    put(key);
    put(value);
    at = putVarInt(buf, at, names.length);
    for (let i = 0; i < names.length; i++) {
      put(hk[i]!);
      const v = hv[i]!;
      at = putVarInt(buf, at, hvLen[i]!);
      at += typeof v === 'string' ? buf.write(v, at, 'utf8') : v.copy(buf, at);
    }
    // an Encoder whose bytes are `buf` (the record batch reads .buf and .buffer)
    return Object.assign(new Encoder(1), { buf, offset: at });
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

/** True when kafkajs encodes and decodes records with the two functions above. */
export const recordPatchApplied = producePatchApplied
  && !require_.cache[require_.resolve('kafkajs/src/protocol/requests/produce/v3/request.js')]
  && !require_.cache[require_.resolve('kafkajs/src/protocol/recordBatch/v0/decoder.js')]
  && preload('kafkajs/src/protocol/recordBatch/record/v0/index.js', makeRecordEncoder(originalModule<(r: RecordIn) => unknown>('protocol/recordBatch/record/v0/index.js')))
  && preload('kafkajs/src/protocol/recordBatch/record/v0/decoder.js', decodeRecord);

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

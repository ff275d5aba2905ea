// kafkajs 2.2.4 on Node >= 24: every broker connection's RequestQueue re-schedules its
// pending-request check with a NEGATIVE delay when nothing is pending and nothing is
// throttled (throttledUntil defaults to -1), which Node runs after 1 ms and warns about
// (TimeoutNegativeWarning) — a 1 kHz busy loop per connection for the process's lifetime
// (tulios/kafkajs#1704, #1751; the fix in tulios/kafkajs#1768 is unreleased). This replaces
// the method with the same logic minus the loop: with nothing pending and no throttle
// there is nothing to check (a new request is sent or scheduled by push()). Applied once,
// on import, to the module instance kafkajs itself loads.
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

function preload(id: string, exports: unknown): boolean {
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

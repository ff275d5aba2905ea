// Dead letters: the value is the ORIGINAL bytes untouched (replayable); why and where from
// travel as headers ct-<field> of the DeadLetter record (schemas/dead-letter.avsc). A dead
// letter must always be writable: when key + value would exceed MAX_DEAD_LETTER_BYTES (below
// the broker's message.max.bytes), the value is left out and its SHA-256 and size are kept,
// with the reason and coordinates, so the dead letter never blocks its partition.
import { createHash } from 'node:crypto';
import type { DeadLetter } from '../../schemas/types.gen.ts';
import type { CrosstraceError } from './errors.ts';

/** Largest original key + value carried in a dead letter, bytes (the broker's default
 *  message.max.bytes is 1 MiB; headers and batch overhead need the rest). */
export const MAX_DEAD_LETTER_BYTES = 512 * 1024;

export interface SourceMessage {
  key: Buffer | null;
  value: Buffer | null;
  topic: string;
  partition: number;
  offset: string;
}

export interface OutMessage { key: Buffer | string | null; value: Buffer | null; headers: Record<string, string>; partition?: number }

export function deadLetterMessage(stage: string, err: CrosstraceError, src: SourceMessage, now: number, maxBytes = MAX_DEAD_LETTER_BYTES): OutMessage {
  const headers: Record<string, string> = {
    'ct-stage': stage,
    'ct-reasonCode': err.code,
    'ct-reason': err.message.slice(0, 1000),
    'ct-sourceTopic': src.topic,
    'ct-sourcePartition': String(src.partition),
    'ct-sourceOffset': src.offset,
    'ct-failedAt': String(now),
  };
  const size = (src.key?.length ?? 0) + (src.value?.length ?? 0);
  if (size <= maxBytes) return { key: src.key, value: src.value, headers };
  headers['ct-originalSha256'] = createHash('sha256').update(src.value ?? Buffer.alloc(0)).digest('hex');
  headers['ct-originalBytes'] = String(src.value?.length ?? 0);
  const key = src.key && src.key.length <= 1024 ? src.key : null;
  return { key, value: null, headers };
}

/** Reads a dlq.<stage> message back into a DeadLetter record. */
export function readDeadLetter(msg: { key: Buffer | null; value: Buffer | null; headers?: Record<string, unknown> }): DeadLetter {
  const opt = (k: string): string | null => {
    const v = msg.headers?.[`ct-${k}`];
    if (v === undefined) return null;
    return Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
  };
  const h = (k: string): string => {
    const v = opt(k);
    if (v === null) throw new Error(`dead letter lacks header ct-${k}`);
    return v;
  };
  const bytes = opt('originalBytes');
  return {
    stage: h('stage'),
    reasonCode: h('reasonCode'),
    reason: h('reason'),
    sourceTopic: h('sourceTopic'),
    sourcePartition: Number(h('sourcePartition')),
    sourceOffset: h('sourceOffset'),
    failedAt: Number(h('failedAt')),
    originalKey: msg.key,
    originalValue: msg.value,
    originalSha256: opt('originalSha256'),
    originalBytes: bytes === null ? null : Number(bytes),
  };
}

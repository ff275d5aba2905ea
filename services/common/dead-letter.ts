// Dead letters: the value is the ORIGINAL bytes untouched (replayable); why and where from
// travel as headers ct-<field> of the DeadLetter record (schemas/dead-letter.avsc).
import type { DeadLetter } from '../../schemas/types.gen.ts';
import type { CrosstraceError } from './errors.ts';

export interface SourceMessage {
  key: Buffer | null;
  value: Buffer | null;
  topic: string;
  partition: number;
  offset: string;
}

export interface OutMessage { key: Buffer | string | null; value: Buffer | null; headers: Record<string, string> }

export function deadLetterMessage(stage: string, err: CrosstraceError, src: SourceMessage, now: number): OutMessage {
  return {
    key: src.key,
    value: src.value,
    headers: {
      'ct-stage': stage,
      'ct-reasonCode': err.code,
      'ct-reason': err.message.slice(0, 1000),
      'ct-sourceTopic': src.topic,
      'ct-sourcePartition': String(src.partition),
      'ct-sourceOffset': src.offset,
      'ct-failedAt': String(now),
    },
  };
}

/** Reads a dlq.<stage> message back into a DeadLetter record. */
export function readDeadLetter(msg: { key: Buffer | null; value: Buffer | null; headers?: Record<string, unknown> }): DeadLetter {
  const h = (k: string): string => {
    const v = msg.headers?.[`ct-${k}`];
    if (v === undefined) throw new Error(`dead letter lacks header ct-${k}`);
    return Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
  };
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
  };
}

// A verified SignedTraceUpdate as the JSON the API serves: the view as published, plus what a
// console needs to re-verify it against the node key: signedBytes (base64; the bytes the
// signature is over: magic byte 0, 4-byte schema id, Avro), the signature (base64), the key
// id, and the audit hash (hex). `update` is the decoded view, for reading, never for verifying.
// Text from the record reaches the wire escaped (safe-json.ts), in the JSON and in the SSE id.
import type { SignedTraceUpdate, TraceUpdate } from '../../schemas/types.gen.ts';
import { safeJson, safeLine } from '../partner/domain/safe-json.ts';

export interface UpdateJson { traceId: string; seq: number; audience: string | null; verified: true; signerKeyId: string; signature: string; signedBytes: string; auditHash: string; update: TraceUpdate }

export function updateJson(s: SignedTraceUpdate): UpdateJson {
  return {
    traceId: s.update.traceId, seq: s.update.seq, audience: s.update.audience, verified: true,
    signerKeyId: s.signerKeyId, signature: s.signature.toString('base64'), signedBytes: s.signedBytes.toString('base64'), auditHash: s.auditHash.toString('hex'), update: s.update,
  };
}

/** The server-sent event of one update: `id` = traceId:seq. */
export function updateEvent(s: SignedTraceUpdate): string {
  return `id: ${safeLine(`${s.update.traceId}:${s.update.seq}`)}\nevent: update\ndata: ${safeJson(updateJson(s))}\n\n`;
}

// Confluent wire format, bytes only (no sockets): magic byte 0, 4-byte big-endian schema id,
// then the Avro binary body. See the Confluent Schema Registry docs "Wire format".
import { permanent } from './errors.ts';

export const MAGIC_BYTE = 0;
export const HEADER_LENGTH = 5;

export interface Framed {
  schemaId: number;
  body: Buffer;
}

/** Splits a framed value; throws a permanent CT_BAD_MAGIC / CT_TRUNCATED / CT_EMPTY_VALUE error. */
export function unframe(value: Buffer | null | undefined): Framed {
  if (!value || value.length === 0) throw permanent('CT_EMPTY_VALUE', 'message has no value');
  if (value[0] !== MAGIC_BYTE) {
    throw permanent('CT_BAD_MAGIC', `first byte is 0x${value[0]!.toString(16).padStart(2, '0')}, expected 0x00 (Confluent wire format)`);
  }
  if (value.length < HEADER_LENGTH) throw permanent('CT_TRUNCATED', `value is ${value.length} bytes, shorter than the 5-byte header`);
  return { schemaId: value.readUInt32BE(1), body: value.subarray(HEADER_LENGTH) };
}

export function frame(schemaId: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(HEADER_LENGTH + body.length);
  out[0] = MAGIC_BYTE;
  out.writeUInt32BE(schemaId, 1);
  body.copy(out, HEADER_LENGTH);
  return out;
}

/** Something that writes its bytes at `pos` of `buf` and returns where they end, or a negative
 *  number when `buf` is too short (avsc's Type#encode). */
export interface BodyWriter<T> { encode(value: T, buf: Buffer, pos: number): number }

let scratch = Buffer.allocUnsafe(16 * 1024);

/** frame(schemaId, body) without the body as a Buffer of its own: `writer` encodes into a scratch
 *  buffer after the header, copied once into a Buffer of the exact size (avsc's toBuffer zero-fills
 *  a fresh one per record, then frame() copies it again). The same bytes as frame(). */
export function frameWith<T>(schemaId: number, writer: BodyWriter<T>, value: T): Buffer {
  for (;;) {
    const end = writer.encode(value, scratch, HEADER_LENGTH);
    if (end >= HEADER_LENGTH) {
      const out = Buffer.allocUnsafe(end);
      scratch.copy(out, HEADER_LENGTH, HEADER_LENGTH, end);
      out[0] = MAGIC_BYTE;
      out.writeUInt32BE(schemaId, 1);
      return out;
    }
    scratch = Buffer.allocUnsafe(Math.max(2 * scratch.length, scratch.length - end));
  }
}

// PostgreSQL COPY binary format (COPY ... FROM STDIN (FORMAT binary)): the 19-byte header, then
// per row an int16 field count and per field an int32 length (-1 = NULL) and the value in its
// type's binary (send/recv) form, then the int16 -1 trailer. No hex for bytea, no timestamp or
// address text to format here and parse in the server: the archive's flow rows go this way
// (bench/archive.bench.ts measured the text form's encoding as a bound of the load). Pure.
import { addressBits } from '../../common/address.ts';

const HEADER = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]); // flags 0, no header extension
const TRAILER = Buffer.from([0xff, 0xff]);
/** timestamptz is int64 microseconds since 2000-01-01T00:00:00Z. */
const PG_EPOCH_MS = Date.UTC(2000, 0, 1);
/** inet's family byte: PGSQL_AF_INET = AF_INET (2), PGSQL_AF_INET6 = AF_INET + 1. */
const [AF_INET, AF_INET6] = [2, 3];

/** Rows of one COPY in binary form, appended field by field into one growing buffer. */
export function createBinaryCopy(initialBytes = 1 << 16) {
  let buf = Buffer.allocUnsafe(Math.max(initialBytes, HEADER.length));
  let n = HEADER.copy(buf, 0);
  const need = (k: number): void => {
    if (n + k <= buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(buf.length * 2, n + k));
    buf.copy(next, 0, 0, n);
    buf = next;
  };
  const len = (k: number): void => { need(4 + k); buf.writeInt32BE(k, n); n += 4; };
  const w = {
    /** Starts a row of `fields` columns (in the table's column order). */
    row(fields: number) { need(2); buf.writeInt16BE(fields, n); n += 2; return w; },
    null() { need(4); buf.writeInt32BE(-1, n); n += 4; return w; },
    text(s: string | null) {
      if (s === null) return w.null();
      const k = Buffer.byteLength(s, 'utf8');
      len(k); n += buf.write(s, n, 'utf8');
      return w;
    },
    /** "char": one byte. */
    char(c: string) { len(1); buf[n++] = c.charCodeAt(0) & 0xff; return w; },
    int4(v: number | null) {
      if (v === null) return w.null();
      len(4); buf.writeInt32BE(v, n); n += 4;
      return w;
    },
    /** timestamptz from UTC ms. */
    timestamptz(ms: number | null) {
      if (ms === null) return w.null();
      len(8); buf.writeBigInt64BE(BigInt(Math.round(ms) - PG_EPOCH_MS) * 1000n, n); n += 8;
      return w;
    },
    /** inet of a host address (bits = the full length); an IPv4-mapped IPv6 address stays IPv6. */
    inet(text: string) {
      const a = addressBits(text);
      if (a.family === 4 && !text.includes(':')) {
        len(8); buf[n] = AF_INET; buf[n + 1] = 32; buf[n + 2] = 0; buf[n + 3] = 4; buf.writeUInt32BE(a.n, n + 4); n += 8;
      } else {
        const bytes = a.family === 6 ? Buffer.from(a.hex, 'hex') : Buffer.concat([Buffer.alloc(10), Buffer.from([0xff, 0xff]), Buffer.from([a.n >>> 24, (a.n >>> 16) & 255, (a.n >>> 8) & 255, a.n & 255])]);
        len(20); buf[n] = AF_INET6; buf[n + 1] = 128; buf[n + 2] = 0; buf[n + 3] = 16; bytes.copy(buf, n + 4); n += 20;
      }
      return w;
    },
    bytea(b: Buffer) { len(b.length); n += b.copy(buf, n); return w; },
    /** The whole COPY stream (header, rows, trailer); the writer is done after it. */
    end(): Buffer { need(2); n += TRAILER.copy(buf, n); return buf.subarray(0, n); },
  };
  return w;
}

export type BinaryCopy = ReturnType<typeof createBinaryCopy>;

// avsc 5.7's Tap#writeString, the largest self time of ingest's own work (bench/ingest-handler.bench.ts
// under --cpu-prof: 8.8 %, with the Buffer.byteLength it calls per string): a short ASCII string
// is written as its length and one byte per char, without asking Node for its UTF-8 length;
// anything else (non-ASCII, longer, or a buffer too short: avsc's resize signal) goes to avsc's
// own method from the same position. The same bytes (avsc-patch.test.ts). Applied once, on
// import, to the module instance avsc itself loads (its types call tap.writeString).
import { createRequire } from 'node:module';
import { putAscii } from './ascii-text.ts';

interface TapLike { buf: Buffer; pos: number; writeString(s: string): void }

const utils = createRequire(import.meta.url)('avsc/lib/utils.js') as { Tap: { prototype: TapLike & { __crosstracePatched?: true } } };

/** avsc's own method (the slow path, and the reference of the tests). */
export const avscWriteString = utils.Tap.prototype.writeString;

/** Longest string the fast path takes: its length is one varint byte (zigzag 2n < 128). */
const SHORT = 63;

export function writeString(this: TapLike, s: string): void {
  const buf = this.buf;
  const start = this.pos;
  if (typeof s === 'string' && s.length <= SHORT && start < buf.length) {
    buf[start] = s.length << 1;
    const end = putAscii(buf, start + 1, s);
    if (end >= 0) { this.pos = end; return; }
  }
  avscWriteString.call(this, s);
}

if (!utils.Tap.prototype.__crosstracePatched) {
  utils.Tap.prototype.writeString = writeString;
  utils.Tap.prototype.__crosstracePatched = true;
}

export const avscTapPrototype = utils.Tap.prototype;

// RESP2, the Redis wire protocol, as bytes: commands written into one growing buffer (a whole
// pipeline as one Buffer, no command object per command) and replies read back from a byte
// stream. Pure: no socket (redis-raw.ts sends and receives). For the window rebuild's bulk
// write, where ioredis's command objects and their garbage were most of Node's CPU, and
// ingest's dedupe script calls.
import { putAscii } from './ascii-text.ts';
import { putDecimal } from './decimal-text.ts';

/** Longest string written by the JS loop (ids, addresses, keys); longer ones take Buffer.write. */
const ASCII_LOOP_MAX = 256;

/** A command's arguments: strings are written as UTF-8, numbers in decimal. */
export type RespArg = string | Buffer | number;

const EMPTY = Buffer.alloc(0);

/** Writes commands as RESP arrays of bulk strings into one buffer; `take()` hands it over. */
export class RespWriter {
  private buf: Buffer;
  private at = 0;
  /** Commands written since the last take(). */
  commands = 0;
  /** The first buffer's size, bytes; after a take() the next buffer is allocated at the first
   *  write, not by take() (a writer used once would otherwise leave one as large as its last,
   *  unused: the window rebuild's are tens of MiB per batch). */
  private readonly initialBytes: number;
  constructor(initialBytes = 1 << 20) { this.initialBytes = initialBytes; this.buf = Buffer.allocUnsafe(initialBytes); }

  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.initialBytes, this.at + n));
    this.buf.copy(next, 0, 0, this.at);
    this.buf = next;
  }

  /** `*n\r\n`: a command of n arguments follows (its name counts). */
  array(n: number): this {
    this.room(24);
    this.buf[this.at++] = 42;
    this.at = putDecimal(this.buf, this.at, n);
    this.buf[this.at++] = 13;
    this.buf[this.at++] = 10;
    this.commands++;
    return this;
  }

  /** A command whose head (its `*n` and first arguments) was encoded once (encodeHead); the
   *  remaining arguments follow with arg() / raw(). */
  begin(head: Buffer): this {
    this.commands++;
    return this.raw(head);
  }

  /** Bytes already in RESP (a head, or an argument encoded once by encodeArg). */
  raw(bytes: Buffer): this {
    this.room(bytes.length);
    bytes.copy(this.buf, this.at);
    this.at += bytes.length;
    return this;
  }

  /** Writes again bytes this writer wrote since the last take(), at [start, end) (offsets from
   *  `bytes`): an argument repeated within one buffer is encoded once. */
  again(start: number, end: number): this {
    this.room(end - start);
    this.buf.copy(this.buf, this.at, start, end);
    this.at += end - start;
    return this;
  }

  /** `$len\r\n`, the head of a bulk string (room checked by the caller). */
  private bulk(len: number): void {
    this.buf[this.at++] = 36;
    this.at = putDecimal(this.buf, this.at, len);
    this.buf[this.at++] = 13;
    this.buf[this.at++] = 10;
  }

  /** `s` as one bulk string when it is ASCII, without Buffer.byteLength and a UTF-8 write
   *  (ascii-text.ts); false, with nothing written, otherwise. */
  private ascii(head: Buffer | null, s: string): boolean {
    if (s.length > ASCII_LOOP_MAX) return false; // a long string: Node's native UTF-8 write is faster
    const mark = this.at;
    const len = (head?.length ?? 0) + s.length;
    this.room(len + 24);
    this.bulk(len);
    if (head) { head.copy(this.buf, this.at); this.at += head.length; }
    const end = putAscii(this.buf, this.at, s);
    if (end < 0) { this.at = mark; return false; }
    this.at = end;
    this.buf[this.at++] = 13;
    this.buf[this.at++] = 10;
    return true;
  }

  /** One bulk-string argument. */
  arg(a: RespArg): this {
    if (typeof a === 'number') a = String(a);
    if (typeof a === 'string' && this.ascii(null, a)) return this;
    const len = typeof a === 'string' ? Buffer.byteLength(a) : a.length;
    this.room(len + 24);
    this.bulk(len);
    if (typeof a === 'string') this.at += this.buf.write(a, this.at, 'utf8'); else { a.copy(this.buf, this.at); this.at += len; }
    this.buf[this.at++] = 13;
    this.buf[this.at++] = 10;
    return this;
  }

  /** One bulk-string argument: `head`'s bytes, then the string `body` (a key prefix and a key,
   *  written without building their concatenation). */
  prefixed(head: Buffer, body: string): this {
    if (this.ascii(head, body)) return this;
    const len = head.length + Buffer.byteLength(body);
    this.room(len + 24);
    this.bulk(len);
    head.copy(this.buf, this.at); this.at += head.length;
    this.at += this.buf.write(body, this.at, 'utf8');
    this.buf[this.at++] = 13;
    this.buf[this.at++] = 10;
    return this;
  }

  /** One bulk-string argument made of a head, a body and an optional tail (written as their
   *  concatenation, without building it). */
  arg2(head: Buffer, body: Buffer, tail?: Buffer): this {
    const len = head.length + body.length + (tail?.length ?? 0);
    this.room(len + 24);
    this.bulk(len);
    head.copy(this.buf, this.at); this.at += head.length;
    body.copy(this.buf, this.at); this.at += body.length;
    if (tail) { tail.copy(this.buf, this.at); this.at += tail.length; }
    this.buf[this.at++] = 13;
    this.buf[this.at++] = 10;
    return this;
  }

  command(...args: RespArg[]): this {
    this.array(args.length);
    for (const a of args) this.arg(a);
    return this;
  }

  get bytes(): number { return this.at; }

  /** The bytes written (a copy-free view); the writer starts over (a fresh buffer at its next write). */
  take(): Buffer {
    const out = this.buf.subarray(0, this.at);
    this.buf = EMPTY;
    this.at = 0;
    this.commands = 0;
    return out;
  }
}

/** `*n` and these first arguments as RESP bytes, for RespWriter.begin (n counts every argument). */
export function encodeHead(n: number, ...args: RespArg[]): Buffer {
  const w = new RespWriter(64);
  w.array(n);
  for (const a of args) w.arg(a);
  return Buffer.from(w.take());
}

/** One argument as RESP bytes, for RespWriter.raw (an argument written many times). */
export function encodeArg(a: RespArg): Buffer {
  return Buffer.from(new RespWriter(64).arg(a).take());
}

/** An error reply (`-ERR …`, `-NOPERM …`), as a value among the replies. */
export class RespError extends Error {}

export type RespReply = number | string | Buffer | null | RespError | RespReply[];

/** Reads replies from a byte stream fed in chunks of any size; `feed` returns the replies
 *  completed by this chunk, in order. */
export function createReplyReader(): { feed(chunk: Buffer): RespReply[] } {
  let pending: Buffer | undefined;
  return {
    feed(chunk) {
      const buf = pending ? Buffer.concat([pending, chunk]) : chunk;
      const out: RespReply[] = [];
      let at = 0;
      for (;;) {
        const r = readReply(buf, at);
        if (!r) break;
        out.push(r.value);
        at = r.end;
      }
      pending = at < buf.length ? buf.subarray(at) : undefined;
      return out;
    },
  };
}

/** One reply starting at `at`, or undefined when the buffer ends before it does. */
export function readReply(buf: Buffer, at: number): { value: RespReply; end: number } | undefined {
  if (at >= buf.length) return undefined;
  const eol = buf.indexOf(13, at + 1);
  if (eol < 0 || eol + 1 >= buf.length) return undefined;
  const type = buf[at]!;
  const line = (): string => buf.toString('latin1', at + 1, eol);
  switch (type) {
    case 58: return { value: Number(line()), end: eol + 2 }; // ':'
    case 43: return { value: line(), end: eol + 2 }; // '+'
    case 45: return { value: new RespError(buf.toString('utf8', at + 1, eol)), end: eol + 2 }; // '-'
    case 36: { // '$'
      const n = Number(line());
      if (n < 0) return { value: null, end: eol + 2 };
      const end = eol + 2 + n + 2;
      return end > buf.length ? undefined : { value: buf.subarray(eol + 2, eol + 2 + n), end };
    }
    case 42: { // '*'
      const n = Number(line());
      if (n < 0) return { value: null, end: eol + 2 };
      const items: RespReply[] = [];
      let end = eol + 2;
      for (let i = 0; i < n; i++) {
        const r = readReply(buf, end);
        if (!r) return undefined;
        items.push(r.value);
        end = r.end;
      }
      return { value: items, end };
    }
    default: throw new RespError(`not a RESP2 reply: first byte ${type} at ${at}`);
  }
}

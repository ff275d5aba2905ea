// Short strings written as bytes without a call into Node: the ids, addresses and names on the
// ingest hot path are ASCII, and for them one byte per char code in JS is cheaper than
// Buffer.byteLength + a UTF-8 write (two native calls per string). Anything else is the
// caller's slow path. Pure.

/** Writes `s` at `at` of `buf` when every char is ASCII (< 0x80) and it fits: returns where it
 *  ends; otherwise -1 (bytes from `at` may have been overwritten: the caller writes again). */
export function putAscii(buf: Uint8Array, at: number, s: string): number {
  const n = s.length;
  if (at + n > buf.length) return -1;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return -1;
    buf[at + i] = c;
  }
  return at + n;
}

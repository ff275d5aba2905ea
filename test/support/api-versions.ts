// Kafka ApiVersions v3 (KIP-511) wire format, bytes only: the smoke tests ask the broker itself
// which APIs and features it has, below any client library. See the protocol guide's
// ApiVersions Request/Response (Version: 3); the response header is v0 even for flexible versions.
export interface ApiVersionRange {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
}

export interface ApiVersionsResponse {
  errorCode: number;
  apis: ApiVersionRange[];
  throttleTimeMs: number;
  /** Feature name -> [min, max] the broker supports, e.g. metadata.version. */
  supportedFeatures: Map<string, [number, number]>;
  /** Feature name -> [min, max] level finalized for the cluster. */
  finalizedFeatures: Map<string, [number, number]>;
}

const API_VERSIONS_KEY = 18;

/** Size-prefixed request: header v2 (key, version, correlation id, client id, tags) + body v3. */
export function encodeApiVersionsRequest(correlationId: number, clientId: string, software = ['crosstrace-smoke', '1']): Buffer {
  const cid = Buffer.from(clientId, 'utf8');
  const header = Buffer.alloc(10 + cid.length);
  header.writeInt16BE(API_VERSIONS_KEY, 0);
  header.writeInt16BE(3, 2);
  header.writeInt32BE(correlationId, 4);
  header.writeInt16BE(cid.length, 8);
  cid.copy(header, 10);
  const body = Buffer.concat([...software.map(compactString), Buffer.from([0])]); // + empty tags
  const frame = Buffer.concat([header, Buffer.from([0]), body]); // header tags, then body
  const size = Buffer.alloc(4);
  size.writeInt32BE(frame.length, 0);
  return Buffer.concat([size, frame]);
}

/** Decodes a response frame without its size prefix. */
export function decodeApiVersionsResponse(frame: Buffer): { correlationId: number; response: ApiVersionsResponse } {
  const r = new Reader(frame);
  const correlationId = r.int32();
  const errorCode = r.int16();
  const apis = r.compactArray(() => {
    const range = { apiKey: r.int16(), minVersion: r.int16(), maxVersion: r.int16() };
    r.skipTags();
    return range;
  });
  const throttleTimeMs = r.int32();
  const supportedFeatures = new Map<string, [number, number]>();
  const finalizedFeatures = new Map<string, [number, number]>();
  const tagCount = r.uvarint();
  for (let i = 0; i < tagCount; i++) {
    const tag = r.uvarint();
    const size = r.uvarint();
    const end = r.offset + size;
    if (tag === 0) {
      r.compactArray(() => {
        const name = r.compactString();
        supportedFeatures.set(name, [r.int16(), r.int16()]);
        r.skipTags();
      });
    } else if (tag === 2) {
      r.compactArray(() => {
        const name = r.compactString();
        const max = r.int16();
        finalizedFeatures.set(name, [r.int16(), max]);
        r.skipTags();
      });
    }
    r.offset = end;
  }
  return { correlationId, response: { errorCode, apis, throttleTimeMs, supportedFeatures, finalizedFeatures } };
}

function compactString(s: string): Buffer {
  const bytes = Buffer.from(s, 'utf8');
  return Buffer.concat([uvarint(bytes.length + 1), bytes]);
}

function uvarint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}

class Reader {
  offset = 0;
  private readonly buf: Buffer;
  constructor(buf: Buffer) {
    this.buf = buf;
  }
  int16(): number {
    const v = this.buf.readInt16BE(this.offset);
    this.offset += 2;
    return v;
  }
  int32(): number {
    const v = this.buf.readInt32BE(this.offset);
    this.offset += 4;
    return v;
  }
  uvarint(): number {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = this.buf.readUInt8(this.offset++);
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
  }
  compactString(): string {
    const len = this.uvarint() - 1;
    const s = this.buf.toString('utf8', this.offset, this.offset + len);
    this.offset += len;
    return s;
  }
  compactArray<T>(item: () => T): T[] {
    const n = this.uvarint() - 1;
    return Array.from({ length: Math.max(n, 0) }, item);
  }
  skipTags(): void {
    const n = this.uvarint();
    for (let i = 0; i < n; i++) {
      this.uvarint();
      this.offset += this.uvarint();
    }
  }
}

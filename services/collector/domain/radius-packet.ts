// RADIUS packets (RFC 2865 3, RFC 2866 3-4): parsing, the Accounting-Request authenticator
// check and the Accounting-Response. The Request Authenticator is MD5(Code + Identifier +
// Length + 16 zero octets + Attributes + secret); a request that does not verify was sent
// with another secret or altered and is never trusted. Pure (hashing only).
import { createHash, timingSafeEqual } from 'node:crypto';
import { MalformedPacket } from './malformed.ts';

export const ACCOUNTING_REQUEST = 4;
export const ACCOUNTING_RESPONSE = 5;

export interface RadiusAttribute { type: number; value: Buffer }
export interface RadiusPacket {
  code: number;
  identifier: number;
  authenticator: Buffer;
  attributes: RadiusAttribute[];
  /** The packet as its Length field bounds it (octets past it are padding, RFC 2865 3). */
  raw: Buffer;
}

const bad = (msg: string) => new MalformedPacket('CT_MALFORMED_PACKET', msg);

export function parseRadius(b: Buffer): RadiusPacket {
  if (b.length < 20) throw bad(`RADIUS packet of ${b.length} bytes is shorter than its 20-byte header`);
  const length = b.readUInt16BE(2);
  if (length < 20 || length > 4096 || length > b.length) throw bad(`RADIUS Length field says ${length} bytes, the packet has ${b.length}`);
  const attributes: RadiusAttribute[] = [];
  let off = 20;
  while (off < length) {
    if (off + 2 > length) throw bad(`attribute at byte ${off} runs past the packet`);
    const len = b[off + 1]!;
    if (len < 2 || off + len > length) throw bad(`attribute ${b[off]} at byte ${off} says ${len} bytes; ${length - off} remain`);
    attributes.push({ type: b[off]!, value: b.subarray(off + 2, off + len) });
    off += len;
  }
  return { code: b[0]!, identifier: b[1]!, authenticator: b.subarray(4, 20), attributes, raw: b.subarray(0, length) };
}

/** Whether an Accounting-Request's authenticator verifies with `secret` (constant time). */
export function verifyAccountingRequest(p: RadiusPacket, secret: Buffer): boolean {
  const expected = createHash('md5').update(p.raw.subarray(0, 4)).update(Buffer.alloc(16)).update(p.raw.subarray(20)).update(secret).digest();
  return timingSafeEqual(expected, p.authenticator);
}

/** Accounting-Response (no attributes): Response Authenticator = MD5(5 + Id + Length + Request Authenticator + secret). */
export function accountingResponse(req: RadiusPacket, secret: Buffer): Buffer {
  const head = Buffer.from([ACCOUNTING_RESPONSE, req.identifier, 0, 20]);
  const auth = createHash('md5').update(head).update(req.authenticator).update(secret).digest();
  return Buffer.concat([head, auth]);
}

/** Builds a signed Accounting-Request (for tests and the simulator's wire mode). */
export function accountingRequest(identifier: number, attributes: RadiusAttribute[], secret: Buffer): Buffer {
  const body = Buffer.concat(attributes.map((a) => Buffer.concat([Buffer.from([a.type, a.value.length + 2]), a.value])));
  const head = Buffer.from([ACCOUNTING_REQUEST, identifier, 0, 0]);
  head.writeUInt16BE(20 + body.length, 2);
  const auth = createHash('md5').update(head).update(Buffer.alloc(16)).update(body).update(secret).digest();
  return Buffer.concat([head, auth, body]);
}

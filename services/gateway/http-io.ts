// JSON in and out for the gateway routes. Errors have one shape:
//   { "error": { "code": "<stable code>", "message": "...", "fields": [{ "field", "message" }] } }
// codes: unauthorized, forbidden, not_found, method_not_allowed, unsupported_media_type,
// payload_too_large, invalid_json, invalid_request, conflict, unavailable, internal.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FieldError } from '../partner/domain/open-request.ts';

export type ApiErrorCode = 'unauthorized' | 'forbidden' | 'not_found' | 'method_not_allowed' | 'unsupported_media_type'
  | 'payload_too_large' | 'invalid_json' | 'invalid_request' | 'conflict' | 'too_many_requests' | 'unavailable' | 'internal';

export class ApiError extends Error {
  readonly status: number;
  readonly code: ApiErrorCode;
  readonly fields: FieldError[] | undefined;
  readonly headers: Record<string, string>;
  constructor(status: number, code: ApiErrorCode, message: string, opts: { fields?: FieldError[]; headers?: Record<string, string> } = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.fields = opts.fields;
    this.headers = opts.headers ?? {};
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)), 'cache-control': 'no-store', ...headers });
  res.end(text);
}

export function sendApiError(res: ServerResponse, e: ApiError): void {
  sendJson(res, e.status, { error: { code: e.code, message: e.message, ...(e.fields ? { fields: e.fields } : {}) } }, e.headers);
}

/** The JSON body, or `undefined` for an empty one; rejects non-JSON, oversized and malformed bodies. */
export async function readJson(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBytes) throw new ApiError(413, 'payload_too_large', `body exceeds ${maxBytes} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > maxBytes) throw new ApiError(413, 'payload_too_large', `body exceeds ${maxBytes} bytes`);
    chunks.push(c as Buffer);
  }
  if (size === 0) return undefined;
  const type = String(req.headers['content-type'] ?? '');
  if (!/^application\/(.+\+)?json\b/i.test(type)) throw new ApiError(415, 'unsupported_media_type', 'send the body as application/json');
  try { return JSON.parse(Buffer.concat(chunks).toString('utf8')); } catch (e) { throw new ApiError(400, 'invalid_json', `body is not valid JSON: ${(e as Error).message}`); }
}

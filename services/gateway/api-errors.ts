// The API's one error shape, for every status the gateway answers with:
//   { "error": { "code": "<stable code>", "message": "...", "fields": [{ "field", "message" }] } }
// Route handlers throw ApiError; fastify's own errors (schema validation, body parsing, body
// size, content type) are mapped to the same shape by `apiErrorOf`, so a client reads one
// format whatever refused its request.
import type { FastifyError } from 'fastify';

export type ApiErrorCode = 'unauthorized' | 'forbidden' | 'not_found' | 'method_not_allowed' | 'unsupported_media_type'
  | 'payload_too_large' | 'invalid_json' | 'invalid_request' | 'conflict' | 'too_many_requests' | 'unavailable' | 'internal';

/** Every code, documented: what it means and what the client does about it. */
export const API_ERROR_CODES: Readonly<Record<ApiErrorCode, string>> = Object.freeze({
  unauthorized: 'no bearer token, or an unknown one (401)',
  forbidden: 'the token\'s jurisdiction may not do this to this trace (403)',
  not_found: 'no such route, or no such trace for the caller (404)',
  method_not_allowed: 'the path exists with other methods, listed in Allow (405)',
  unsupported_media_type: 'a body that is not application/json (415)',
  payload_too_large: 'a body over CROSSTRACE_GATEWAY_MAX_BODY_BYTES (413)',
  invalid_json: 'a body that does not parse as JSON (400)',
  invalid_request: 'a field, parameter or query value is missing or invalid; `fields` names each (400)',
  conflict: 'the trace or order is in a state that does not allow this (409)',
  too_many_requests: 'a quota or cap is used up: trace opens per jurisdiction, open streams per token (429)',
  unavailable: 'a dependency (Kafka, the history store) cannot take the request now; retry (503)',
  internal: 'a bug; the gateway logged it (500)',
});

export interface FieldError { field: string; message: string }

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

export const errorBody = (e: ApiError) => ({ error: { code: e.code, message: e.message, ...(e.fields ? { fields: e.fields } : {}) } });

interface AjvIssue { keyword: string; instancePath: string; message?: string; params: Record<string, unknown> }

/** One field error per schema violation, named by the field (a body property, a path
 *  parameter or a query parameter). */
export function fieldErrorsOf(issues: readonly AjvIssue[]): FieldError[] {
  return issues.map((i) => {
    const at = i.instancePath.replace(/^\//, '').replaceAll('/', '.');
    if (i.keyword === 'required') return { field: String(i.params.missingProperty), message: 'is required' };
    if (i.keyword === 'additionalProperties') return { field: String(i.params.additionalProperty), message: 'is not a field of this request' };
    if (i.keyword === 'enum') return { field: at, message: `must be one of ${(i.params.allowedValues as unknown[]).join(', ')}` };
    return { field: at || '(body)', message: i.message ?? `fails ${i.keyword}` };
  });
}

const fieldText = (fields: FieldError[]): string => fields.map((f) => `${f.field} ${f.message}`).join('; ');

export function invalidRequest(fields: FieldError[]): ApiError {
  return new ApiError(400, 'invalid_request', fieldText(fields), { fields });
}

/** Any error a route or fastify raised, as the ApiError the client gets. */
export function apiErrorOf(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  const f = e as FastifyError & { validation?: AjvIssue[] };
  if (f.validation) return invalidRequest(fieldErrorsOf(f.validation));
  switch (f.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE': return new ApiError(413, 'payload_too_large', f.message);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': return new ApiError(415, 'unsupported_media_type', 'send the body as application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY': return new ApiError(400, 'invalid_json', 'content-type is application/json but the body is empty');
    case 'FST_ERR_CTP_INVALID_JSON_BODY': return new ApiError(400, 'invalid_json', `body is not valid JSON: ${f.message}`);
    default: break;
  }
  if (f.statusCode === 400 && e instanceof SyntaxError) return new ApiError(400, 'invalid_json', `body is not valid JSON: ${f.message}`);
  return new ApiError(500, 'internal', 'internal error');
}

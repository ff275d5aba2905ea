// Every crosstrace error: one base class, a stable code, `retriable`, `cause` and the Kafka
// coordinates where known. Codes are documented in ERROR_CODES; a unit test fails when a
// code is used anywhere in services/ without being documented here.
import { RespError } from './resp.ts';

/** Stable codes and what each means. Reason codes on dead letters are these codes. */
export const ERROR_CODES = Object.freeze({
  CT_CONFIG: 'A configuration value is missing or invalid; the message names the key.',
  CT_EMPTY_VALUE: 'The Kafka message has no value (null or zero bytes).',
  CT_OVERSIZED: 'The message value exceeds the configured maximum size.',
  CT_BAD_MAGIC: 'The value does not start with the Confluent wire-format magic byte 0.',
  CT_TRUNCATED: 'The value is shorter than the wire-format header or its Avro body ends early.',
  CT_UNKNOWN_SCHEMA: 'The schema id in the wire-format header is not known to the registry.',
  CT_WRONG_SCHEMA: 'The schema id resolves to a record of another type than the topic carries.',
  CT_MALFORMED_AVRO: 'The Avro body does not decode under its writer schema (or has trailing bytes).',
  CT_INVALID_ADDRESS: 'An address is not a valid IPv4/IPv6 address.',
  CT_INVALID_PREFIX: 'A prefix is not valid CIDR, or too short to index.',
  CT_INVALID_PORT: 'A port is outside 0-65535, or a port range has lo > hi.',
  CT_INVALID_PROTOCOL: 'The IANA protocol number is outside 0-255.',
  CT_IMPOSSIBLE_TIME: 'A time is inverted (start > end), beyond the future tolerance, or negative.',
  CT_TOO_OLD: 'The event is older than the retention horizon (the history store\'s, or without one the live windows\'): nothing keeps it.',
  CT_UNKNOWN_EXPORTER: 'The exporter id is not in the provider registry.',
  CT_EXPORTER_NOT_OF_PROVIDER: 'An exporter\'s raw topic (flows.raw.<providerId>.<exporterId>) carried a record of an exporter the registry gives to another provider: refused (a writer speaks for its own provider only).',
  CT_EXPORTER_NOT_OF_TOPIC: 'An exporter\'s raw topic carried a record naming another exporter: refused (a writer speaks for its own exporter id only).',
  CT_MISSING_FIELD: 'A field required for this event kind is null.',
  CT_CLOCK_FLAGGED: 'The exporter clock is off by more than the flag threshold (hours/days): not absorbed.',
  CT_CLOCK_STEP: 'A record\'s export time lies far behind its exporter\'s clock estimate while the exporter sends on (a delay, or its clock stepped back): its time is uncertain.',
  CT_ARCHIVE_REJECTED: 'The history store (PostgreSQL) refused the record as data (SQLSTATE class 22 or 23): dead-lettered, never retried.',
  CT_MALFORMED_PACKET: 'An IPFIX / NetFlow v9 / RADIUS packet is truncated, has lengths that lie, an unknown version or a template that cannot be.',
  CT_NO_TEMPLATE: 'IPFIX / NetFlow v9 data records whose template did not arrive within the pending timeout, or did not fit the pending buffer.',
  CT_BAD_AUTHENTICATOR: 'A RADIUS Accounting-Request whose Request Authenticator does not verify with the NAS shared secret: dropped, never trusted.',
  CT_UNMAPPED_RECORD: 'A flow or NAT record lacks what flows.raw / sessions.raw need (addresses, times, a NAT event naming a mapping).',
  CT_DEPENDENCY_DOWN: 'The schema registry, Redis or Kafka did not answer; retried, never dead-lettered.',
  CT_REDIS_REJECTED: 'Redis answered with an error for this input (script error, wrong type): not an outage, dead-lettered.',
  CT_REDIS_DENIED: 'Redis refused this client, not the record: its ACL lacks a command or key (NOPERM; in a script "ACL failure in script" or "the user executing the script can\'t"), authentication failed (NOAUTH, WRONGPASS) or writes are refused while snapshots fail (MISCONF). Retried, never dead-lettered; the stage stalls until the deployment is fixed (a running Redis keeps the ACL users it loaded at start: restart it after an ACL change).',
  CT_PROCESSING_FAILED: 'Processing one record threw an unexpected error (a defect, not an outage): dead-lettered with the message.',
  CT_HOT_KEY: 'Too many open lookups wait on one address (CROSSTRACE_*_MAX_WAITERS_PER_KEY): the lookup is refused.',
  CT_SIGNATURE_INVALID: 'A signed trace update does not verify against the publishing node key.',
  CT_LEGAL_PERIOD: 'A preservation order or renewal asked for a period the law does not allow (Budapest Convention Art. 16(2): at most 90 days at a time; renew for longer).',
  CT_AUDIT_CLOCK_BEHIND: 'The tracer\'s clock is behind the newest record of an audit chain it must append to: it publishes no back-dated (nor forward-dated) disclosure; retried until the clock passes that record, the tracer unhealthy meanwhile.',
  CT_AUDIT_CHAIN_BROKEN: 'The audit hash chain does not link (altered, missing or reordered record).',
} as const);

export type ErrorCode = keyof typeof ERROR_CODES;

export interface KafkaCoordinates {
  topic?: string;
  partition?: number;
  offset?: string;
}

export interface CrosstraceErrorOptions extends KafkaCoordinates {
  retriable?: boolean;
  cause?: unknown;
  /** Name of the config key or field concerned. */
  field?: string;
}

export class CrosstraceError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly topic: string | undefined;
  readonly partition: number | undefined;
  readonly offset: string | undefined;
  readonly field: string | undefined;

  constructor(code: ErrorCode, message: string, opts: CrosstraceErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'CrosstraceError';
    this.code = code;
    this.retriable = opts.retriable ?? false;
    this.topic = opts.topic;
    this.partition = opts.partition;
    this.offset = opts.offset;
    this.field = opts.field;
  }
}

/** Bad input: dead-letter it, never retry. */
export function permanent(code: ErrorCode, message: string, opts: CrosstraceErrorOptions = {}): CrosstraceError {
  return new CrosstraceError(code, message, { ...opts, retriable: false });
}

/** A dependency failed: pause, retry, never dead-letter. Unless `cause` shows the dependency
 *  answered and refused this input (a Redis script or type error): that is the record's
 *  fault, retrying it would block its partition forever, so it is CT_REDIS_REJECTED. A Redis
 *  that refused this client (DENIED_REPLY) is retried as CT_REDIS_DENIED. */
export function dependencyDown(message: string, cause: unknown): CrosstraceError {
  // the raw connections' error replies (RespError: ingest's dedupe, AUTH of a bulk connection)
  // name a refusal of the client the same way; their other replies are left as they are
  if ((isReply(cause) || cause instanceof RespError) && DENIED_REPLY.test(cause.message)) return new CrosstraceError('CT_REDIS_DENIED', `${message}: ${cause.message}`, { retriable: true, cause });
  if (isRefusal(cause)) return new CrosstraceError('CT_REDIS_REJECTED', `${message}: ${(cause as Error).message}`, { retriable: false, cause });
  return new CrosstraceError('CT_DEPENDENCY_DOWN', message, { retriable: true, cause });
}

/** Redis replies that mean "the server is unwell, try later", not "this command is wrong". */
const TRANSIENT_REPLY = /^(OOM|BUSY|LOADING|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|NOREPLICAS|READONLY|MOVED|ASK|NOSCRIPT)\b/;

/** Replies that mean "this client may not do this here": the ACL and authentication (NOPERM; in
 *  a script Redis 7.0 says "ERR The user executing the script can't run this command" or "can't
 *  access" a key, 7.2 and later "ERR ACL failure in script: ..."), and writes refused while
 *  snapshots fail (MISCONF). No record causes those (every key is a fixed prefix and record text,
 *  every ACL key pattern a prefix and *): they come from a deployment, e.g. a running Redis keeps
 *  the ACL users it loaded at start, so a release whose service needs a new command meets NOPERM
 *  until Redis restarts. Retried as CT_REDIS_DENIED (a stalled partition's /healthz names it),
 *  never dead-lettered record by record. */
const DENIED_REPLY = /^(NOPERM|NOAUTH|WRONGPASS|MISCONF)\b|^ERR ACL failure in script|^ERR The user executing the script can't (run this command|access)/;

/** An error reply of Redis as ioredis reports it (or as window-store.ts rewraps its own). */
const isReply = (e: unknown): e is Error => e instanceof Error && e.name === 'ReplyError';

/** A reply refusing the input (dependencyDown asks after DENIED_REPLY, which it names first). */
function isRefusal(e: unknown): boolean {
  return isReply(e) && !TRANSIENT_REPLY.test(e.message);
}

/** Socket-level failures (Node error codes) and client errors that mean "not reachable now". */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);
const CLIENT_OUTAGE = /^KafkaJS|^MaxRetriesPerRequestError$|^AbortError$/;
const OUTAGE_MESSAGE = /Connection is closed|Stream isn't writeable|fetch failed|socket hang up/i;

function isOutage(e: unknown, depth = 0): boolean {
  if (!(e instanceof Error) || depth > 4) return false;
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  if (CLIENT_OUTAGE.test(e.name) || OUTAGE_MESSAGE.test(e.message)) return true;
  return isOutage(e.cause, depth + 1);
}

/**
 * The one classification of anything a stage throws: a CrosstraceError keeps its own; a
 * dependency that did not answer (Kafka client, Redis connection, network) or a Redis that
 * cannot serve now (LOADING, BUSY...) is retriable CT_DEPENDENCY_DOWN; a Redis that refused this
 * client (ACL, authentication, MISCONF) retriable CT_REDIS_DENIED; a Redis refusal of the input
 * is CT_REDIS_REJECTED; anything else (a TypeError from a
 * record nobody foresaw) is CT_PROCESSING_FAILED, not retriable: that record is dead-lettered.
 */
export function classify(err: unknown): CrosstraceError {
  if (err instanceof CrosstraceError) return err;
  // every reply of Redis: a transient one (LOADING after a restart, BUSY) or a refusal of this
  // client is retried, never dead-lettered as a processing failure
  if (isReply(err) || isOutage(err)) return dependencyDown(err instanceof Error ? err.message : String(err), err);
  const msg = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return new CrosstraceError('CT_PROCESSING_FAILED', `processing failed: ${msg}`, { retriable: false, cause: err });
}

export function isPermanent(err: unknown): err is CrosstraceError {
  return err instanceof CrosstraceError && !err.retriable;
}

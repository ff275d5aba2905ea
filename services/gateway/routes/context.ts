// What the route plugins get: the gateway's dependencies, and the caller fastify attached to
// the request from its bearer token (api-server.ts).
import type { FastifyInstance } from 'fastify';
import type { TraceRequest } from '../../../schemas/types.gen.ts';
import type { RequestQuota } from '../request-quota.ts';
import type { OpenLimits } from '../../partner/domain/open-request.ts';
import type { TraceBook } from '../trace-book.ts';
import type { PreservationStore } from '../preservation-port.ts';

export interface GatewayDeps {
  book: TraceBook;
  /** Produces a TraceRequest to trace.requests keyed by traceId; rejects when Kafka is unavailable. */
  submit(req: TraceRequest): Promise<void>;
  now(): number;
  newTraceId(): string;
  limits: OpenLimits;
  /** Quota on trace opens per caller jurisdiction (routes with config.quota 'open'); none = unlimited. */
  openQuota?: RequestQuota;
  /** Quota on every other request that changes something (extend, close, preservation orders;
   *  config.quota 'change') per caller jurisdiction; none = unlimited. */
  changeQuota?: RequestQuota;
  /** An extension must move a trace's expiry by at least this much, ms (common/extend-step.ts). */
  minExtendStepMs?: number;
  /** Interval of SSE keep-alive comments, ms. */
  heartbeatMs: number;
  /** Open /v1/stream connections one token may hold at once; one more answers 429. */
  maxStreamsPerToken: number;
  /** Traces whose newest view may wait for a slow stream reader; beyond it the stream is ended. */
  maxPendingPerStream: number;
  /** The history store's preservation orders; absent without DATABASE_URL (routes answer 503). */
  preservation?: PreservationStore;
  /** Called when a stream opens (+1) or closes (-1). */
  onStream?(cc: string, delta: 1 | -1): void;
  /** Called when a stream is ended because its reader fell too far behind. */
  onStreamOverflow?(cc: string): void;
}

/** The caller, from the bearer token: its jurisdiction and an id of the token (a digest, never
 *  the token); `stillValid` asks the token table again (a token revoked while a stream is open,
 *  `admin partner remove`, ends the stream). */
export interface Caller { cc: string; tokenId: string; stillValid(): boolean }

declare module 'fastify' {
  interface FastifyRequest { caller: Caller }
  interface FastifyContextConfig { public?: boolean; quota?: 'open' | 'change' }
}

export type RoutePlugin = (app: FastifyInstance, deps: GatewayDeps) => void;

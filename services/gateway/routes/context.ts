// What every route handler gets: the request and response, the caller's jurisdiction (from
// the bearer token), path parameters, and the gateway's dependencies.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TraceRequest } from '../../../schemas/types.gen.ts';
import type { OpenQuota } from '../open-quota.ts';
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
  /** Quota on trace opens per caller jurisdiction; none = unlimited. */
  openQuota?: OpenQuota;
  /** Largest request body accepted, bytes. */
  maxBodyBytes: number;
  /** Interval of SSE keep-alive comments, ms. */
  heartbeatMs: number;
  /** The history store's preservation orders; absent without DATABASE_URL (routes answer 503). */
  preservation?: PreservationStore;
  /** Called when a stream opens (+1) or closes (-1). */
  onStream?(cc: string, delta: 1 | -1): void;
}

export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  /** Jurisdiction of the caller's token; '' on public routes. */
  cc: string;
  params: Record<string, string>;
  url: URL;
  deps: GatewayDeps;
}

export type Handler = (ctx: RouteContext) => Promise<void> | void;

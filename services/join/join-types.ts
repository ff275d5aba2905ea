// Shared vocabulary of the join, used by the correlator (event side) and the tracer
// (lookup side). Pure types: no I/O. Wire records come from schemas/types.gen.ts.
import type { FlowEvent, Hop, SessionEvent } from '../../schemas/types.gen.ts';

/** A normalised event as stored in a Redis window under one address key. */
export type IndexedEvent =
  | { kind: 'session'; ev: SessionEvent; /** Kafka produce time of the event, UTC ms. */ producedAt: number }
  | {
      kind: 'flow';
      /** 'in' = indexed under its destination address, 'out' = under its source address. */
      dir: 'in' | 'out';
      ev: FlowEvent;
      producedAt: number;
    };

/** What a lookup wants resolved. */
export type LookupMode =
  /** ip[:port] at t -> session logs (NAT, port block, access, VPN) and RFC 7422 rules. */
  | 'session'
  /** relay R: outbound flow R -> peer vs. inbound flows * -> R overlapping in time. */
  | 'relay';

/** A waiter: one open end of a trace chain, registered in the window of `addr`. */
export interface Lookup {
  /** Deterministic: hash(traceId, parentHopId, mode, addr, port). */
  lookupId: string;
  traceId: string;
  /** Hop whose leadsTo endpoint this resolves; null for the requester's observation. */
  parentHopId: string | null;
  /** Depth the resulting hops get (parent depth + 1). */
  depth: number;
  mode: LookupMode;
  /** Address to resolve, canonical text. */
  addr: string;
  /** Provider whose address space `addr` is in when it is not globally unique (RFC 1918,
   *  RFC 6598 shared space, ULA): inside addresses repeat across providers, so their windows
   *  are scoped by provider. Null for global addresses. */
  scopeProviderId: string | null;
  /** Port to resolve; null when unknown (then every session on addr at t is a candidate). */
  port: number | null;
  /** IANA protocol of the traced connection, null if unknown. */
  protocol: number | null;
  /** Remote end of the traced connection as seen at this address (victim side), for relay and NAT logs that record it. */
  peerAddr: string | null;
  peerPort: number | null;
  /** Event-time window the observation lies in, UTC ms, tolerance included. */
  windowFrom: number;
  windowTo: number;
  /** UTC ms the lookup was registered (its age shows as stalled time). */
  since: number;
}

/** A hop as a matcher yields it; which store's records decided it (`source`) is the caller's
 *  to say (resolveLookup: the records it was given; the tracer's archive read: ARCHIVE). */
export type HopCandidate = Omit<Hop, 'source' | 'pathConfidence' | 'onBestPath'>;

/** Tunables of the matchers; all times in ms. */
export interface JoinOptions {
  /** Ceiling of the per-provider maximum session ages: a START with no STOP is taken as open
   *  for at most its provider's age for its kind (join/methods/session-ages.ts), never longer
   *  than this (lost stop). Default 14 days. */
  maxSessionAgeMs: number;
  /** Extra event-time slack for exporter clock error on top of the lookup window. Default 2000. */
  clockToleranceMs: number;
}

export const DEFAULT_JOIN_OPTIONS: Readonly<JoinOptions> = Object.freeze({
  maxSessionAgeMs: 14 * 24 * 3600_000,
  clockToleranceMs: 2_000,
});

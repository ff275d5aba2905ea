// Raw provider records as a device would export them: device-clock times (true time + the
// exporter's clock skew), RADIUS Acct-Delay-Time folded into the send time, an export delay
// between the device closing a record and Kafka receiving it. Every record carries the true
// wall time it is due to be produced (emitAt). Pure.
import type { FlowEndReason, FlowEvent, SessionEvent } from '../../schemas/types.gen.ts';
import type { ErrorCode } from '../common/errors.ts';
import type { Rng } from './relay-traffic.ts';
import type { ExporterSettings } from './scenario.ts';

export interface ExporterModel extends ExporterSettings {
  id: string;
  providerId: string;
}

interface Due {
  /** True wall time (UTC ms) at which the record is to be produced. */
  emitAt: number;
  /** Set on records the scenario deliberately makes bad: the code ingest must reject them with. */
  expectBad?: ErrorCode;
}

export type RawOut =
  | (Due & { topic: 'flows.raw'; key: string; value: FlowEvent })
  | (Due & { topic: 'sessions.raw'; key: string; value: SessionEvent });

export type SessionFields = Partial<SessionEvent> & Pick<SessionEvent, 'kind' | 'action'>;

const NO_SESSION_FIELDS = {
  natEvent: null, protocol: null, outsideAddr: null, outsidePort: null, portRangeStart: null, portRangeEnd: null, insideAddr: null,
  insidePort: null, framedIpAddress: null, framedIpv6Prefix: null, delegatedIpv6Prefix: null, acctSessionId: null, acctDelayTime: null,
  subscriberHandle: null, jurisdiction: null, providerId: null, clockOffsetMs: 0,
} as const;

export interface SessionTiming {
  /** RADIUS Acct-Delay-Time, whole seconds: the NAS sent the record this long after the event. */
  acctDelayS?: number;
  /** The device exports no earlier than this (backfill at start, withheld evidence), UTC ms. */
  notBefore?: number;
  /** Extra delay on top (a late STOP), ms. */
  lateMs?: number;
}

const transit = (ex: ExporterModel, r: Rng): number => r.uniform(ex.exportDelayMs[0], ex.exportDelayMs[1]);

/** A session record for an event that truly happened at `trueTime` (UTC ms). */
export function sessionOut(ex: ExporterModel, r: Rng, eventId: string, trueTime: number, f: SessionFields, t: SessionTiming = {}): RawOut {
  const delay = t.acctDelayS ?? 0;
  const sentAt = trueTime + delay * 1000;
  const exportedAt = Math.max(sentAt, t.notBefore ?? -Infinity) + (t.lateMs ?? 0);
  const value: SessionEvent = {
    ...NO_SESSION_FIELDS, ...f, acctDelayTime: f.kind === 'ACCESS_SESSION' ? delay : null,
    eventId, exporterId: ex.id, eventTime: Math.round(sentAt + ex.clockSkewMs), exportTime: Math.round(exportedAt + ex.clockSkewMs),
  };
  return { topic: 'sessions.raw', key: ex.providerId, emitAt: Math.round(exportedAt + transit(ex, r)), value };
}

export interface FlowEnds {
  srcAddr: string;
  srcPort: number | null;
  dstAddr: string;
  dstPort: number | null;
  protocol: number;
  /** Post-NAT source as a NAT-side exporter reports it. */
  postNatSrcAddr?: string | null;
  postNatSrcPort?: number | null;
}

/** One flow record for [from, to] (true UTC ms), closed by the exporter at `closedAt`. */
export function flowOut(ex: ExporterModel, r: Rng, eventId: string, e: FlowEnds, from: number, to: number, octets: number, packets: number, endReason: FlowEndReason, closedAt: number): RawOut {
  const value: FlowEvent = {
    eventId, exporterId: ex.id, exportTime: Math.round(closedAt + ex.clockSkewMs),
    srcAddr: e.srcAddr, srcPort: e.srcPort, dstAddr: e.dstAddr, dstPort: e.dstPort, protocol: e.protocol,
    startTime: Math.round(from + ex.clockSkewMs), endTime: Math.round(to + ex.clockSkewMs),
    octets: Math.round(octets), packets: octets > 0 ? Math.max(1, Math.round(packets)) : 0,
    postNatSrcAddr: e.postNatSrcAddr ?? null, postNatSrcPort: e.postNatSrcPort ?? null,
    endReason, jurisdiction: null, providerId: null, clockOffsetMs: 0,
  };
  return { topic: 'flows.raw', key: ex.id, emitAt: Math.round(closedAt + transit(ex, r)), value };
}

/** Sequential, run-unique event ids per stream (a rerun must not be taken for duplicates). */
export function createIdSource(runId: string) {
  const seq = new Map<string, number>();
  return (stream: string): string => {
    const n = (seq.get(stream) ?? 0) + 1;
    seq.set(stream, n);
    return `${runId}-${stream}-${n}`;
  };
}

export type IdSource = ReturnType<typeof createIdSource>;

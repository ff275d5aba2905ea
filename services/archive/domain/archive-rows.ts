// What one normalised record becomes in the history store: a record row (the evidence the
// join's matchers read back) and, for sessions, the interval rows that index it by address,
// port and validity. Pure: the caller decodes the Avro value and reads the Kafka headers.
// Session keys come from the matchers' own kind specs (services/join/matchers), so an
// interval groups exactly the records the matchers pair into one session.
import type { FlowEvent, SessionEvent } from '../../../schemas/types.gen.ts';
import { isScopedAddress } from '../../common/address.ts';
import { KIND_SPECS } from '../../join/matchers/session-kinds.ts';

/** The routing headers ingest sets on flows.norm / sessions.norm, already parsed. */
export interface RecordMeta {
  /** Kafka key: the window key the record is indexed under. */
  windowKey: string;
  /** ct-uid: exporterId/eventId, the idempotence key. */
  uid: string;
  /** ct-time: event time, UTC ms. */
  at: number;
  /** ct-origin-ts (or the Kafka timestamp): when the provider produced it, UTC ms. */
  producedAt: number;
  /** The Confluent-framed Avro value, stored as consumed. */
  value: Buffer;
}

export interface SessionRecordRow extends RecordMeta { sessionKey: string }

/** One address a session covers, with what is known of its validity (UTC ms; null = unknown). */
export interface SessionIntervalRow {
  sessionKey: string;
  /** Provider id for provider-scoped (inside) addresses, '' for global ones. */
  scope: string;
  /** CIDR text: an exact address as /32 or /128, or an access prefix. */
  addr: string;
  /** Inclusive port range; [0, 65535] when the session covers every port. */
  portLo: number;
  portHi: number;
  kind: SessionEvent['kind'];
  providerId: string | null;
  leadsTo: string | null;
  startAt: number | null;
  evidenceAt: number | null;
  stopAt: number | null;
}

export interface FlowRow extends RecordMeta {
  dir: 'in' | 'out';
  src: string; srcPort: number | null;
  dst: string; dstPort: number | null;
}

const ALL_PORTS: readonly [number, number] = [0, 65535];

const asCidr = (addr: string): string => (addr.includes('/') ? addr : `${addr}/${addr.includes(':') ? 128 : 32}`);
const endpoint = (addr: string | null, port: number | null): string | null => (addr === null ? null : port === null ? addr : `${addr}:${port}`);

/** Addresses (with their ports) a session record claims, per kind. */
function claims(ev: SessionEvent): { addr: string; ports: readonly [number, number] }[] {
  switch (ev.kind) {
    case 'NAT_SESSION':
    case 'VPN_SESSION':
      if (ev.outsideAddr === null) return [];
      return [{ addr: ev.outsideAddr, ports: ev.outsidePort === null ? ALL_PORTS : [ev.outsidePort, ev.outsidePort] }];
    case 'PORT_BLOCK':
      if (ev.outsideAddr === null || ev.portRangeStart === null || ev.portRangeEnd === null) return [];
      return [{ addr: ev.outsideAddr, ports: [ev.portRangeStart, ev.portRangeEnd] }];
    case 'ACCESS_SESSION':
      return [ev.framedIpAddress, ev.framedIpv6Prefix, ev.delegatedIpv6Prefix]
        .filter((a): a is string => a !== null)
        .map((addr) => ({ addr, ports: ALL_PORTS }));
  }
}

/** The record row and interval rows of one normalised session record. */
export function sessionRows(meta: RecordMeta, ev: SessionEvent): { record: SessionRecordRow; intervals: SessionIntervalRow[] } {
  const spec = KIND_SPECS[ev.kind];
  const sessionKey = `${ev.kind}|${spec.rules.sessionKey(ev)}`;
  const t = ev.eventTime;
  const leadsTo = ev.kind === 'ACCESS_SESSION' ? null : endpoint(ev.insideAddr, ev.kind === 'PORT_BLOCK' ? null : ev.insidePort);
  const intervals = claims(ev).map(({ addr, ports }): SessionIntervalRow => ({
    sessionKey,
    scope: isScopedAddress(addr.split('/')[0] ?? addr) ? (ev.providerId ?? `exporter:${ev.exporterId}`) : '',
    addr: asCidr(addr), portLo: ports[0], portHi: ports[1],
    kind: ev.kind, providerId: ev.providerId, leadsTo,
    startAt: ev.action === 'STOP' ? null : t,
    evidenceAt: ev.action === 'STOP' ? null : t,
    stopAt: ev.action === 'STOP' ? t : null,
  }));
  return { record: { ...meta, sessionKey }, intervals };
}

/** The row of one normalised flow copy ('in' = under its destination, 'out' = its source). */
export function flowRow(meta: RecordMeta, dir: 'in' | 'out', ev: FlowEvent): FlowRow {
  return { ...meta, dir, src: ev.srcAddr, srcPort: ev.srcPort, dst: ev.dstAddr, dstPort: ev.dstPort };
}

/** UTC day (YYYY-MM-DD) of a UTC ms instant: the flow partition it belongs to. */
export const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

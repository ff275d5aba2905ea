// One decoded IPFIX / NetFlow v9 record -> a flows.raw FlowEvent or, when it carries a
// natEvent (RFC 8158), a sessions.raw SessionEvent; or the reason it maps to nothing.
// Times stay on the exporter's clock (ingest corrects them): absolute IEs as they are,
// sysUptime-relative ones converted with the export header (NetFlow v9) or the exporter's
// systemInitTimeMilliseconds (IPFIX, learned from an options record). Pure.
import type { FlowEndReason, FlowEvent, SessionEvent } from '../../../schemas/types.gen.ts';
import type { RecordFields } from './data-records.ts';
import type { ExportHeader } from './export-messages.ts';

export interface ExporterRef { exporterId: string; providerId: string }

export type Mapped =
  | { topic: 'flows.raw'; key: string; value: FlowEvent }
  | { topic: 'sessions.raw'; key: string; value: SessionEvent }
  /** Valid, but names no flow or mapping (e.g. natEvent 3 addresses exhausted): counted, not sent. */
  | { ignored: string }
  /** Cannot be mapped: dead-lettered. */
  | { unmapped: string };

const END_REASONS: FlowEndReason[] = ['IDLE_TIMEOUT', 'ACTIVE_TIMEOUT', 'END_OF_FLOW', 'FORCED_END', 'LACK_OF_RESOURCES'];
/** RFC 8158 natEvent: creates (NAT44/64 session, BIB, address binding, port block; 1 is the historic create) and deletes. */
const NAT_CREATE = new Set([1, 4, 6, 8, 10, 14, 16]);
const NAT_DELETE = new Set([2, 5, 7, 9, 11, 15, 17]);
const PORT_BLOCK_EVENTS = new Set([16, 17]);

/** a - b on a 32-bit ms clock, as the nearest signed distance (|d| < 2^31 ms, about 24.8 days). */
function uptimeDistance(a: number, b: number): number {
  const d = (((a - b) % 2 ** 32) + 2 ** 32) % 2 ** 32;
  return d >= 2 ** 31 ? d - 2 ** 32 : d;
}

/** Absolute time of a sysUptime value (ms), or undefined when the reference is unknown. The
 *  uptime counter is 32 bits of ms and wraps every 49.7 days; a value is read as the nearest
 *  instant to the export (so a wrapped counter, or an exporter like softflowd reading a capture
 *  older than its own start, still gives the right time). */
function fromUptime(up: number | undefined, h: ExportHeader, systemInitMs: number | undefined): number | undefined {
  if (up === undefined) return undefined;
  if (h.sysUptimeMs !== null) return h.exportMs - uptimeDistance(h.sysUptimeMs, up);
  return systemInitMs === undefined ? undefined : h.exportMs - uptimeDistance(h.exportMs - systemInitMs, up);
}

function flowTimes(f: RecordFields, h: ExportHeader, systemInitMs: number | undefined): [number, number] | string {
  let start = f.startMs ?? (f.startSec !== undefined ? f.startSec * 1000 : fromUptime(f.startUptime, h, systemInitMs));
  let end = f.endMs ?? (f.endSec !== undefined ? f.endSec * 1000 : fromUptime(f.endUptime, h, systemInitMs));
  if ((f.startUptime !== undefined || f.endUptime !== undefined) && start === undefined && end === undefined) {
    return 'sysUptime-relative times but no systemInitTimeMilliseconds from this exporter yet';
  }
  start ??= end ?? f.observationMs;
  end ??= start;
  if (start === undefined || end === undefined) return 'no flow start or end time';
  return [start, end];
}

export function recordId(h: ExportHeader, setIndex: number, recordIndex: number): string {
  return `${h.domain}-${h.exportMs / 1000}-${h.sequence}-${setIndex}-${recordIndex}`;
}

export function mapRecord(f: RecordFields, h: ExportHeader, eventId: string, ex: ExporterRef, systemInitMs: number | undefined): Mapped {
  if (f.invalid) return { unmapped: f.invalid };
  if (f.natEvent !== undefined) return mapNatEvent(f, h, eventId, ex);
  if (f.srcAddr === undefined || f.dstAddr === undefined) return { unmapped: 'no source or destination address' };
  if (f.protocol === undefined) return { unmapped: 'no protocolIdentifier' };
  const t = flowTimes(f, h, systemInitMs);
  if (typeof t === 'string') return { unmapped: t };
  const value: FlowEvent = {
    eventId, exporterId: ex.exporterId, exportTime: h.exportMs,
    srcAddr: f.srcAddr, srcPort: f.srcPort ?? null, dstAddr: f.dstAddr, dstPort: f.dstPort ?? null, protocol: f.protocol,
    startTime: t[0], endTime: t[1], octets: f.octets ?? 0, packets: f.packets ?? 0,
    postNatSrcAddr: f.postNatSrcAddr ?? null, postNatSrcPort: f.postNatSrcPort ?? null,
    // no flowEndReason (NetFlow v9, softflowd): the exporter expired the flow
    endReason: END_REASONS[(f.endReason ?? 3) - 1] ?? 'END_OF_FLOW',
    jurisdiction: null, providerId: null, clockOffsetMs: 0,
  };
  return { topic: 'flows.raw', key: ex.exporterId, value };
}

const NO_SESSION = {
  protocol: null, outsideAddr: null, outsidePort: null, portRangeStart: null, portRangeEnd: null, insideAddr: null, insidePort: null,
  framedIpAddress: null, framedIpv6Prefix: null, delegatedIpv6Prefix: null, acctSessionId: null, acctDelayTime: null,
  subscriberHandle: null, jurisdiction: null, providerId: null, clockOffsetMs: 0,
} as const;

/** A port block's protocol: none sent, 0 (HOPOPT) or 255 (reserved), as some CGNs send for
 *  "any", is a block for every protocol (null). */
const blockProtocol = (p: number | undefined): number | null => (p === undefined || p === 0 || p === 255 ? null : p);

function mapNatEvent(f: RecordFields, h: ExportHeader, eventId: string, ex: ExporterRef): Mapped {
  const ev = f.natEvent!;
  const create = NAT_CREATE.has(ev);
  if (!create && !NAT_DELETE.has(ev)) return { ignored: `natEvent ${ev} names no mapping` };
  const hasRange = f.portRangeStart !== undefined;
  if (!hasRange && (ev === 14 || ev === 15)) return { ignored: `natEvent ${ev} (address binding) without a port range names no port owner` };
  if (f.srcAddr === undefined || f.postNatSrcAddr === undefined) return { unmapped: `natEvent ${ev}: needs sourceIPv4/IPv6Address and postNATSourceIPv4/IPv6Address` };
  const eventTime = f.observationMs ?? (create ? f.startMs : f.endMs) ?? f.startMs ?? f.endMs ?? h.exportMs;
  const base = { ...NO_SESSION, eventId, exporterId: ex.exporterId, exportTime: h.exportMs, natEvent: ev, eventTime, action: create ? 'START' : 'STOP', insideAddr: f.srcAddr, outsideAddr: f.postNatSrcAddr } as const;
  if (hasRange || PORT_BLOCK_EVENTS.has(ev)) {
    const lo = f.portRangeStart;
    if (lo === undefined) return { unmapped: `natEvent ${ev}: port block without portRangeStart` };
    const step = f.portRangeStep ?? 1;
    if (step > 1) return { unmapped: `natEvent ${ev}: non-contiguous port block (portRangeStepSize ${step}) cannot be represented` };
    const hi = f.portRangeEnd ?? (f.portRangeNum !== undefined && f.portRangeNum > 0 ? lo + f.portRangeNum - 1 : undefined);
    if (hi === undefined || hi > 65535 || hi < lo) return { unmapped: `natEvent ${ev}: port block ${lo}-${hi ?? '?'} is not a range` };
    return { topic: 'sessions.raw', key: ex.providerId, value: { ...base, kind: 'PORT_BLOCK', protocol: blockProtocol(f.protocol), portRangeStart: lo, portRangeEnd: hi, insidePort: null } };
  }
  if (f.postNatSrcPort === undefined) return { unmapped: `natEvent ${ev}: NAT session without postNAPTSourceTransportPort` };
  return {
    topic: 'sessions.raw', key: ex.providerId,
    value: { ...base, kind: 'NAT_SESSION', protocol: f.protocol ?? null, outsidePort: f.postNatSrcPort, insidePort: f.srcPort ?? null },
  };
}

// The simulated devices' records as real exporters put them on the wire (wire mode):
// - a flow record -> an IPFIX data record (RFC 7011) with absolute millisecond times
//   (flowStart/EndMilliseconds, as a CGN or router with an IPFIX exporter sends them, and as
//   softflowd does with -v 10), flowEndReason (RFC 5102) and the post-NAT source when the
//   device is NAT-side; one template per combination of fields present (v4 / v6, ports,
//   post-NAT), announced in the first message and again every templateRefreshMs (RFC 7011 8.4:
//   a UDP exporter resends its templates periodically);
// - a NAT session create / delete -> an RFC 8158 NAT44 session event (natEvent 4 / 5 with the
//   inside and post-NAT source address and port and the protocol; the destination, which the
//   simulator's session records do not carry, is left out);
// - a port-block allocate / release -> an RFC 8158 "port block allocation / de-allocation"
//   event (natEvent 16 / 17, the IEs of its 4.3 template: observationTimeMilliseconds,
//   natEvent, sourceIPv4Address, postNATSourceIPv4Address, portRangeStart/End/StepSize/NumPorts);
// - an access-session record -> a RADIUS Accounting-Request (RFC 2866): Acct-Status-Type
//   Start / Interim-Update / Stop, Acct-Session-Id, User-Name (the account), NAS-IP-Address,
//   Framed-IP-Address, Framed-IPv6-Prefix / Delegated-IPv6-Prefix (RFC 3162 form),
//   Acct-Delay-Time, Event-Timestamp (RFC 2869, whole seconds) as radclient and NASes send them.
// The framing (sets, headers, the Request Authenticator) comes from the collector's writers,
// which share no code with its parsers; which IEs and attributes carry what is decided here.
// A record with no wire form (VPN sessions, NAT64 blocks) is refused and stays on Avro. Pure.
import type { FlowEndReason, FlowEvent, SessionEvent } from '../../schemas/types.gen.ts';
import type { RadiusAttribute } from '../collector/domain/radius-packet.ts';
import { dataSet, encodeValue, ipfixMessage, ipfixTemplateSet, type WriterField, type WriterTemplate } from '../collector/domain/export-writer.ts';

/** IANA IPFIX information element ids used here. */
const IE = {
  octetDeltaCount: 1, packetDeltaCount: 2, protocolIdentifier: 4, sourceTransportPort: 7, sourceIPv4Address: 8,
  destinationTransportPort: 11, destinationIPv4Address: 12, sourceIPv6Address: 27, destinationIPv6Address: 28,
  flowEndReason: 136, flowStartMilliseconds: 152, flowEndMilliseconds: 153, postNATSourceIPv4Address: 225,
  postNAPTSourceTransportPort: 227, natEvent: 230, postNATSourceIPv6Address: 281, observationTimeMilliseconds: 323,
  portRangeStart: 361, portRangeEnd: 362, portRangeStepSize: 363, portRangeNumPorts: 364,
} as const;

/** RFC 5102 flowEndReason codes. */
const END_REASON: Record<FlowEndReason, number> = { IDLE_TIMEOUT: 1, ACTIVE_TIMEOUT: 2, END_OF_FLOW: 3, FORCED_END: 4, LACK_OF_RESOURCES: 5 };
/** RFC 8158 natEvent: NAT44 session create / delete, port block allocation / de-allocation. */
const NAT44_SESSION_CREATE = 4;
const NAT44_SESSION_DELETE = 5;
const PORT_BLOCK_ALLOC = 16;
const PORT_BLOCK_FREE = 17;

type Value = number | string;
type Cell = [id: number, length: number, value: Value];

const isV6 = (a: string) => a.includes(':');

/** The IEs of one flow record, or null when it has no IPFIX form here (mixed address families). */
export function flowCells(v: FlowEvent): Cell[] | null {
  const v6 = isV6(v.srcAddr);
  if (v6 !== isV6(v.dstAddr) || (v.postNatSrcAddr !== null && isV6(v.postNatSrcAddr) !== v6)) return null;
  const cells: Cell[] = [
    [v6 ? IE.sourceIPv6Address : IE.sourceIPv4Address, v6 ? 16 : 4, v.srcAddr],
    [v6 ? IE.destinationIPv6Address : IE.destinationIPv4Address, v6 ? 16 : 4, v.dstAddr],
  ];
  if (v.srcPort !== null) cells.push([IE.sourceTransportPort, 2, v.srcPort]);
  if (v.dstPort !== null) cells.push([IE.destinationTransportPort, 2, v.dstPort]);
  cells.push([IE.protocolIdentifier, 1, v.protocol], [IE.octetDeltaCount, 8, v.octets], [IE.packetDeltaCount, 8, v.packets],
    [IE.flowStartMilliseconds, 8, v.startTime], [IE.flowEndMilliseconds, 8, v.endTime], [IE.flowEndReason, 1, END_REASON[v.endReason]]);
  if (v.postNatSrcAddr !== null) cells.push([v6 ? IE.postNATSourceIPv6Address : IE.postNATSourceIPv4Address, v6 ? 16 : 4, v.postNatSrcAddr]);
  if (v.postNatSrcPort !== null) cells.push([IE.postNAPTSourceTransportPort, 2, v.postNatSrcPort]);
  return cells;
}

/** The IEs of a NAT44 session event, or null for anything else (IPv6, no ports, INTERIM). */
export function natSessionCells(v: SessionEvent): Cell[] | null {
  if (v.kind !== 'NAT_SESSION' || v.action === 'INTERIM') return null;
  const { insideAddr: inside, outsideAddr: outside, insidePort, outsidePort, protocol } = v;
  if (inside === null || outside === null || insidePort === null || outsidePort === null || protocol === null || isV6(inside) || isV6(outside)) return null;
  return [
    [IE.observationTimeMilliseconds, 8, v.eventTime], [IE.natEvent, 1, v.action === 'START' ? NAT44_SESSION_CREATE : NAT44_SESSION_DELETE],
    [IE.sourceIPv4Address, 4, inside], [IE.postNATSourceIPv4Address, 4, outside], [IE.protocolIdentifier, 1, protocol],
    [IE.sourceTransportPort, 2, insidePort], [IE.postNAPTSourceTransportPort, 2, outsidePort],
  ];
}

/** The IEs of a port-block event (NAT44 only: RFC 8158 defines the block template for IPv4), else null. */
export function portBlockCells(v: SessionEvent): Cell[] | null {
  if (v.kind !== 'PORT_BLOCK' || v.action === 'INTERIM') return null;
  const { insideAddr: inside, outsideAddr: outside, portRangeStart: lo, portRangeEnd: hi } = v;
  if (inside === null || outside === null || lo === null || hi === null || isV6(inside) || isV6(outside)) return null;
  return [
    [IE.observationTimeMilliseconds, 8, v.eventTime], [IE.natEvent, 1, v.action === 'START' ? PORT_BLOCK_ALLOC : PORT_BLOCK_FREE],
    [IE.sourceIPv4Address, 4, inside], [IE.postNATSourceIPv4Address, 4, outside],
    [IE.portRangeStart, 2, lo], [IE.portRangeEnd, 2, hi], [IE.portRangeStepSize, 2, 1], [IE.portRangeNumPorts, 2, hi - lo + 1],
  ];
}

export interface IpfixExporterOptions {
  /** Observation domain id of the device. Default 1. */
  domain?: number;
  /** Largest message, bytes (a path-MTU-sized datagram). Default 1400. */
  maxMessageBytes?: number;
  /** Templates are sent again this often, device ms. Default 5000. */
  templateRefreshMs?: number;
}

/** One device's IPFIX exporting process over UDP: template ids, the sequence number, refresh. */
export function createIpfixExporter(o: IpfixExporterOptions = {}) {
  const domain = o.domain ?? 1;
  const maxBytes = o.maxMessageBytes ?? 1400;
  const refreshMs = o.templateRefreshMs ?? 5000;
  const templates = new Map<string, WriterTemplate>();
  let announced = new Set<number>();
  let lastRefresh = -Infinity;
  let sequence = 0;

  const templateOf = (cells: Cell[]): WriterTemplate => {
    const sig = cells.map(([id, len]) => `${id}/${len}`).join(',');
    let t = templates.get(sig);
    if (!t) {
      t = { id: 256 + templates.size, fields: cells.map(([id, length]): WriterField => ({ id, length })) };
      templates.set(sig, t);
    }
    return t;
  };

  return {
    /** IPFIX messages carrying `records` (each the IEs of one data record), exported at `nowMs` on the device's clock. */
    encode(records: Cell[][], nowMs: number): Buffer[] {
      if (nowMs - lastRefresh >= refreshMs) { announced = new Set(); lastRefresh = nowMs; }
      const exportSec = Math.floor(nowMs / 1000);
      const out: Buffer[] = [];
      let sets: Buffer[] = [];
      let size = 16;
      let count = 0;
      const cur: { run: { t: WriterTemplate; recs: Buffer[] } | null } = { run: null };
      const closeRun = () => { if (cur.run) { sets.push(dataSet(cur.run.t.id, cur.run.recs)); cur.run = null; } };
      const closeMessage = () => {
        closeRun();
        if (sets.length) out.push(ipfixMessage({ exportSec, sequence: sequence >>> 0, domain }, sets));
        sequence += count;
        sets = []; size = 16; count = 0;
      };
      for (const cells of records) {
        const t = templateOf(cells);
        const rec = Buffer.concat(cells.map(([id, length, v]) => encodeValue({ id, length }, v)));
        const tmpl = announced.has(t.id) ? null : ipfixTemplateSet([t]);
        const grow = rec.length + (tmpl?.length ?? 0) + (cur.run?.t === t ? 0 : 4);
        if (size + grow > maxBytes && count > 0) closeMessage();
        if (tmpl) { closeRun(); sets.push(tmpl); announced.add(t.id); size += tmpl.length; }
        if (cur.run?.t !== t) { closeRun(); cur.run = { t, recs: [] }; size += 4; }
        cur.run!.recs.push(rec);
        size += rec.length;
        count++;
      }
      closeMessage();
      return out;
    },
  };
}

export type IpfixExporter = ReturnType<typeof createIpfixExporter>;

/** RADIUS attribute types (RFC 2865, 2866, 2869, 3162, 4818). */
const RAD = {
  USER_NAME: 1, NAS_IP_ADDRESS: 4, FRAMED_IP_ADDRESS: 8, ACCT_STATUS_TYPE: 40, ACCT_DELAY_TIME: 41, ACCT_SESSION_ID: 44,
  ACCT_AUTHENTIC: 45, EVENT_TIMESTAMP: 55, FRAMED_IPV6_PREFIX: 97, DELEGATED_IPV6_PREFIX: 123,
} as const;
const STATUS = { START: 1, STOP: 2, INTERIM: 3 } as const;

const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32BE(n >>> 0); return b; };
const ipv4 = (a: string) => Buffer.from(a.split('.').map(Number));

/** RFC 3162 2.3 prefix attribute value: reserved, prefix length, the prefix's significant octets. */
export function prefixAttribute(cidr: string): Buffer {
  const [addr, len] = cidr.split('/') as [string, string];
  const bits = Number(len);
  return Buffer.concat([Buffer.from([0, bits]), encodeValue({ id: 0, length: 16 }, addr).subarray(0, Math.ceil(bits / 8))]);
}

/** The attributes of one access-session record's Accounting-Request, or null when it has no
 *  RADIUS form (another session kind, no account or session id, an IPv6 Framed-IP-Address). */
export function accountingAttributes(v: SessionEvent, nasAddr: string): RadiusAttribute[] | null {
  if (v.kind !== 'ACCESS_SESSION' || v.acctSessionId === null || v.subscriberHandle === null) return null;
  if (v.framedIpAddress !== null && isV6(v.framedIpAddress)) return null;
  const delay = v.acctDelayTime ?? 0;
  // eventTime is when the NAS sent it (device clock): the event itself was delay s earlier
  const eventSec = Math.floor((v.eventTime - delay * 1000) / 1000);
  const attrs: RadiusAttribute[] = [
    { type: RAD.ACCT_STATUS_TYPE, value: u32(STATUS[v.action]) },
    { type: RAD.ACCT_SESSION_ID, value: Buffer.from(v.acctSessionId, 'utf8') },
    { type: RAD.USER_NAME, value: Buffer.from(v.subscriberHandle, 'utf8') },
    { type: RAD.NAS_IP_ADDRESS, value: ipv4(nasAddr) },
    { type: RAD.ACCT_AUTHENTIC, value: u32(1) },
    { type: RAD.EVENT_TIMESTAMP, value: u32(eventSec) },
    { type: RAD.ACCT_DELAY_TIME, value: u32(delay) },
  ];
  if (v.framedIpAddress !== null) attrs.push({ type: RAD.FRAMED_IP_ADDRESS, value: ipv4(v.framedIpAddress) });
  if (v.framedIpv6Prefix !== null) attrs.push({ type: RAD.FRAMED_IPV6_PREFIX, value: prefixAttribute(v.framedIpv6Prefix) });
  if (v.delegatedIpv6Prefix !== null) attrs.push({ type: RAD.DELEGATED_IPV6_PREFIX, value: prefixAttribute(v.delegatedIpv6Prefix) });
  return attrs;
}

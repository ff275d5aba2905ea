// Decoding the data records of one data set against its template into the fields the
// collector maps (IANA IEs; NetFlow v9 field types 1-28 share the numbers). Enterprise-
// specific and unknown IEs are skipped by their length; variable-length fields (RFC 7011
// 7) are read with their 1- or 3-byte length prefix. Pure.
import { VARIABLE, type Template } from './templates.ts';
import { ipv4Text, ipv6Text, readUint } from './wire-values.ts';
import { MalformedPacket } from './malformed.ts';

/** What one data record said, in IE terms. Times: ms/s since the epoch or ms of sysUptime. */
export interface RecordFields {
  srcAddr?: string; dstAddr?: string; srcPort?: number; dstPort?: number; protocol?: number;
  octets?: number; packets?: number;
  startMs?: number; endMs?: number; startSec?: number; endSec?: number; startUptime?: number; endUptime?: number;
  endReason?: number;
  postNatSrcAddr?: string; postNatSrcPort?: number; postNatDstAddr?: string; postNatDstPort?: number;
  natEvent?: number; portRangeStart?: number; portRangeEnd?: number; portRangeStep?: number; portRangeNum?: number;
  observationMs?: number; systemInitMs?: number;
  /** Set when an IE we map had an impossible length: the record is not trusted. */
  invalid?: string;
}

export interface DecodedRecord { fields: RecordFields; start: number; end: number }

type Setter = (r: RecordFields, b: Buffer, off: number, len: number) => void;
const num = (k: keyof RecordFields, min = 1, max = 8): Setter => (r, b, off, len) => {
  if (len < min || len > max) { r.invalid ??= `IE ${String(k)} has length ${len}`; return; }
  (r as Record<string, unknown>)[k] = readUint(b, off, len);
};
const v4 = (k: keyof RecordFields): Setter => (r, b, off, len) => {
  if (len !== 4) { r.invalid ??= `IE ${String(k)} has length ${len}, not 4`; return; }
  (r as Record<string, unknown>)[k] = ipv4Text(b, off);
};
const v6 = (k: keyof RecordFields): Setter => (r, b, off, len) => {
  if (len !== 16) { r.invalid ??= `IE ${String(k)} has length ${len}, not 16`; return; }
  (r as Record<string, unknown>)[k] = ipv6Text(b, off);
};

/** IANA IE id -> what it sets. Anything else is skipped. */
const SETTERS = new Map<number, Setter>([
  [1, num('octets')], [2, num('packets')], [4, num('protocol', 1, 1)], [7, num('srcPort', 2, 2)], [8, v4('srcAddr')],
  [11, num('dstPort', 2, 2)], [12, v4('dstAddr')], [21, num('endUptime', 4, 4)], [22, num('startUptime', 4, 4)],
  [27, v6('srcAddr')], [28, v6('dstAddr')], [136, num('endReason', 1, 1)],
  [150, num('startSec', 4, 4)], [151, num('endSec', 4, 4)], [152, num('startMs', 8, 8)], [153, num('endMs', 8, 8)],
  [160, num('systemInitMs', 8, 8)],
  [225, v4('postNatSrcAddr')], [226, v4('postNatDstAddr')], [227, num('postNatSrcPort', 2, 2)], [228, num('postNatDstPort', 2, 2)],
  [230, num('natEvent', 1, 1)], [281, v6('postNatSrcAddr')], [282, v6('postNatDstAddr')], [323, num('observationMs', 8, 8)],
  [361, num('portRangeStart', 2, 2)], [362, num('portRangeEnd', 2, 2)], [363, num('portRangeStep', 2, 2)], [364, num('portRangeNum', 2, 2)],
]);

/** Decodes records from b[start, end) until fewer than template.minLength bytes remain
 *  (set padding). Throws MalformedPacket when a variable length runs past the set. */
export function decodeDataSet(b: Buffer, start: number, end: number, t: Template): DecodedRecord[] {
  const out: DecodedRecord[] = [];
  let off = start;
  while (end - off >= t.minLength) {
    const recStart = off;
    const r: RecordFields = {};
    for (const f of t.fields) {
      let len = f.length;
      if (len === VARIABLE) {
        if (off >= end) throw new MalformedPacket('CT_MALFORMED_PACKET', `template ${t.id}: variable-length field runs past the set`);
        len = b[off]!;
        off += 1;
        if (len === 255) {
          if (off + 2 > end) throw new MalformedPacket('CT_MALFORMED_PACKET', `template ${t.id}: variable-length field runs past the set`);
          len = b.readUInt16BE(off);
          off += 2;
        }
      }
      if (off + len > end) throw new MalformedPacket('CT_MALFORMED_PACKET', `template ${t.id}: record runs past the end of its set`);
      if (f.enterprise === 0) SETTERS.get(f.id)?.(r, b, off, len);
      off += len;
    }
    out.push({ fields: r, start: recStart, end: off });
    if (off === recStart) break; // a template of only empty variable fields cannot loop
  }
  return out;
}

// Structure of IPFIX (RFC 7011) and NetFlow v9 (RFC 3954) export packets: the header and,
// in order, the template operations and data sets they carry. Only structure is checked
// here (lengths that lie, truncation, versions, impossible templates -> MalformedPacket);
// what a data set means needs the template state (template-session.ts). Pure.
import { MalformedPacket } from './malformed.ts';
import { makeTemplate, type FieldSpec, type Template } from './templates.ts';

export interface ExportHeader {
  version: 9 | 10;
  /** Export time, exporter clock, UTC ms (IPFIX exportTime / NetFlow v9 unix_secs, x 1000). */
  exportMs: number;
  sequence: number;
  /** IPFIX observation domain id / NetFlow v9 source id. */
  domain: number;
  /** NetFlow v9 sysUptime at export, ms; null for IPFIX. */
  sysUptimeMs: number | null;
}

export type MessagePart =
  | { kind: 'template'; template: Template }
  | { kind: 'withdraw'; id: number; options: boolean }
  | { kind: 'withdrawAll'; options: boolean }
  /** A data set: its template id and body b[start, end); `index` is its position in the message. */
  | { kind: 'data'; templateId: number; start: number; end: number; index: number };

export interface ExportMessage { header: ExportHeader; parts: MessagePart[] }

/** Scope fields of a NetFlow v9 options template name scope types, not IEs: never mapped. */
export const V9_SCOPE = -1;

const bad = (msg: string) => new MalformedPacket('CT_MALFORMED_PACKET', msg);

function ipfixFields(b: Buffer, off: number, end: number, count: number, tid: number): [FieldSpec[], number] {
  const fields: FieldSpec[] = [];
  for (let i = 0; i < count; i++) {
    if (off + 4 > end) throw bad(`template ${tid}: field ${i + 1} of ${count} runs past its set`);
    const raw = b.readUInt16BE(off);
    const length = b.readUInt16BE(off + 2);
    off += 4;
    let enterprise = 0;
    if (raw & 0x8000) {
      if (off + 4 > end) throw bad(`template ${tid}: enterprise number runs past its set`);
      enterprise = b.readUInt32BE(off);
      off += 4;
    }
    fields.push({ id: raw & 0x7fff, length, enterprise });
  }
  return [fields, off];
}

function checked(t: Template): Template {
  if (t.minLength === 0) throw bad(`template ${t.id} describes records of zero length`);
  return t;
}

/** One IPFIX message occupying all of b (UDP datagram or one TCP-framed message). */
export function parseIpfix(b: Buffer): ExportMessage {
  if (b.length >= 2 && b.readUInt16BE(0) !== 10) throw bad(`version ${b.readUInt16BE(0)} is not IPFIX (10)`);
  if (b.length < 16) throw bad(`IPFIX message of ${b.length} bytes is shorter than its 16-byte header`);
  const length = b.readUInt16BE(2);
  if (length !== b.length) throw bad(`IPFIX message length field says ${length} bytes, the packet has ${b.length}`);
  const header: ExportHeader = { version: 10, exportMs: b.readUInt32BE(4) * 1000, sequence: b.readUInt32BE(8), domain: b.readUInt32BE(12), sysUptimeMs: null };
  const parts: MessagePart[] = [];
  let off = 16;
  let index = 0;
  while (off < length) {
    if (off + 4 > length) throw bad(`set header at byte ${off} runs past the message`);
    const setId = b.readUInt16BE(off);
    const setLen = b.readUInt16BE(off + 2);
    if (setLen < 4 || off + setLen > length) throw bad(`set ${setId} at byte ${off} says ${setLen} bytes; ${length - off} remain`);
    const end = off + setLen;
    let p = off + 4;
    if (setId === 2 || setId === 3) {
      const options = setId === 3;
      while (end - p >= 4) {
        const tid = b.readUInt16BE(p);
        const count = b.readUInt16BE(p + 2);
        p += 4;
        if (count === 0) {
          if (tid === setId) parts.push({ kind: 'withdrawAll', options });
          else if (tid >= 256) parts.push({ kind: 'withdraw', id: tid, options });
          else throw bad(`withdrawal of template id ${tid} (< 256)`);
          continue;
        }
        if (tid < 256) throw bad(`template id ${tid} is below 256`);
        let scopeCount = 0;
        if (options) {
          if (p + 2 > end) throw bad(`options template ${tid} runs past its set`);
          scopeCount = b.readUInt16BE(p);
          p += 2;
          if (scopeCount === 0 || scopeCount > count) throw bad(`options template ${tid}: scope field count ${scopeCount} of ${count}`);
        }
        const [fields, next] = ipfixFields(b, p, end, count, tid);
        p = next;
        parts.push({ kind: 'template', template: checked(makeTemplate(tid, fields, scopeCount, options)) });
      }
    } else if (setId >= 256) {
      parts.push({ kind: 'data', templateId: setId, start: p, end, index: index++ });
    } // set ids 0, 1 and 4-255 are reserved: skipped (RFC 7011 3.3.2)
    off = end;
  }
  return { header, parts };
}

/** One NetFlow v9 export packet: FlowSets to the end of the datagram. */
export function parseNetflow9(b: Buffer): ExportMessage {
  if (b.length >= 2 && b.readUInt16BE(0) !== 9) throw bad(`version ${b.readUInt16BE(0)} is not NetFlow v9`);
  if (b.length < 20) throw bad(`NetFlow v9 packet of ${b.length} bytes is shorter than its 20-byte header`);
  const header: ExportHeader = { version: 9, sysUptimeMs: b.readUInt32BE(4), exportMs: b.readUInt32BE(8) * 1000, sequence: b.readUInt32BE(12), domain: b.readUInt32BE(16) };
  const parts: MessagePart[] = [];
  let off = 20;
  let index = 0;
  while (b.length - off >= 4) {
    const setId = b.readUInt16BE(off);
    const setLen = b.readUInt16BE(off + 2);
    if (setLen < 4 || off + setLen > b.length) throw bad(`FlowSet ${setId} at byte ${off} says ${setLen} bytes; ${b.length - off} remain`);
    const end = off + setLen;
    let p = off + 4;
    if (setId === 0) {
      while (end - p >= 4) {
        const tid = b.readUInt16BE(p);
        const count = b.readUInt16BE(p + 2);
        p += 4;
        if (tid < 256) throw bad(`template id ${tid} is below 256`);
        if (count === 0 || p + count * 4 > end) throw bad(`template ${tid}: ${count} fields do not fit its FlowSet`);
        const fields: FieldSpec[] = [];
        for (let i = 0; i < count; i++, p += 4) fields.push({ id: b.readUInt16BE(p), length: b.readUInt16BE(p + 2), enterprise: 0 });
        if (fields.some((f) => f.length === 0xffff)) throw bad(`template ${tid}: NetFlow v9 has no variable-length fields`);
        parts.push({ kind: 'template', template: checked(makeTemplate(tid, fields, 0, false)) });
      }
    } else if (setId === 1) {
      while (end - p >= 6) {
        const tid = b.readUInt16BE(p);
        const scopeLen = b.readUInt16BE(p + 2);
        const optLen = b.readUInt16BE(p + 4);
        if (tid === 0 && scopeLen === 0 && optLen === 0) break; // padding
        p += 6;
        if (tid < 256) throw bad(`options template id ${tid} is below 256`);
        if (scopeLen % 4 || optLen % 4 || scopeLen === 0 || p + scopeLen + optLen > end) throw bad(`options template ${tid}: scope ${scopeLen} + option ${optLen} bytes do not fit`);
        const fields: FieldSpec[] = [];
        for (let i = 0; i < (scopeLen + optLen) / 4; i++, p += 4) {
          const len = b.readUInt16BE(p + 2);
          if (len === 0xffff) throw bad(`options template ${tid}: NetFlow v9 has no variable-length fields`);
          fields.push({ id: b.readUInt16BE(p), length: len, enterprise: i < scopeLen / 4 ? V9_SCOPE : 0 });
        }
        parts.push({ kind: 'template', template: checked(makeTemplate(tid, fields, scopeLen / 4, true)) });
      }
    } else if (setId >= 256) {
      parts.push({ kind: 'data', templateId: setId, start: p, end, index: index++ });
    }
    off = end;
  }
  return { header, parts };
}

// Writing IPFIX (RFC 7011) and NetFlow v9 (RFC 3954) packets: for the simulator's wire mode,
// the benchmark and tests that need many packets. Independent of the parser (it shares no
// code with export-messages.ts). Pure.

export interface WriterField { id: number; length: number; enterprise?: number }
export interface WriterTemplate { id: number; fields: WriterField[]; scopeCount?: number }

const u16 = (n: number) => { const b = Buffer.alloc(2); b.writeUInt16BE(n); return b; };
const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32BE(n >>> 0); return b; };

function set(id: number, body: Buffer[]): Buffer {
  const payload = Buffer.concat(body);
  return Buffer.concat([u16(id), u16(payload.length + 4), payload]);
}

/** IPFIX template set (id 2) or options template set (id 3). */
export function ipfixTemplateSet(templates: WriterTemplate[], options = false): Buffer {
  return set(options ? 3 : 2, templates.map((t) => Buffer.concat([
    u16(t.id), u16(t.fields.length), ...(options ? [u16(t.scopeCount ?? 1)] : []),
    ...t.fields.map((f) => (f.enterprise ? Buffer.concat([u16(f.id | 0x8000), u16(f.length), u32(f.enterprise)]) : Buffer.concat([u16(f.id), u16(f.length)]))),
  ])));
}

/** Template withdrawal record(s): one id, or all (id 2 / 3 = every data / options template). */
export function ipfixWithdrawalSet(ids: number[], options = false): Buffer {
  return set(options ? 3 : 2, ids.map((id) => Buffer.concat([u16(id), u16(0)])));
}

/** A data set of already-encoded records. */
export const dataSet = (templateId: number, records: Buffer[]): Buffer => set(templateId, records);

/** Encodes one value for a field: numbers big-endian in `length` bytes, addresses from text, buffers as is
 *  (with the RFC 7011 7 length prefix when the field is variable-length). */
export function encodeValue(f: WriterField, v: number | bigint | string | Buffer): Buffer {
  if (Buffer.isBuffer(v)) {
    if (f.length !== 65535) return v;
    return v.length < 255 ? Buffer.concat([Buffer.from([v.length]), v]) : Buffer.concat([Buffer.from([255]), u16(v.length), v]);
  }
  if (typeof v === 'string') {
    if (v.includes(':')) {
      const [head, tail] = v.split('::') as [string, string | undefined];
      const hs = head ? head.split(':') : [];
      const ts = tail !== undefined && tail !== '' ? tail.split(':') : [];
      const groups = tail === undefined ? hs : [...hs, ...Array(8 - hs.length - ts.length).fill('0'), ...ts];
      return Buffer.concat(groups.map((g) => u16(parseInt(g, 16))));
    }
    return Buffer.from(v.split('.').map(Number));
  }
  const b = Buffer.alloc(f.length);
  let n = BigInt(v);
  for (let i = f.length - 1; i >= 0; i--) { b[i] = Number(n & 0xffn); n >>= 8n; }
  return b;
}

export const record = (t: WriterTemplate, values: (number | bigint | string | Buffer)[]): Buffer =>
  Buffer.concat(t.fields.map((f, i) => encodeValue(f, values[i]!)));

export function ipfixMessage(h: { exportSec: number; sequence: number; domain: number }, sets: Buffer[]): Buffer {
  const body = Buffer.concat(sets);
  return Buffer.concat([u16(10), u16(16 + body.length), u32(h.exportSec), u32(h.sequence), u32(h.domain), body]);
}

/** NetFlow v9: template FlowSet (id 0). */
export function v9TemplateSet(templates: WriterTemplate[]): Buffer {
  return set(0, templates.map((t) => Buffer.concat([u16(t.id), u16(t.fields.length), ...t.fields.map((f) => Buffer.concat([u16(f.id), u16(f.length)]))])));
}

export function v9Packet(h: { sysUptimeMs: number; unixSecs: number; sequence: number; sourceId: number; count: number }, sets: Buffer[]): Buffer {
  return Buffer.concat([u16(9), u16(h.count), u32(h.sysUptimeMs), u32(h.unixSecs), u32(h.sequence), u32(h.sourceId), ...sets]);
}

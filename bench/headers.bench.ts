// What the ct-* routing headers cost per record (issue 14: ingest's profile showed native string
// writes from four headers): a normalised record (20-byte key, 160-byte value) encoded and
// decoded through kafkajs' own record v0 encoder/decoder (with this project's patches), without
// headers and with the four headers ingest sets, plus the correlator's reading of them
// (headerString x4). CPU time on one core, so it is steady on a loaded machine; wire bytes
// per record beside it (every byte is also TLS, CRC and broker work).
//   node bench/headers.bench.ts [records=200000]
import '../services/common/kafka.ts'; // the kafkajs patches, before kafkajs' modules load
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { headerString } from '../services/common/kafka.ts';
import { fmt, result } from './lib.ts';

const require_ = createRequire(import.meta.url);
type Enc = { buffer: Buffer; writeEncoder(e: Enc): Enc };
const Encoder = require_('kafkajs/src/protocol/encoder.js') as new () => Enc;
const Decoder = require_('kafkajs/src/protocol/decoder.js') as new (b: Buffer) => { readVarInt(): number; offset: number };
const Record = require_('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (r: { offsetDelta: number; timestampDelta: number; key: Buffer; value: Buffer; headers?: Record<string, string> }) => Enc;
const decodeRecord = require_('kafkajs/src/protocol/recordBatch/record/v0/decoder.js') as (d: unknown, ctx: unknown) => { headers: Record<string, Buffer> };

const N = Number(process.argv[2] ?? 200_000);
const key = Buffer.from('fr|198.51.100.17|0000');
const value = Buffer.alloc(160, 7);
const headersOf = (i: number) => ({ 'ct-origin-ts': String(1_764_600_000_000 + i), 'ct-uid': `fr-flow-1/b1a2c3-f${i}`, 'ct-time': String(1_764_599_990_000 + i), 'ct-dir': 'in' });
const ctx = { firstOffset: '0', firstTimestamp: '1764600000000', magicByte: 2, timestampType: 0, maxTimestamp: '0' };

const cpu = () => { const u = process.cpuUsage(); return u.user + u.system; };
function run(withHeaders: boolean) {
  const batches: Buffer[] = [];
  let c0 = cpu();
  for (let i = 0; i < N; i += 1000) {
    const e = new Encoder();
    for (let j = i; j < Math.min(N, i + 1000); j++) e.writeEncoder(Record({ offsetDelta: j - i, timestampDelta: 0, key, value, ...(withHeaders ? { headers: headersOf(j) } : {}) }));
    batches.push(e.buffer);
  }
  const encodeNs = ((cpu() - c0) * 1000) / N;
  const bytes = batches.reduce((a, b) => a + b.length, 0) / N;
  c0 = cpu();
  let n = 0;
  for (const b of batches) {
    const d = new Decoder(b);
    while (d.offset < b.length) {
      const len = d.readVarInt();
      const start = d.offset;
      const r = decodeRecord(d, ctx);
      d.offset = start + len;
      if (withHeaders) n += headerString(r.headers, 'ct-uid').length + Number(headerString(r.headers, 'ct-time')) + Number(headerString(r.headers, 'ct-origin-ts')) + headerString(r.headers, 'ct-dir').length;
    }
  }
  const decodeNs = ((cpu() - c0) * 1000) / N;
  return { encodeNs, decodeNs, bytes, n };
}
run(true); run(false); // warm up
const bare = run(false);
const hdr = run(true);
console.log(`records of ${key.length}-byte key + ${value.length}-byte value, ${fmt(N)} each way, CPU time; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
console.log(`  no headers:        encode ${bare.encodeNs.toFixed(0)} ns, decode ${bare.decodeNs.toFixed(0)} ns per record, ${bare.bytes.toFixed(0)} bytes on the wire`);
console.log(`  four ct-* headers: encode ${hdr.encodeNs.toFixed(0)} ns, decode + read ${hdr.decodeNs.toFixed(0)} ns per record, ${hdr.bytes.toFixed(0)} bytes on the wire`);
console.log(`  the headers cost ${(hdr.encodeNs - bare.encodeNs).toFixed(0)} ns to encode and ${(hdr.decodeNs - bare.decodeNs).toFixed(0)} ns to decode and read, ${(hdr.bytes - bare.bytes).toFixed(0)} bytes (+${(100 * (hdr.bytes / bare.bytes - 1)).toFixed(0)} %)`);
result('record-headers', { encodeNsBare: Math.round(bare.encodeNs), decodeNsBare: Math.round(bare.decodeNs), encodeNsHeaders: Math.round(hdr.encodeNs), decodeNsHeaders: Math.round(hdr.decodeNs), bytesBare: Math.round(bare.bytes), bytesHeaders: Math.round(hdr.bytes) });

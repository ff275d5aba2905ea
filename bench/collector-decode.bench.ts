// Records/s the collector's pure decoders turn into flows.raw / sessions.raw events on one
// core: IPFIX data packets of 30 flow records (IPv4 5-tuple, counters, ms times, end reason,
// the shape softflowd and routers send), NetFlow v9 packets of 30 records with uptime times,
// and RADIUS accounting requests (authenticator verified, mapped). No sockets, no Kafka.
//   node bench/collector-decode.bench.ts [records=1000000]
import { createFlowCollector } from '../services/collector/domain/flow-collector.ts';
import { dataSet, ipfixMessage, ipfixTemplateSet, record, v9Packet, v9TemplateSet, type WriterTemplate } from '../services/collector/domain/export-writer.ts';
import { createRadiusCollector } from '../services/collector/domain/radius-collector.ts';
import { accountingRequest } from '../services/collector/domain/radius-packet.ts';
import { fmt, mem, result } from './lib.ts';

const N = Number(process.argv[2] ?? 1_000_000);
const PER = 30;
const T = Math.floor(Date.now() / 1000);
const IPFIX_T: WriterTemplate = { id: 256, fields: [{ id: 8, length: 4 }, { id: 12, length: 4 }, { id: 7, length: 2 }, { id: 11, length: 2 }, { id: 4, length: 1 }, { id: 1, length: 8 }, { id: 2, length: 8 }, { id: 152, length: 8 }, { id: 153, length: 8 }, { id: 136, length: 1 }] };
const V9_T: WriterTemplate = { id: 256, fields: [{ id: 8, length: 4 }, { id: 12, length: 4 }, { id: 7, length: 2 }, { id: 11, length: 2 }, { id: 4, length: 1 }, { id: 1, length: 4 }, { id: 2, length: 4 }, { id: 22, length: 4 }, { id: 21, length: 4 }] };
const resolve = () => ({ exporterId: '192.0.2.1', providerId: 'p' });

function run(name: string, packets: Buffer[], records: number, handle: (b: Buffer, i: number) => number) {
  for (let i = 0; i < Math.min(packets.length, 2000); i++) handle(packets[i]!, i); // warm up
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  let out = 0;
  for (let i = 0; i < packets.length; i++) out += handle(packets[i]!, i);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(c0);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  if (out !== records) throw new Error(`${name}: ${out} events from ${records} records`);
  console.log(`${name}: ${records} records in ${wall.toFixed(2)} s (${cpuS.toFixed(2)} s CPU): ${fmt(records / cpuS)} records/s per core`);
  result(`collector decode ${name}`, { records, seconds: +wall.toFixed(3), cpuSeconds: +cpuS.toFixed(3), recordsPerCoreSecond: Math.round(records / cpuS) });
}

const ipfix: Buffer[] = [];
for (let p = 0; p < N / PER; p++) {
  const recs = Array.from({ length: PER }, (_, i) => record(IPFIX_T, [`100.64.${p & 255}.${i}`, '192.0.2.10', 1024 + i, 443, 6, 1500 * i, i + 1, BigInt(T * 1000 - 5000), BigInt(T * 1000), 1]));
  ipfix.push(ipfixMessage({ exportSec: T, sequence: p * PER, domain: 1 }, [...(p === 0 ? [ipfixTemplateSet([IPFIX_T])] : []), dataSet(256, recs)]));
}
const flows = createFlowCollector({ resolve });
run('IPFIX', ipfix, ipfix.length * PER, (b) => flows.handle({ protocol: 'ipfix', transport: 'udp', from: '192.0.2.1', bytes: b, receivedAt: T * 1000 }).events.length);

const v9: Buffer[] = [];
for (let p = 0; p < N / PER; p++) {
  const recs = Array.from({ length: PER }, (_, i) => record(V9_T, [`100.64.${p & 255}.${i}`, '192.0.2.10', 1024 + i, 443, 17, 1500 * i, i + 1, 1_000_000, 1_004_000]));
  v9.push(v9Packet({ sysUptimeMs: 1_005_000, unixSecs: T, sequence: p, sourceId: 1, count: PER }, [...(p === 0 ? [v9TemplateSet([V9_T])] : []), dataSet(256, recs)]));
}
const flows9 = createFlowCollector({ resolve });
run('NetFlow v9', v9, v9.length * PER, (b) => flows9.handle({ protocol: 'netflow9', transport: 'udp', from: '192.0.2.1', bytes: b, receivedAt: T * 1000 }).events.length);

const secret = Buffer.from('bench-secret');
const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b; };
const R = Math.min(N / 5, 200_000);
const radiusPackets = Array.from({ length: R }, (_, i) => accountingRequest(i & 255, [
  { type: 1, value: Buffer.from(`user${i}`) }, { type: 40, value: u32(1 + (i % 3)) }, { type: 44, value: Buffer.from(`s${i}`) }, { type: 41, value: u32(2) },
  { type: 8, value: Buffer.from([100, 64, (i >> 8) & 255, i & 255]) }, { type: 123, value: Buffer.from([0, 56, 0x20, 1, 0xd, 0xb8, 1, (i >> 8) & 255, i & 255]) },
], secret));
const radius = createRadiusCollector({ secretFor: () => secret, resolve: () => ({ exporterId: '192.0.2.9', providerId: 'p' }), pseudonym: (p, a) => `${p}-${a.length}`, maxRemembered: 1000 });
run('RADIUS', radiusPackets, R, (b) => (radius.handle({ from: '192.0.2.9', port: 1, bytes: b, receivedAt: T * 1000 }).kind === 'record' ? 1 : 0));
console.log(mem());

// Records/s through the running collector to Kafka, next to a ceiling measured in the same
// run: bare kafkajs producing the same Avro records in the same batches. A child process
// (its own core) sends IPFIX packets of 30 flow records over loopback UDP, first paced at
// `rate` records/s, then as fast as it can (flood); for each phase: records produced, time,
// packets the collector counted vs sent, and what the kernel dropped at the socket (full
// SO_RCVBUF, from /proc/net/udp). Needs the stack env (eval "$(make -s stack-env)").
//   node bench/collector-pipeline.bench.ts [records=300000] [rate=50000]
import { fork } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FlowEvent } from '../schemas/types.gen.ts';
import { dataSet, ipfixMessage, ipfixTemplateSet, record, type WriterTemplate } from '../services/collector/domain/export-writer.ts';
import { resolveKafkaSecurity } from '../services/common/kafka-security.ts';
import { createKafka, createProducer, sendChunked } from '../services/common/kafka.ts';
import { createLogger } from '../services/common/logger.ts';
import { createRegistryClient } from '../services/common/registry.ts';
import { TOPICS } from '../services/common/topics.ts';
import { fmt, result } from './lib.ts';

const PER = 30;
const TEMPLATE: WriterTemplate = { id: 256, fields: [{ id: 8, length: 4 }, { id: 12, length: 4 }, { id: 7, length: 2 }, { id: 11, length: 2 }, { id: 4, length: 1 }, { id: 1, length: 8 }, { id: 2, length: 8 }, { id: 152, length: 8 }, { id: 153, length: 8 }, { id: 136, length: 1 }] };

function packets(n: number, seq0: number): Buffer[] {
  const T = Math.floor(Date.now() / 1000);
  const out: Buffer[] = [];
  for (let p = 0; p < n; p++) {
    const recs = Array.from({ length: PER }, (_, i) => record(TEMPLATE, [`100.64.${p & 255}.${i}`, '192.0.2.10', 1024 + ((p * PER + i) % 60000), 443, 6, 1500 * i, i + 1, BigInt(T * 1000 - 5000), BigInt(T * 1000), 1]));
    out.push(ipfixMessage({ exportSec: T, sequence: seq0 + p * PER, domain: 1 }, [ipfixTemplateSet([TEMPLATE]), dataSet(256, recs)]));
  }
  return out;
}

if (process.argv[2] === 'sender') {
  // child: node bench/collector-pipeline.bench.ts sender <port> <packets> <records/s or 0 = flood> <seq0>
  const [port, n, rate, seq0] = process.argv.slice(3).map(Number) as [number, number, number, number];
  const all = packets(n, seq0);
  const s = createSocket('udp4');
  s.bind(0, '127.0.0.1', async () => {
    const t0 = Date.now();
    let sent = 0;
    let inFlight = 0;
    for (let i = 0; i < all.length; i++) {
      if (rate > 0) { const due = t0 + ((i * PER) / rate) * 1000; const wait = due - Date.now(); if (wait > 1) await new Promise((r) => setTimeout(r, wait)); }
      inFlight++;
      s.send(all[i]!, port, '127.0.0.1', () => { inFlight--; sent++; });
      if (inFlight > 256) await new Promise((r) => setImmediate(r));
    }
    while (inFlight > 0) await new Promise((r) => setTimeout(r, 5));
    process.send!({ sent, ms: Date.now() - t0 });
    s.close();
  });
} else {
  const N = Number(process.argv[2] ?? 300_000);
  const RATE = Number(process.argv[3] ?? 50_000);
  const { startCollector } = await import('../services/collector/main.ts');
  const dir = mkdtempSync(join(tmpdir(), 'collector-bench-'));
  writeFileSync(join(dir, 'providers.json'), JSON.stringify([{ providerId: 'zz-bench', jurisdiction: 'FR', name: 'bench', kind: 'CGN', prefixes: ['100.64.0.0/10'], exporters: ['127.0.0.1'], deterministicNat: [] }]));
  const svc = await startCollector({
    ...process.env, LOG_LEVEL: 'error', CROSSTRACE_COLLECTOR_HTTP_PORT: '0', CROSSTRACE_COLLECTOR_LISTENERS: 'ipfix-udp', CROSSTRACE_COLLECTOR_IPFIX_PORT: '0',
    CROSSTRACE_COLLECTOR_PROVIDERS_FILE: join(dir, 'providers.json'),
  });
  const port = svc.ports()['ipfix-udp']!;
  const metric = async (re: RegExp) => { const m = (await (await fetch(`http://127.0.0.1:${svc.port()}/metrics`)).text()).match(re); return m ? Number(m[1]) : 0; };
  const produced = () => metric(/crosstrace_collector_messages_out_total\{topic="flows.raw"[^}]*\} (\d+)/);
  const counted = () => metric(/crosstrace_collector_packets_total\{exporter="127.0.0.1"[^}]*\} (\d+)/);
  const rcvbuf = svc.rcvbuf()['ipfix-udp'] ?? 0;
  const rmemMax = (() => { try { return Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8')); } catch { return NaN; } })();
  console.log(`SO_RCVBUF asked ${process.env.CROSSTRACE_COLLECTOR_RCVBUF_BYTES ?? 8 * 1024 * 1024} bytes, granted ${rcvbuf} (net.core.rmem_max ${rmemMax}; the kernel doubles what it grants for bookkeeping)`);
  let seq = 0;

  async function phase(name: string, rate: number) {
    const n = Math.floor(N / PER);
    const [p0, c0, d0] = [await produced(), await counted(), svc.kernelDrops()['ipfix-udp'] ?? 0];
    const t0 = Date.now();
    const child = fork(new URL(import.meta.url).pathname, ['sender', String(port), String(n), String(rate), String(seq)], { stdio: 'inherit' });
    seq += n * PER;
    const sender = await new Promise<{ sent: number; ms: number }>((r) => child.once('message', (m) => r(m as { sent: number; ms: number })));
    // wait until production stops growing
    let last = -1;
    let lastAt = Date.now();
    for (;;) {
      const p = await produced();
      if (p !== last) { last = p; lastAt = Date.now(); }
      if (p - p0 >= n * PER || Date.now() - lastAt > 3000) break;
      await new Promise((r) => setTimeout(r, 250)); // /metrics renders cost the collector CPU: poll gently
    }
    const seconds = (lastAt - t0) / 1000;
    const records = last - p0;
    const got = (await counted()) - c0;
    const drops = (svc.kernelDrops()['ipfix-udp'] ?? 0) - d0;
    console.log(`${name}: sent ${sender.sent} packets (${n * PER} records) in ${(sender.ms / 1000).toFixed(2)} s; collector counted ${got}, kernel dropped ${drops} (SO_RCVBUF ${rcvbuf} bytes); ${records} records produced in ${seconds.toFixed(2)} s = ${fmt(records / seconds)} records/s`);
    result(`collector pipeline ${name}`, { recordsSent: n * PER, packetsSent: sender.sent, packetsCounted: got, kernelDrops: drops, rcvbufBytes: rcvbuf, recordsProduced: records, seconds: +seconds.toFixed(3), recordsPerSecond: Math.round(records / seconds) });
  }

  await phase(`paced at ${fmt(RATE)} records/s`, RATE);
  await phase('flood', 0);
  await svc.stop();

  // ceiling: the same records, Avro-encoded, produced by bare kafkajs in the same batches
  const logger = createLogger('bench', 'error');
  const kafka = createKafka({ brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(','), clientId: 'bench-ceiling', logger, security: resolveKafkaSecurity(process.env) });
  const registry = createRegistryClient({ url: process.env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:18081/apis/ccompat/v7' });
  await registry.ensureSubjects([TOPICS.flowsRaw]);
  const producer = await createProducer(kafka);
  const now = Date.now();
  const events: FlowEvent[] = Array.from({ length: N }, (_, i) => ({
    eventId: `ceiling-${now}-${i}`, exporterId: '127.0.0.1', exportTime: now, srcAddr: `100.64.${i & 255}.${i % PER}`, srcPort: 1024 + (i % 60000), dstAddr: '192.0.2.10', dstPort: 443,
    protocol: 6, startTime: now - 5000, endTime: now, octets: 1500, packets: 2, postNatSrcAddr: null, postNatSrcPort: null, endReason: 'IDLE_TIMEOUT', jurisdiction: null, providerId: null, clockOffsetMs: 0,
  }));
  const t0 = Date.now();
  for (let i = 0; i < N; i += 5000) {
    const batch = events.slice(i, i + 5000).map((e) => ({ key: '127.0.0.1', value: registry.encode(TOPICS.flowsRaw, e) }));
    await sendChunked(producer, [{ topic: TOPICS.flowsRaw, messages: batch }]);
  }
  const s = (Date.now() - t0) / 1000;
  console.log(`ceiling, bare kafkajs (encode + sendChunked, batches of 5000): ${N} records in ${s.toFixed(2)} s = ${fmt(N / s)} records/s`);
  result('collector pipeline ceiling (bare kafkajs)', { records: N, seconds: +s.toFixed(3), recordsPerSecond: Math.round(N / s) });
  await producer.disconnect();
}

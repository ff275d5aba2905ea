// Ingest hot path in isolation, one core: Confluent unframe + Avro decode + validate +
// normalise (canonical addresses, skew, keys), over a realistic mix of flow and session
// records. Prints events/s and memory. `node bench/ingest-decode.bench.ts [events]`
import avro from 'avsc';
import { loadSchemas } from '../schemas/catalog.ts';
import type { FlowEvent, SessionEvent } from '../schemas/types.gen.ts';
import { createProviderDirectory, loadProvidersFile } from '../services/common/provider-directory.ts';
import { frame, unframe } from '../services/common/wire-format.ts';
import { createClockSkewEstimator } from '../services/ingest/domain/clock-skew.ts';
import { DEFAULT_NORMALISE, normaliseFlow, normaliseSession } from '../services/ingest/domain/normalise.ts';
import { fmt, mem, result } from './lib.ts';

const N = Number(process.argv[2] ?? 300_000);
const schemas = loadSchemas();
const flowT = avro.Type.forSchema(schemas.get('FlowEvent') as avro.Schema);
const sessT = avro.Type.forSchema(schemas.get('SessionEvent') as avro.Schema);
const dir = createProviderDirectory(loadProvidersFile(new URL('../deploy/providers.json', import.meta.url).pathname));
const now = Date.now();

const msgs: { flow: boolean; value: Buffer }[] = [];
for (let i = 0; i < N; i++) {
  if (i % 4 !== 0) {
    const f: FlowEvent = {
      eventId: `f${i}`, exporterId: 'fr-flow-1', exportTime: now - 1000, srcAddr: `100.64.${(i >> 8) & 255}.${i & 255}`, srcPort: 1024 + (i % 60000),
      dstAddr: i % 2 ? '192.0.2.10' : '2001:db8:0:0:0:0:0:1', dstPort: 443, protocol: 6, startTime: now - 20_000, endTime: now - 1000, octets: 1000 + i, packets: 10,
      postNatSrcAddr: null, postNatSrcPort: null, endReason: 'ACTIVE_TIMEOUT', jurisdiction: null, providerId: null, clockOffsetMs: 0,
    };
    msgs.push({ flow: true, value: frame(1, flowT.toBuffer(f)) });
  } else {
    const s: SessionEvent = {
      eventId: `s${i}`, exporterId: 'fr-cgn-1', exportTime: now - 500, kind: 'PORT_BLOCK', action: 'START', natEvent: 14, eventTime: now - 5000,
      protocol: null, outsideAddr: '198.51.100.7', outsidePort: null, portRangeStart: 1024 + (i % 60) * 512, portRangeEnd: 1535 + (i % 60) * 512,
      insideAddr: `100.64.${(i >> 8) & 255}.${i & 255}`, insidePort: null, framedIpAddress: null, framedIpv6Prefix: null, delegatedIpv6Prefix: null,
      acctSessionId: null, acctDelayTime: null, subscriberHandle: null, jurisdiction: null, providerId: null, clockOffsetMs: 0,
    };
    msgs.push({ flow: false, value: frame(2, sessT.toBuffer(s)) });
  }
}

const ctx = { byExporter: dir.byExporter, byAddress: dir.byAddress, skew: createClockSkewEstimator(), opts: DEFAULT_NORMALISE };
function pass(): number {
  let keys = 0;
  for (const m of msgs) {
    const { body } = unframe(m.value);
    const out = m.flow ? normaliseFlow(flowT.fromBuffer(body) as FlowEvent, now, ctx) : normaliseSession(sessT.fromBuffer(body) as SessionEvent, now, ctx);
    keys += out.keys.length;
  }
  return keys;
}
pass(); // warm-up
const t0 = process.hrtime.bigint();
const keys = pass();
const sec = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(`ingest decode+validate+normalise, 1 core: ${fmt(N / sec)} events/s (${N} events, 75% flows / 25% port blocks, ${keys} index keys) in ${sec.toFixed(2)} s; ${mem()}`);
result('ingest-decode', { eventsPerSec: Math.round(N / sec), events: N, heapMiB: Math.round(process.memoryUsage().heapUsed / 2 ** 20) });

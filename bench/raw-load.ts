// The raw events the ingest benchmarks produce: a realistic mix (75 % flows, 25 % port-block
// sessions) from 12 exporters' keys, Confluent-framed with the registry's schema ids.
import type { FlowEvent, SessionEvent } from '../schemas/types.gen.ts';
import type { Kafka } from 'kafkajs';
import { createProducer } from '../services/common/kafka.ts';
import type { RegistryClient } from '../services/common/registry.ts';
import { TOPICS } from '../services/common/topics.ts';

export interface RawLoad { flows: { key: string; value: Buffer }[]; sessions: { key: string; value: Buffer }[] }

export function rawLoad(registry: RegistryClient, n: number, run = Date.now().toString(36), now = Date.now()): RawLoad {
  const flows: RawLoad['flows'] = [];
  const sessions: RawLoad['sessions'] = [];
  for (let i = 0; i < n; i++) {
    const inside = `100.64.${(i >> 8) & 255}.${i & 255}`;
    if (i % 4 !== 0) {
      const f: FlowEvent = {
        eventId: `${run}-f${i}`, exporterId: 'fr-flow-1', exportTime: now, srcAddr: inside, srcPort: 1024 + (i % 60000), dstAddr: '192.0.2.10', dstPort: 443,
        protocol: 6, startTime: now - 20_000, endTime: now - 1000, octets: 1000 + i, packets: 10, postNatSrcAddr: null, postNatSrcPort: null,
        endReason: 'ACTIVE_TIMEOUT', jurisdiction: null, providerId: null, clockOffsetMs: 0,
      };
      flows.push({ key: `fr-flow-${flows.length % 12}`, value: registry.encode(TOPICS.flowsRaw, f) });
    } else {
      const s: SessionEvent = {
        eventId: `${run}-s${i}`, exporterId: 'fr-cgn-1', exportTime: now, kind: 'PORT_BLOCK', action: 'START', natEvent: 14, eventTime: now - 5000, protocol: null,
        outsideAddr: `198.51.100.${i % 250}`, outsidePort: null, portRangeStart: 1024 + (i % 120) * 512, portRangeEnd: 1535 + (i % 120) * 512, insideAddr: inside,
        insidePort: null, framedIpAddress: null, framedIpv6Prefix: null, delegatedIpv6Prefix: null, acctSessionId: null, acctDelayTime: null,
        subscriberHandle: null, jurisdiction: null, providerId: null, clockOffsetMs: 0,
      };
      sessions.push({ key: `fr-cgn-${sessions.length % 12}`, value: registry.encode(TOPICS.sessionsRaw, s) });
    }
  }
  return { flows, sessions };
}

/** Produces a load into flows.raw / sessions.raw, 2000 records of each per request. */
export async function produceRawLoad(kafka: Kafka, load: RawLoad): Promise<void> {
  const producer = await createProducer(kafka);
  for (let i = 0; i < Math.max(load.flows.length, load.sessions.length); i += 2000) {
    await producer.sendBatch({ topicMessages: [
      { topic: TOPICS.flowsRaw, messages: load.flows.slice(i, i + 2000) },
      { topic: TOPICS.sessionsRaw, messages: load.sessions.slice(i, i + 2000) },
    ].filter((t) => t.messages.length > 0) });
  }
  await producer.disconnect();
}

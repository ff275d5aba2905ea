// ingest on the real stack: raw -> norm for flows and sessions, and every kind of bad input
// dead-lettered with its reason, original bytes and Kafka coordinates; duplicates dropped.
import type { Consumer, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowEvent, SessionEvent } from '../schemas/types.gen.ts';
import { readDeadLetter } from '../services/common/dead-letter.ts';
import { createRegistryClient, type RegistryClient } from '../services/common/registry.ts';
import { TOPICS, dlqTopic, exporterRawTopic } from '../services/common/topics.ts';
import { frame } from '../services/common/wire-format.ts';
import { startIngest } from '../services/ingest/main.ts';
import { groupAtEndEnv, readerAtEnd, serviceEnv, uniqueGroup, waitHealthy } from './support/services.ts';
import { stackEndpoints, testKafka } from './support/stack.ts';

const run = Date.now().toString(36);
const T0 = Date.now() - 60_000;

function flow(id: string, over: Partial<FlowEvent> = {}): FlowEvent {
  return {
    eventId: `${run}-${id}`, exporterId: 'fr-flow-1', exportTime: Date.now(), srcAddr: '100.64.3.4', srcPort: 50123,
    dstAddr: '192.0.2.10', dstPort: 443, protocol: 6, startTime: T0, endTime: T0 + 20_000, octets: 12345, packets: 40,
    postNatSrcAddr: null, postNatSrcPort: null, endReason: 'ACTIVE_TIMEOUT', jurisdiction: null, providerId: null, clockOffsetMs: 0, ...over,
  };
}

function session(id: string, over: Partial<SessionEvent> = {}): SessionEvent {
  return {
    eventId: `${run}-${id}`, exporterId: 'fr-bng-1', exportTime: Date.now(), kind: 'ACCESS_SESSION', action: 'START', natEvent: null,
    eventTime: T0, protocol: null, outsideAddr: null, outsidePort: null, portRangeStart: null, portRangeEnd: null,
    insideAddr: null, insidePort: null, framedIpAddress: '100.64.3.4', framedIpv6Prefix: null, delegatedIpv6Prefix: null,
    acctSessionId: `acct-${run}-${id}`, acctDelayTime: 3, subscriberHandle: 'fr-sub-0042', jurisdiction: null, providerId: null, clockOffsetMs: 0, ...over,
  };
}

describe('ingest service on the real stack', () => {
  let stop: () => Promise<void>;
  let port: () => number;
  let registry: RegistryClient;
  let producer: Producer;
  let consumer: Consumer;
  const seen: { topic: string; partition: number; key: Buffer | null; value: Buffer | null; headers: Record<string, unknown> }[] = [];

  beforeAll(async () => {
    const stack = stackEndpoints();
    // from the end of its topics as they are now: earlier runs' history is not replayed, and
    // nothing this file sends is skipped, however late the service's first fetch
    const svc = await startIngest(serviceEnv(stack, { CROSSTRACE_INGEST_HTTP_PORT: '0', ...await groupAtEndEnv(stack, 'INGEST', uniqueGroup('ingest-test')), CROSSTRACE_INGEST_MAX_MESSAGE_BYTES: '4096' }));
    stop = svc.stop; port = svc.port;
    await waitHealthy(port());
    registry = createRegistryClient({ url: stack.schemaRegistryUrl });
    await registry.ensureSubjects([TOPICS.flowsRaw, TOPICS.sessionsRaw, TOPICS.flowsNorm, TOPICS.sessionsNorm]);
    const kafka = testKafka('ingest-test');
    producer = kafka.producer();
    await producer.connect();
    consumer = await readerAtEnd(kafka, stack, 'ingest-test-reader', [TOPICS.flowsNorm, TOPICS.sessionsNorm, dlqTopic('ingest')]);
    await consumer.run({ eachMessage: async ({ topic, partition, message }) => { seen.push({ topic, partition, key: message.key, value: message.value, headers: message.headers ?? {} }); } });
  });
  afterAll(async () => { await consumer?.disconnect(); await producer?.disconnect(); await stop?.(); });

  async function waitFor<T>(what: string, fn: () => T | undefined, ms = 20_000): Promise<T> {
    const until = Date.now() + ms;
    for (;;) {
      const v = fn();
      if (v !== undefined) return v;
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('normalises a flow and a RADIUS session and keys them by the looked-up address', async () => {
    await producer.send({ topic: TOPICS.flowsRaw, messages: [{ key: 'fr-flow-1', value: registry.encode(TOPICS.flowsRaw, flow('f1')) }] });
    await producer.send({ topic: TOPICS.sessionsRaw, messages: [{ key: 'fr', value: registry.encode(TOPICS.sessionsRaw, session('s1')) }] });
    const f = await waitFor('flows.norm', () => seen.find((m) => m.topic === TOPICS.flowsNorm && String(m.headers['ct-uid']) === `fr-flow-1/${run}-f1`));
    const fe = await registry.decode<FlowEvent>(TOPICS.flowsNorm, f.value);
    expect(fe.jurisdiction).toBe('FR');
    expect(f.key?.toString()).toContain('100.64.3.4');
    expect(String(f.headers['ct-dir'])).toBe('out');
    // one record of fr-flow-1 in this batch, so one partition reached: a watermark record goes to
    // every other flows.norm partition, 60 s (CROSSTRACE_INGEST_FLOW_MARK_LAG_MS) behind its
    // export time (join/flow-watermark.ts)
    const admin = testKafka('ingest-test-admin').admin();
    await admin.connect();
    const parts = (await admin.fetchTopicMetadata({ topics: [TOPICS.flowsNorm] })).topics[0]!.partitions.length;
    await admin.disconnect();
    expect(parts).toBeGreaterThan(1);
    const markedIn = () => new Set(seen.filter((m) => m.topic === TOPICS.flowsNorm && m.value === null && String(m.headers['ct-flowmark']) === 'fr-flow-1'
      && String(m.headers['ct-flowmark-time']) === String(fe.exportTime - 60_000)).map((m) => m.partition));
    await waitFor('watermark records', () => (markedIn().size >= parts - 1 ? true : undefined));
    expect([...markedIn()].sort((a, b) => a - b)).toEqual(Array.from({ length: parts }, (_, i) => i).filter((i) => i !== f.partition));
    const s = await waitFor('sessions.norm', () => seen.find((m) => m.topic === TOPICS.sessionsNorm && String(m.headers['ct-uid']) === `fr-bng-1/${run}-s1`));
    const se = await registry.decode<SessionEvent>(TOPICS.sessionsNorm, s.value);
    expect(T0 - se.eventTime).toBeGreaterThanOrEqual(3000); // Acct-Delay-Time 3 s subtracted
    expect(se.providerId).not.toBeNull();
  });

  it('drops a true duplicate (same event id, another message)', async () => {
    const v = registry.encode(TOPICS.flowsRaw, flow('dup'));
    await producer.send({ topic: TOPICS.flowsRaw, messages: [{ key: 'fr-flow-1', value: v }] });
    await producer.send({ topic: TOPICS.flowsRaw, messages: [{ key: 'fr-flow-1', value: v }] });
    await producer.send({ topic: TOPICS.flowsRaw, messages: [{ key: 'fr-flow-1', value: registry.encode(TOPICS.flowsRaw, flow('after-dup')) }] });
    await waitFor('the marker after the duplicate', () => seen.find((m) => String(m.headers['ct-uid']) === `fr-flow-1/${run}-after-dup`));
    expect(seen.filter((m) => String(m.headers['ct-uid']) === `fr-flow-1/${run}-dup`)).toHaveLength(1);
  });

  const valid = () => registry.encode(TOPICS.flowsRaw, flow('x'));
  const bad: [string, () => Buffer | null, string][] = [
    ['wrong magic byte', () => Buffer.from('{"json":"not avro"}'), 'CT_BAD_MAGIC'],
    ['unknown schema id', () => frame(987_654, valid().subarray(5)), 'CT_UNKNOWN_SCHEMA'],
    ['truncated Avro', () => valid().subarray(0, 20), 'CT_TRUNCATED'],
    ['a record of another schema', () => { const s = registry.encode(TOPICS.sessionsRaw, session('other')); return s; }, 'CT_WRONG_SCHEMA'],
    ['empty value', () => Buffer.alloc(0), 'CT_EMPTY_VALUE'],
    ['oversized value', () => Buffer.concat([valid(), Buffer.alloc(5000)]), 'CT_OVERSIZED'],
    ['invalid address', () => registry.encode(TOPICS.flowsRaw, flow('badaddr', { srcAddr: '300.1.2.3' })), 'CT_INVALID_ADDRESS'],
    ['impossible time', () => registry.encode(TOPICS.flowsRaw, flow('badtime', { startTime: T0 + 50_000, endTime: T0 })), 'CT_IMPOSSIBLE_TIME'],
    ['unknown exporter', () => registry.encode(TOPICS.flowsRaw, flow('badexp', { exporterId: 'nobody-1' })), 'CT_UNKNOWN_EXPORTER'],
  ];
  for (const [name, make, code] of bad) {
    it(`dead-letters ${name} as ${code} with the original bytes and coordinates`, async () => {
      const value = make();
      const key = `bad-${run}-${code}`;
      const [meta] = await producer.send({ topic: TOPICS.flowsRaw, messages: [{ key, value }] });
      const m = await waitFor(`dlq ${code}`, () => seen.find((x) => x.topic === dlqTopic('ingest') && x.key?.toString() === key));
      const dl = readDeadLetter({ key: m.key, value: m.value, headers: m.headers });
      expect(dl.reasonCode).toBe(code);
      expect(dl.stage).toBe('ingest');
      expect(dl.sourceTopic).toBe(TOPICS.flowsRaw);
      expect(dl.sourcePartition).toBe(meta!.partition);
      expect(dl.sourceOffset).toBe(meta!.baseOffset);
      expect(Buffer.compare(dl.originalValue ?? Buffer.alloc(0), value ?? Buffer.alloc(0))).toBe(0);
    });
  }

  it('takes a new exporter from the live provider registry topic', async () => {
    await registry.ensureSubjects([TOPICS.providers]);
    const before = flow('new-exporter-before', { exporterId: `zz-${run}` });
    const [m1] = await producer.send({ topic: TOPICS.flowsRaw, messages: [{ key: `newexp-${run}-1`, value: registry.encode(TOPICS.flowsRaw, before) }] });
    const dl = await waitFor('unknown exporter dead letter', () => seen.find((x) => x.topic === dlqTopic('ingest') && x.key?.toString() === `newexp-${run}-1`));
    expect(readDeadLetter({ key: dl.key, value: dl.value, headers: dl.headers }).reasonCode).toBe('CT_UNKNOWN_EXPORTER');
    expect(m1).toBeDefined();
    await producer.send({ topic: TOPICS.providers, messages: [{ key: `zz-prov-${run}`, value: registry.encode(TOPICS.providers, {
      providerId: `zz-prov-${run}`, jurisdiction: 'FR', name: 'late joiner', kind: 'HOSTING', prefixes: [], exporters: [`zz-${run}`], deterministicNat: [],
    }) }] });
    await new Promise((r) => setTimeout(r, 1500));
    await producer.send({ topic: TOPICS.flowsRaw, messages: [{ key: `newexp-${run}-2`, value: registry.encode(TOPICS.flowsRaw, flow('new-exporter-after', { exporterId: `zz-${run}` })) }] });
    const ok = await waitFor('flow of the new exporter', () => seen.find((x) => x.topic === TOPICS.flowsNorm && String(x.headers['ct-uid']) === `zz-${run}/${run}-new-exporter-after`));
    expect((await registry.decode<FlowEvent>(TOPICS.flowsNorm, ok.value)).providerId).toBe(`zz-prov-${run}`);
    // and a tombstone removes it again
    await producer.send({ topic: TOPICS.providers, messages: [{ key: `zz-prov-${run}`, value: null }] });
  });

  it('takes the exporter and its provider from the exporter\'s own raw topic: a record there naming another exporter, of another provider or of its own, is dead-lettered, never normalised', async () => {
    const deadLettered = async (topic: string, key: string, planted: SessionEvent) => {
      const [meta] = await producer.send({ topic, messages: [{ key, value: registry.encode(TOPICS.sessionsRaw, planted) }] });
      const m = await waitFor(`${key} dead-lettered`, () => seen.find((x) => x.topic === dlqTopic('ingest') && x.key?.toString() === key));
      const dl = readDeadLetter({ key: m.key, value: m.value, headers: m.headers });
      expect([dl.reasonCode, dl.sourceTopic, dl.sourceOffset]).toEqual(['CT_EXPORTER_NOT_OF_TOPIC', topic, meta!.baseOffset]);
    };
    // what exporter-jp-cgn-1's credentials may write (its own topics), claiming us-access's BNG
    const planted = session('planted', { exporterId: 'us-bng-1', subscriberHandle: 'planted-by-jp', framedIpAddress: '198.18.77.77' });
    await deadLettered(exporterRawTopic(TOPICS.sessionsRaw, 'jp-mobile', 'jp-cgn-1'), `planted-${run}`, planted);
    // what exporter-fr-cgn-1's credentials may write, claiming its sibling fr-bng-1 (same provider)
    const sibling = session('sibling', { exporterId: 'fr-bng-1', subscriberHandle: 'planted-by-fr-cgn-1' });
    await deadLettered(exporterRawTopic(TOPICS.sessionsRaw, 'fr-telecom', 'fr-cgn-1'), `sibling-${run}`, sibling);
    // an exporter on its own topic is normalised as usual, and the planted event ids did not
    // pre-empt the genuine records of us-bng-1 and fr-bng-1 (each on its own topic)
    await producer.send({ topic: exporterRawTopic(TOPICS.sessionsRaw, 'fr-telecom', 'fr-bng-1'), messages: [{ key: 'fr', value: registry.encode(TOPICS.sessionsRaw, session('own-topic')) }] });
    await producer.send({ topic: exporterRawTopic(TOPICS.sessionsRaw, 'us-access', 'us-bng-1'), messages: [{ key: 'us', value: registry.encode(TOPICS.sessionsRaw, { ...planted, subscriberHandle: 'us-genuine' }) }] });
    await producer.send({ topic: exporterRawTopic(TOPICS.sessionsRaw, 'fr-telecom', 'fr-bng-1'), messages: [{ key: 'fr', value: registry.encode(TOPICS.sessionsRaw, { ...sibling, subscriberHandle: 'fr-genuine' }) }] });
    const own = await waitFor('the own-topic session', () => seen.find((x) => x.topic === TOPICS.sessionsNorm && String(x.headers['ct-uid']) === `fr-bng-1/${run}-own-topic`));
    expect((await registry.decode<SessionEvent>(TOPICS.sessionsNorm, own.value)).providerId).toBe('fr-telecom');
    for (const [uid, provider, handle] of [[`us-bng-1/${run}-planted`, 'us-access', 'us-genuine'], [`fr-bng-1/${run}-sibling`, 'fr-telecom', 'fr-genuine']] as const) {
      const genuine = await waitFor(`the genuine ${uid}`, () => seen.find((x) => x.topic === TOPICS.sessionsNorm && String(x.headers['ct-uid']) === uid));
      const ge = await registry.decode<SessionEvent>(TOPICS.sessionsNorm, genuine.value);
      expect([ge.providerId, ge.subscriberHandle]).toEqual([provider, handle]);
      const all = await Promise.all(seen.filter((x) => x.topic === TOPICS.sessionsNorm && String(x.headers['ct-uid']) === uid)
        .map(async (x) => (await registry.decode<SessionEvent>(TOPICS.sessionsNorm, x.value)).subscriberHandle));
      expect(all.filter((h) => h?.startsWith('planted-')), uid).toEqual([]);
    }
  });

  it('counts dead letters per reason in /metrics', async () => {
    const text = await (await fetch(`http://127.0.0.1:${port()}/metrics`)).text();
    for (const code of [...bad.map(([, , c]) => c), 'CT_EXPORTER_NOT_OF_TOPIC']) expect(text).toMatch(new RegExp(`crosstrace_ingest_dead_letters_total\\{[^}]*reason="${code}"[^}]*\\} [1-9]`));
    const h = await fetch(`http://127.0.0.1:${port()}/healthz`);
    expect(h.status).toBe(200);
  });
});

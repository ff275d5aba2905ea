// Issue 10's last defect on the real stack (ingest + correlator + tracer + gateway in-process,
// Kafka, registry, Redis): a relay's flow records reach the windows LATE (an ingest backlog, a
// Redis rebuild). The victim's peer is a subscriber's host at an access ISP that exports flow
// records; its owner is logged (RADIUS) and decided at once, but the host relayed the connection
// for another subscriber. The relay's flow records — produced raw 15 s after the owner's session
// records, as a backlogged ingest would deliver them, each with its true export time — must
// still be followed: the chain may never be published TERMINATED at the owner (a wrong
// subscriber at confidence 1), and ends at the subscriber the relay leads to.
// Before relay settling in event time, the relay lookup on the owner's host settled after 5 s of
// wall clock and the chain terminated at us-sub-owner, then was extended when the records came.
import type { Consumer, Producer } from 'kafkajs';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TraceUpdate } from '../schemas/types.gen.ts';
import { createRegistryClient, type RegistryClient } from '../services/common/registry.ts';
import { TOPICS, jurisdictionTopic } from '../services/common/topics.ts';
import { judge } from '../services/simulator/record-judge.ts';
import { materialise, type RecordScenario } from '../services/simulator/record-scenario.ts';
import { startPipeline } from './support/pipeline.ts';
import { readerAtEnd } from './support/services.ts';
import { ensureJurisdictionTopics, stackEndpoints, testKafka } from './support/stack.ts';

const CCS = ['GB', 'US'];
const TOK = Object.fromEntries(CCS.map((cc) => [cc, `${cc.toLowerCase()}-${Date.now()}-0123456789`]));
const MIN = 60_000;
const HOST = '198.18.66.6'; // the owner's host: us-access, which exports flows for it (us-flow-1)
const SOURCE = '198.18.77.8'; // the subscriber it relayed for

/** The owner's and the source's RADIUS sessions (START 2 h before, Interim-Updates every 15 min), and the relay's traffic on HOST. */
const interims = (id: string, ip: string, who: string) => [-120, -105, -90, -75, -60, -45, -30, -15, 0].map((m, i) => ({
  at: m * MIN, exporter: 'us-bng-1', action: i === 0 ? 'START' : 'INTERIM', acctSessionId: id, framedIpAddress: ip, subscriberHandle: who,
}));
const SCENARIO = {
  name: 'subscriber-relay-backlog', class: 'subscriber-relay-backlog',
  description: 'A subscriber host relays; its flow records arrive 15 s after its owner\'s session records.',
  observedAgoMs: 300_000,
  request: { jurisdiction: 'GB', src: HOST, srcPort: null, dst: '192.0.2.10', dstPort: 443, protocol: 6, toleranceMs: 2000 },
  sessions: [...interims('own1', HOST, 'us-sub-owner'), ...interims('att1', SOURCE, 'us-sub-attacker')],
  flows: [],
  relayTraffic: { seed: 23, concurrent: 40, recordsPerFlow: 'many', exporter: 'us-flow-1', relay: HOST, peer: '192.0.2.10', peerPort: 443, source: SOURCE },
  truth: {
    path: [{ method: 'RELAY_TIMING', observed: HOST, leadsTo: SOURCE }, { method: 'ACCESS_SESSION', observed: SOURCE, leadsTo: null, subscriber: 'us-sub-attacker' }],
    beside: [{ method: 'ACCESS_SESSION', observed: HOST, leadsTo: null, subscriber: 'us-sub-owner' }],
    status: 'TERMINATED_AT_SUBSCRIBER',
  },
} as unknown as RecordScenario;

describe('a relay\'s flow records behind an ingest backlog (issue 10) on the real stack', () => {
  const stops: (() => Promise<void>)[] = [];
  let registry: RegistryClient;
  let producer: Producer;
  let consumer: Consumer;
  let base = '';
  const seen = new Map<string, TraceUpdate[]>();

  beforeAll(async () => {
    const stack = stackEndpoints();
    // a database of its own, emptied: no flow watermark from other runs, no records of theirs
    const redisUrl = `${stack.redisUrl.replace(/\/\d+$/, '')}/9`;
    const flush = new Redis(redisUrl);
    await flush.flushdb();
    flush.disconnect();
    const pipeline = await startPipeline({
      name: 'backlog', stack: { ...stack, redisUrl }, gateway: { tokens: TOK },
      env: { CORRELATOR: { CROSSTRACE_CORRELATOR_REBUILD_EMPTY_REDIS: 'false' } },
    });
    stops.push(pipeline.stop);
    base = pipeline.base;
    registry = createRegistryClient({ url: stack.schemaRegistryUrl });
    await registry.ensureSubjects([TOPICS.flowsRaw, TOPICS.sessionsRaw, TOPICS.traceUpdates]);
    const kafka = testKafka('relay-backlog');
    await ensureJurisdictionTopics(kafka, CCS.map(jurisdictionTopic));
    producer = kafka.producer();
    await producer.connect();
    // every update from here on, however late the reader's first fetch: "never TERMINATED at
    // the owner" must hold over all of them
    consumer = await readerAtEnd(kafka, stack, 'backlog-reader', [TOPICS.traceUpdates], 50);
    await consumer.run({ eachMessage: async ({ message }) => {
      const u = await registry.decode<TraceUpdate>(TOPICS.traceUpdates, message.value);
      seen.set(u.traceId, [...seen.get(u.traceId) ?? [], u]);
    } });
  }, 300_000);

  afterAll(async () => {
    await consumer?.disconnect();
    await producer?.disconnect();
    for (const s of stops.reverse()) await s();
  });

  it('never publishes the chain TERMINATED at the host\'s owner, and follows the relay to the true subscriber once its records arrive', async () => {
    const now = Date.now();
    const m = materialise(SCENARIO, now, `backlog-${now.toString(36)}`);
    // each flow record carries the time its exporter really sent it (its end + 0.3 s): the
    // exporter was on time, the pipeline is behind
    for (const f of m.flows) f.exportTime = Math.min(now, f.endTime + 300);
    const send = (topic: string, evs: { exporterId: string }[]) => producer.send({ topic, messages: evs.map((ev) => ({ key: ev.exporterId, value: registry.encode(topic, ev) })) });
    await send(TOPICS.sessionsRaw, m.sessions);
    const res = await fetch(`${base}/v1/traces`, {
      method: 'POST', headers: { authorization: `Bearer ${TOK.GB}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        legalBasis: 'ART33_REALTIME_TRAFFIC', caseReference: 'GB-backlog', srcAddr: HOST, srcPort: m.srcPort, dstAddr: '192.0.2.10', dstPort: 443,
        protocol: 6, observedTime: new Date(m.observedTime).toISOString(), toleranceMs: 2000,
      }),
    });
    expect(res.status).toBe(202);
    const { traceId } = (await res.json()) as { traceId: string };
    const updates = () => seen.get(traceId) ?? [];
    // the owner is found from the session records alone
    for (let until = Date.now() + 60_000; Date.now() < until && !updates().some((u) => u.hops.some((h) => h.subscriberHandle === 'us-sub-owner'));) await new Promise((r) => setTimeout(r, 200));
    expect(updates().some((u) => u.hops.some((h) => h.subscriberHandle === 'us-sub-owner'))).toBe(true);
    // the backlog: the relay's flow records come 15 s later (in export order, as ingest keeps them)
    await new Promise((r) => setTimeout(r, 15_000));
    const ordered = [...m.flows].sort((a, b) => a.exportTime - b.exportTime);
    for (let i = 0; i < ordered.length; i += 500) await send(TOPICS.flowsRaw, ordered.slice(i, i + 500));
    const last = () => updates().reduce<TraceUpdate | undefined>((a, u) => (a === undefined || u.seq > a.seq ? u : a), undefined);
    const done = (u: TraceUpdate | undefined) => u !== undefined && u.status === 'TERMINATED_AT_SUBSCRIBER' && judge(SCENARIO, u.hops, u.status).problems.length === 0;
    for (let until = Date.now() + 90_000; Date.now() < until && !done(last());) await new Promise((r) => setTimeout(r, 200));

    // never a TERMINATED view whose best path ends at the owner
    const terminatedAt = updates().filter((u) => u.status === 'TERMINATED_AT_SUBSCRIBER')
      .map((u) => u.hops.filter((h) => h.onBestPath === true && h.subscriberHandle !== null && h.leadsToAddr === null).map((h) => h.subscriberHandle));
    expect(terminatedAt.flat()).not.toContain('us-sub-owner');
    // the chain follows the relay to the true subscriber, the owner visible beside it
    const final = last()!;
    expect(judge(SCENARIO, final.hops, final.status).problems).toEqual([]);
    expect(final.status).toBe('TERMINATED_AT_SUBSCRIBER');
    expect(final.hops.filter((h) => h.onBestPath).map((h) => `${h.method} ${h.subscriberHandle}`)).toEqual(['RELAY_TIMING null', 'ACCESS_SESSION us-sub-attacker']);
  }, 240_000);
});

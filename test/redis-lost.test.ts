// Redis lost while a trace waits for data: tracer and correlator go down, Redis is flushed
// (a FLUSHALL, or a restart without its AOF), the awaited records arrive meanwhile. Restarted,
// the correlator rebuilds the windows from flows.norm / sessions.norm and the tracer the chain
// from trace.state + trace.requests; the trace must still reach its subscriber, its seq
// continuing where partners saw it (never a seq twice). Before, such a trace stayed STALLED.
import { Redis } from 'ioredis';
import type { Consumer, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TraceUpdate } from '../schemas/types.gen.ts';
import type { RegistryClient } from '../services/common/registry.ts';
import { TOPICS } from '../services/common/topics.ts';
import { startCorrelator } from '../services/correlator/main.ts';
import { startIngest } from '../services/ingest/main.ts';
import { bestPath } from '../services/tracer/domain/chain-status.ts';
import { startTracer } from '../services/tracer/main.ts';
import { chainScenario } from './support/chain-scenario.ts';
import { pipelineServices } from './support/pipeline.ts';
import { pipelineReady, readerAtEnd, waitHealthy } from './support/services.ts';
import { stackEndpoints } from './support/stack.ts';

describe('a trace survives the loss of Redis', () => {
  const stops: (() => Promise<void>)[] = [];
  let registry: RegistryClient;
  let producer: Producer;
  let consumer: Consumer;
  const updates: TraceUpdate[] = [];
  const sc = chainScenario(`lost-${Date.now().toString(36)}`, Date.now());
  const sc2 = chainScenario(`flushed-${Date.now().toString(36)}`, Date.now());
  const updates2: TraceUpdate[] = [];
  let running: { t: Awaited<ReturnType<typeof startTracer>>; c: Awaited<ReturnType<typeof startCorrelator>> } | undefined;
  // the same groups, key and transactional id across the restarts below
  const services = pipelineServices({ name: 'lost', env: {
    TRACER: { CROSSTRACE_TRACER_STALL_AFTER_MS: '3000', CROSSTRACE_TRACER_MAX_SESSION_AGE_MS: '7200000' },
    CORRELATOR: { CROSSTRACE_CORRELATOR_MAX_SESSION_AGE_MS: '7200000' },
  } });
  const { env } = services;
  const tracer = () => services.tracer();
  const correlator = () => services.correlator();

  beforeAll(async () => {
    const stack = stackEndpoints();
    const ready = await pipelineReady(stack, 'lost', [TOPICS.flowsRaw, TOPICS.sessionsRaw, TOPICS.traceRequests, TOPICS.traceUpdates]);
    registry = ready.registry;
    producer = ready.kafka.producer();
    await producer.connect();
    consumer = await readerAtEnd(ready.kafka, stack, 'lost-reader', [TOPICS.traceUpdates], 50); // every update from here on, however late the group's first fetch
    await consumer.run({ eachMessage: async ({ message }) => {
      const key = message.key?.toString();
      if (key === sc.request.traceId) updates.push(await registry.decode<TraceUpdate>(TOPICS.traceUpdates, message.value));
      if (key === sc2.request.traceId) updates2.push(await registry.decode<TraceUpdate>(TOPICS.traceUpdates, message.value));
    } });
  });
  afterAll(async () => {
    await consumer?.disconnect();
    await producer?.disconnect();
    for (const s of stops.reverse()) await s();
  });

  const wait = async (what: string, ok: () => boolean, ms = 120_000, list = updates) => {
    const until = Date.now() + ms;
    while (!ok()) { if (Date.now() > until) throw new Error(`timed out: ${what}; last update: seq ${list.at(-1)?.seq} ${list.at(-1)?.status} ${list.at(-1)?.change}`); await new Promise((r) => setTimeout(r, 100)); }
  };
  const sendSessions = (list: typeof sc.sessions.early) => producer.send({ topic: TOPICS.sessionsRaw, messages: list.map((s) => ({ key: s.exporterId, value: registry.encode(TOPICS.sessionsRaw, s) })) });

  it('reaches the subscriber after tracer, correlator and Redis state were lost mid-trace', async () => {
    let t = await tracer();
    let c = await correlator();
    const i = await startIngest(env('INGEST'));
    stops.push(() => i.stop());
    for (const p of [t.port(), c.port(), i.port()]) await waitHealthy(p);
    await producer.send({ topic: TOPICS.traceRequests, messages: [{ key: sc.request.traceId, value: registry.encode(TOPICS.traceRequests, sc.request) }] });
    await sendSessions(sc.sessions.early);
    await producer.sendBatch({ topicMessages: [{ topic: TOPICS.flowsRaw, messages: sc.flows.map((f) => ({ key: f.exporterId, value: registry.encode(TOPICS.flowsRaw, f) })) }] });
    await wait('STALLED', () => updates.some((u) => u.status === 'STALLED'));
    const seenBefore = Math.max(...updates.map((u) => u.seq));

    await t.stop();
    await c.stop();
    const redis = new Redis(stackEndpoints().redisUrl);
    await redis.flushall();
    redis.disconnect();
    await sendSessions(sc.sessions.late); // the awaited FR logs arrive while the state is gone

    const t0 = Date.now();
    c = await correlator();
    t = await tracer();
    stops.push(() => t.stop(), () => c.stop());
    running = { t, c };
    await wait('TERMINATED_AT_SUBSCRIBER after the rebuild', () => updates.at(-1)?.status === 'TERMINATED_AT_SUBSCRIBER');
    console.log(`redis-lost: chain resolved ${((Date.now() - t0) / 1000).toFixed(1)} s after the restart on an empty Redis`);
    const path = bestPath(updates.at(-1)!.hops);
    expect(path.map((h) => `${h.method}:${h.jurisdiction}`)).toEqual(['PORT_BLOCK:FR', 'RELAY_TIMING:FR', 'VPN_SESSION:DE', 'ACCESS_SESSION:US']);
    const seqs = updates.map((u) => u.seq);
    expect(new Set(seqs).size, `seqs ${seqs.join(',')}: none twice`).toBe(seqs.length);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(Math.min(...updates.filter((u) => u.publishedAt >= t0).map((u) => u.seq))).toBeGreaterThan(seenBefore);
  }, 300_000);
  it('and a FLUSHALL while tracer and correlator keep running: they notice, rebuild, and the trace resolves', async () => {
    expect(running).toBeDefined();
    await producer.send({ topic: TOPICS.traceRequests, messages: [{ key: sc2.request.traceId, value: registry.encode(TOPICS.traceRequests, sc2.request) }] });
    await sendSessions(sc2.sessions.early);
    await producer.sendBatch({ topicMessages: [{ topic: TOPICS.flowsRaw, messages: sc2.flows.map((f) => ({ key: f.exporterId, value: registry.encode(TOPICS.flowsRaw, f) })) }] });
    await wait('STALLED', () => updates2.some((u) => u.status === 'STALLED'), 120_000, updates2);
    const seenBefore = Math.max(...updates2.map((u) => u.seq));
    const redis = new Redis(stackEndpoints().redisUrl);
    const t0 = Date.now();
    await redis.flushall();
    redis.disconnect();
    await sendSessions(sc2.sessions.late);
    await wait('TERMINATED_AT_SUBSCRIBER after a FLUSHALL under load', () => updates2.at(-1)?.status === 'TERMINATED_AT_SUBSCRIBER', 120_000, updates2);
    console.log(`redis-lost: after a FLUSHALL with the services running, the chain resolved in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const seqs = updates2.map((u) => u.seq);
    expect(new Set(seqs).size, `seqs ${seqs.join(',')}: none twice`).toBe(seqs.length);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(Math.min(...updates2.filter((u) => u.publishedAt >= t0).map((u) => u.seq))).toBeGreaterThan(seenBefore);
    for (const port of [running!.t.port(), running!.c.port()]) await waitHealthy(port);
  }, 300_000);
});

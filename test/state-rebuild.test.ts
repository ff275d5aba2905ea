// Redis lost its state: the windows come back from flows.norm / sessions.norm. Events are
// produced the way ingest produces them (key = window key, routing headers), the window keys
// are deleted as a FLUSHALL would, and the rebuild puts every event within the retention back
// (and none older); the marker tells a lost Redis from a fresh one.
import { Redis } from 'ioredis';
import type { Admin, Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka, ensureTopics } from '../services/common/kafka.ts';
import { resolveKafkaSecurity } from '../services/common/kafka-security.ts';
import { createLogger } from '../services/common/logger.ts';
import { markStateBuilt, REBUILD_PROGRESS, STATE_MARKER, rebuildWindows, redisStateLost, takeWindowsAsBuilt, type RebuildProgress } from '../services/join/state-rebuild.ts';
import { TOPICS } from '../services/common/topics.ts';
import { createWindowStore } from '../services/join/window-store.ts';
import { partKeys } from '../services/join/window-layout.ts';
import { createFlowMarks } from '../services/join/flow-marks.ts';
import { FLOW_MARKS_KEY } from '../services/join/flow-watermark.ts';
import { stackEndpoints } from './support/stack.ts';

describe('rebuilding windows from Kafka', () => {
  let kafka: Kafka;
  let admin: Admin;
  let redis: Redis;
  beforeAll(async () => {
    const stack = stackEndpoints();
    kafka = createKafka({ brokers: stack.kafkaBrokers, clientId: 'rebuild-test', logger: createLogger('test', 'silent'),
      security: resolveKafkaSecurity({ KAFKA_CLIENT_PROPERTIES: stack.kafkaClientProperties ?? '' }) });
    admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [{ topic: TOPICS.flowsNorm, numPartitions: 6 }, { topic: TOPICS.sessionsNorm, numPartitions: 6 }]);
    redis = new Redis(stack.redisUrl);
  });
  afterAll(async () => { redis?.disconnect(); await admin?.disconnect(); });

  it('puts every event within the retention back into its window and sets the marker', async () => {
    const now = Date.now();
    const run = now.toString(36);
    const retentionMs = 3_600_000;
    const keys = Array.from({ length: 20 }, (_, i) => `rb-${run}|198.51.100.${i}`);
    const producer = kafka.producer();
    await producer.connect();
    const msgs = Array.from({ length: 2000 }, (_, i) => ({
      key: keys[i % keys.length]!, value: Buffer.from([0, 0, 0, 0, 1, i % 256]),
      headers: { 'ct-uid': `rb-${run}/${i}`, 'ct-time': String(i < 1900 ? now - 60_000 + i : now - 2 * retentionMs), 'ct-origin-ts': String(now) },
    }));
    await producer.send({ topic: TOPICS.sessionsNorm, messages: msgs });
    await producer.disconnect();

    // the state is gone: windows of this run and the marker
    await redis.del(STATE_MARKER, ...keys.flatMap((k) => [...partKeys(k, 'flow'), ...partKeys(k, 'session')]));
    expect(await redisStateLost(redis, admin)).toBe(true);

    const seen: RebuildProgress[] = [];
    const store = createWindowStore(redis, { retentionMs });
    const done = await rebuildWindows({ kafka, admin, redis, store, retentionMs, onProgress: (p) => seen.push(p) });
    expect(done.done).toBe(true);
    expect(done.events).toBeGreaterThanOrEqual(1900);
    expect(seen.at(-1)).toEqual(done);
    expect(await redisStateLost(redis, admin)).toBe(false);

    let back = 0;
    for (const k of keys) {
      const read = await store.range(k, { from: now - 2 * retentionMs - 1, coreFrom: now - 120_000, coreTo: now, to: now + 1, limit: 10_000 }, 'session');
      for (const e of read.events) expect(e.kind).toBe('session');
      back += read.events.length;
    }
    expect(back).toBe(1900); // the 100 events older than the retention stay out
  }, 120_000);

  it('takes a flow watermark record (ingest\'s, no event) for its exporter\'s mark in that partition', async () => {
    const now = Date.now();
    const exporter = `rb-exp-${now.toString(36)}`;
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: TOPICS.flowsNorm, messages: [3, 5].map((partition) => ({ key: null, value: null, partition, headers: { 'ct-flowmark': exporter, 'ct-flowmark-time': String(now - 1000 + partition) } })) });
    await producer.disconnect();
    await redis.del(STATE_MARKER);
    const marks = createFlowMarks(redis);
    const registry = { decode: async () => { throw new Error('a watermark record is not decoded'); } } as never;
    const done = await rebuildWindows({ kafka, admin, redis, store: createWindowStore(redis, { retentionMs: 3_600_000 }), retentionMs: 3_600_000, flowMarks: { registry, marks } });
    expect(done.done).toBe(true);
    expect(await redis.hget(FLOW_MARKS_KEY, `${exporter}|3`)).toBe(String(now - 997));
    expect(await redis.hget(FLOW_MARKS_KEY, `${exporter}|5`)).toBe(String(now - 995));
    expect((await marks.watermarks()).get(exporter)).toBe(now - 997);
  }, 120_000);

  // The windows' fence (window-store.ts): while a rebuild writes, the windows hold a prefix of
  // each partition and no read may decide anything, so a rebuild on windows marked built (an
  // operator's `crosstrace rebuild`, or after a correlator with REBUILD_EMPTY_REDIS=false took an
  // emptied Redis as intended) unmarks them first; nothing marks them meanwhile (the correlator's
  // plain mark refuses while a rebuild holds the progress); the rebuild's end marks them anew,
  // with another value, which readers take as "built anew" (the tracer reads its chains again).
  it('a rebuild unmarks the windows while it writes, nothing marks them meanwhile, and its end marks them anew', async () => {
    const now = Date.now();
    const run = `fence-${now.toString(36)}`;
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: TOPICS.sessionsNorm, messages: Array.from({ length: 300 }, (_, i) => ({
      key: `${run}|198.51.100.${i % 10}`, value: Buffer.from([0, 0, 0, 0, 1, i % 256]),
      headers: { 'ct-uid': `${run}/${i}`, 'ct-time': String(now - 1000), 'ct-origin-ts': String(now) },
    })) });
    await producer.disconnect();
    await redis.set(STATE_MARKER, 'built-before');
    const during: (string | null)[] = [];
    const marked: boolean[] = [];
    const retentionMs = 3_600_000;
    const done = await rebuildWindows({ kafka, admin, redis, store: createWindowStore(redis, { retentionMs }), retentionMs, flushEvents: 100,
      onProgress: async (p) => { if (!p.done) { during.push(await redis.get(STATE_MARKER)); marked.push(await markStateBuilt(redis)); } } });
    expect(done.done).toBe(true);
    expect(during.length, 'progress seen while writing').toBeGreaterThan(0);
    expect(during, 'unmarked while the rebuild writes').toEqual(during.map(() => null));
    expect(marked, 'the plain mark refused meanwhile').toEqual(marked.map(() => false));
    const after = await redis.get(STATE_MARKER);
    expect(after).not.toBeNull();
    expect(after).not.toBe('built-before');
    // marked: the plain mark leaves the value (the build) as it is
    expect(await markStateBuilt(redis)).toBe(false);
    expect(await redis.get(STATE_MARKER)).toBe(after);
  }, 180_000);

  // A rebuild stopped midway (a CLI run cut off) holds the progress and left the windows
  // unmarked: that must not stay silent (every window read is fenced), nor be marked over.
  it('a rebuild stopped midway: Redis counts as lost, the plain mark says why it cannot, a completed rebuild clears it', async () => {
    await redis.set(STATE_MARKER, 'built-before');
    await redis.eval("redis.call('HSET', KEYS[1], 'run', ARGV[1]); return redis.call('PEXPIRE', KEYS[2], 0)", 2, REBUILD_PROGRESS, STATE_MARKER, 'cut-off-run'); // what rebuild-claim leaves
    expect(await redisStateLost(redis, admin, [])).toBe(true); // even with no records on the topics
    await expect(takeWindowsAsBuilt(redis)).rejects.toThrow(/a rebuild holds the progress .*cut-off-run/);
    expect(await redis.exists(STATE_MARKER)).toBe(0);
    const retentionMs = 3_600_000;
    const done = await rebuildWindows({ kafka, admin, redis, store: createWindowStore(redis, { retentionMs }), retentionMs });
    expect(done.done).toBe(true);
    expect(await redisStateLost(redis, admin)).toBe(false);
    await expect(takeWindowsAsBuilt(redis)).resolves.toBeUndefined();
  }, 180_000);

  // A rebuild that failed resumes from its progress (kept in Redis with the windows it wrote):
  // partitions recorded as done up to their end are not read again.
  it('resumes from the progress a failed rebuild left', async () => {
    const now = Date.now();
    const run = `res-${now.toString(36)}`;
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: TOPICS.flowsNorm, messages: Array.from({ length: 600 }, (_, i) => ({
      key: `${run}|203.0.113.${i % 30}`, value: Buffer.from([0, 0, 0, 0, 1, i % 256]),
      headers: { 'ct-uid': `${run}/${i}`, 'ct-time': String(now - 1000), 'ct-origin-ts': String(now), 'ct-dir': 'in' },
    })) });
    await producer.disconnect();
    const progress: Record<string, string> = {};
    for (const t of [TOPICS.flowsNorm, TOPICS.sessionsNorm]) for (const p of await admin.fetchTopicOffsets(t)) progress[`${t}/${p.partition}`] = p.high;
    await redis.del(STATE_MARKER);
    await redis.hset(REBUILD_PROGRESS, progress);
    const retentionMs = 3_600_000;
    const done = await rebuildWindows({ kafka, admin, redis, store: createWindowStore(redis, { retentionMs }), retentionMs });
    expect(done).toMatchObject({ done: true, resumed: true, events: 0, remaining: 0 });
    expect(await redis.exists(REBUILD_PROGRESS)).toBe(0);
    expect(await redis.exists(STATE_MARKER)).toBe(1);
    // and without the progress, the same records are read and indexed
    await redis.del(STATE_MARKER);
    const again = await rebuildWindows({ kafka, admin, redis, store: createWindowStore(redis, { retentionMs }), retentionMs });
    expect(again.resumed).toBe(false);
    expect(again.events).toBeGreaterThanOrEqual(600);
  }, 180_000);

  // A FLUSHALL while the rebuild runs takes the windows it wrote so far (and its progress): the
  // rebuild must not end by marking Redis built, or those windows are never rebuilt (the marker
  // says nothing is lost). Before the fix it went on writing, recreated its progress hash with
  // offsets past the flushed records, and set the marker.
  it('a FLUSHALL during the rebuild leaves Redis unmarked; the next rebuild puts everything back', async () => {
    const now = Date.now();
    const run = `fl-${now.toString(36)}`;
    const keys = Array.from({ length: 40 }, (_, i) => `${run}|198.18.0.${i}`);
    const producer = kafka.producer();
    await producer.connect();
    for (let b = 0; b < 6; b++) {
      await producer.send({ topic: TOPICS.sessionsNorm, messages: Array.from({ length: 500 }, (_, j) => {
        const i = b * 500 + j;
        return { key: keys[i % keys.length]!, value: Buffer.from([0, 0, 0, 0, 1, i & 255]), headers: { 'ct-uid': `${run}/${i}`, 'ct-time': String(now - 60_000 + i), 'ct-origin-ts': String(now) } };
      }) });
    }
    await producer.disconnect();
    const retentionMs = 3_600_000;
    await redis.flushall();
    let flushed = false;
    const lost = await rebuildWindows({
      kafka, admin, redis, store: createWindowStore(redis, { retentionMs }), retentionMs, flushEvents: 200,
      onProgress: async (p) => { if (!flushed && p.events > 0 && !p.done) { flushed = true; await redis.flushall(); } },
    }).then(() => 'marked built', (e: Error) => e.message);
    expect(flushed).toBe(true);
    expect(lost).toMatch(/lost its claim on the progress: Redis lost its data meanwhile/);
    expect(await redis.exists(STATE_MARKER)).toBe(0);
    expect(await redisStateLost(redis, admin)).toBe(true);

    const store = createWindowStore(redis, { retentionMs });
    const again = await rebuildWindows({ kafka, admin, redis, store, retentionMs, flushEvents: 200 });
    expect(again).toMatchObject({ done: true, resumed: false });
    let back = 0;
    for (const k of keys) back += (await store.range(k, { from: now - 120_000, coreFrom: now - 120_000, coreTo: now, to: now + 1, limit: 10_000 }, 'session')).events.length;
    expect(back).toBe(3000);
    for (const k of keys.slice(0, 3)) for (const part of partKeys(k, 'session')) expect(await redis.pttl(part)).toBeGreaterThan(0);
  }, 180_000);
});

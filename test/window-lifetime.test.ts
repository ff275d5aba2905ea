// How long a window lives on the real Redis: its keys are refreshed to 1.5 x retention once
// less than retention is left; events older than retention are trimmed as new ones arrive;
// a pinned window (preservation order) has no TTL and is never trimmed. Session records live
// in their own part of the window for the session retention (the longest session age), so a
// START stays for its session's lifetime however many flows pass through the address.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWindowStore, encodeStored } from '../services/join/window-store.ts';
import { partKeys } from '../services/join/window-layout.ts';
import { stackEndpoints } from './support/stack.ts';

const RETENTION = 600_001; // odd: 1.5 x retention is not an integer (PEXPIRE takes one)

describe('window lifetime', () => {
  let redis: Redis;
  beforeAll(() => { redis = new Redis(stackEndpoints().redisUrl); });
  afterAll(() => redis.disconnect());

  const req = (key: string, uid: string, time: number, kind: 'session' | 'flow-in' = 'flow-in') => ({ key, uid, time, payload: encodeStored({ kind, producedAt: time, value: Buffer.from(uid) }) });

  it.each([false, true])('keeps a window between retention and 1.5 x retention, and trims what fell out (perEventScripts %s)', async (perEventScripts) => {
    const now = Date.now();
    const key = `life-${now.toString(36)}-${perEventScripts}|198.51.100.1`;
    const store = createWindowStore(redis, { retentionMs: RETENTION, perEventScripts });
    // a current event, 200 older than retention (late exports), then 400 new ones arriving
    await store.indexMany([req(key, 'anchor', now)], now);
    await store.indexMany(Array.from({ length: 200 }, (_, i) => req(key, `old-${i}`, now - 2 * RETENTION - i)), now);
    const ttl = await redis.pttl(partKeys(key, 'flow')[0]);
    expect(ttl).toBeGreaterThan(RETENTION);
    expect(ttl).toBeLessThanOrEqual(1.5 * RETENTION);
    expect(await redis.pttl(partKeys(key, 'flow')[1])).toBeGreaterThan(RETENTION);
    for (let b = 0; b < 8; b++) await store.indexMany(Array.from({ length: 50 }, (_, i) => req(key, `new-${b}-${i}`, now - i)), now);
    const left = await redis.zrangebyscore(partKeys(key, 'flow')[1], '-inf', now - RETENTION);
    expect(left).toEqual([]); // every expired event trimmed
    expect(await redis.zcard(partKeys(key, 'flow')[1])).toBe(401);
    expect(await redis.hlen(partKeys(key, 'flow')[0])).toBe(401);
  });

  it.each([false, true])('keeps session records for the session retention while flows of the same age are trimmed (perEventScripts %s)', async (perEventScripts) => {
    const now = Date.now();
    const key = `sess-${now.toString(36)}-${perEventScripts}|198.51.100.3`;
    const store = createWindowStore(redis, { retentionMs: RETENTION, sessionRetentionMs: 20 * RETENTION, perEventScripts });
    // a block allocated 5 x the flow retention ago, still live; flows of the same age; then traffic
    await store.indexMany([req(key, 'block-start', now - 5 * RETENTION, 'session'), ...Array.from({ length: 20 }, (_, i) => req(key, `old-flow-${i}`, now - 5 * RETENTION - i))], now);
    for (let b = 0; b < 8; b++) await store.indexMany(Array.from({ length: 50 }, (_, i) => req(key, `flow-${b}-${i}`, now - i)), now);
    expect(await redis.zrangebyscore(partKeys(key, 'flow')[1], '-inf', String(now - RETENTION))).toEqual([]);
    expect(await redis.zcard(partKeys(key, 'session')[1])).toBe(1); // the START (read back below)
    expect(await redis.pttl(partKeys(key, 'session')[1])).toBeGreaterThan(19 * RETENTION);
    const session = await store.range(key, { from: now - 10 * RETENTION, coreFrom: now - 1000, coreTo: now, to: now, limit: 100 }, 'session');
    expect(session.events.map((e) => e.value.toString('utf8'))).toEqual(['block-start']);
    const flows = await store.range(key, { from: now - 10 * RETENTION, coreFrom: now - 1000, coreTo: now, to: now, limit: 1000 }, 'relay');
    expect(flows.events.every((e) => e.kind === 'flow-in')).toBe(true);
  });

  it('a pinned window has no TTL and is not trimmed; unpinned it lives on', async () => {
    const now = Date.now();
    const key = `pin-${now.toString(36)}|198.51.100.2`;
    const store = createWindowStore(redis, { retentionMs: RETENTION });
    await store.indexMany([req(key, 'first', now)], now);
    await store.pin(key, true);
    expect(await redis.pttl(partKeys(key, 'flow')[0])).toBe(-1);
    await store.indexMany(Array.from({ length: 100 }, (_, i) => req(key, `old-${i}`, now - 2 * RETENTION - i)), now);
    await store.indexMany(Array.from({ length: 100 }, (_, i) => req(key, `new-${i}`, now - i)), now);
    expect(await redis.zcard(partKeys(key, 'flow')[1])).toBe(201);
    expect(await redis.pttl(partKeys(key, 'flow')[1])).toBe(-1);
    await store.pin(key, false);
    expect(await redis.pttl(partKeys(key, 'flow')[0])).toBeGreaterThan(RETENTION);
  });
});

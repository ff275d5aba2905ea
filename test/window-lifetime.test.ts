// How long a window lives on the real Redis: its keys are refreshed to 1.5 x retention once
// less than retention is left; events older than retention are trimmed as new ones arrive;
// a pinned window (preservation order) has no TTL and is never trimmed.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWindowStore, encodeStored } from '../services/common/window-store.ts';
import { stackEndpoints } from './support/stack.ts';

const RETENTION = 600_001; // odd: 1.5 x retention is not an integer (PEXPIRE takes one)

describe('window lifetime', () => {
  let redis: Redis;
  beforeAll(() => { redis = new Redis(stackEndpoints().redisUrl); });
  afterAll(() => redis.disconnect());

  const req = (key: string, uid: string, time: number) => ({ key, uid, time, payload: encodeStored({ kind: 'session', producedAt: time, value: Buffer.from(uid) }) });

  it.each([false, true])('keeps a window between retention and 1.5 x retention, and trims what fell out (perEventScripts %s)', async (perEventScripts) => {
    const now = Date.now();
    const key = `life-${now.toString(36)}-${perEventScripts}|198.51.100.1`;
    const store = createWindowStore(redis, { retentionMs: RETENTION, perEventScripts });
    // a current event, 200 older than retention (late exports), then 400 new ones arriving
    await store.indexMany([req(key, 'anchor', now)], now);
    await store.indexMany(Array.from({ length: 200 }, (_, i) => req(key, `old-${i}`, now - 2 * RETENTION - i)), now);
    const ttl = await redis.pttl(`ct:ev:{${key}}`);
    expect(ttl).toBeGreaterThan(RETENTION);
    expect(ttl).toBeLessThanOrEqual(1.5 * RETENTION);
    expect(await redis.pttl(`ct:et:{${key}}`)).toBeGreaterThan(RETENTION);
    for (let b = 0; b < 8; b++) await store.indexMany(Array.from({ length: 50 }, (_, i) => req(key, `new-${b}-${i}`, now - i)), now);
    const left = await redis.zrangebyscore(`ct:et:{${key}}`, '-inf', now - RETENTION);
    expect(left).toEqual([]); // every expired event trimmed
    expect(await redis.zcard(`ct:et:{${key}}`)).toBe(401);
    expect(await redis.hlen(`ct:ev:{${key}}`)).toBe(401);
  });

  it('a pinned window has no TTL and is not trimmed; unpinned it lives on', async () => {
    const now = Date.now();
    const key = `pin-${now.toString(36)}|198.51.100.2`;
    const store = createWindowStore(redis, { retentionMs: RETENTION });
    await store.indexMany([req(key, 'first', now)], now);
    await store.pin(key, true);
    expect(await redis.pttl(`ct:ev:{${key}}`)).toBe(-1);
    await store.indexMany(Array.from({ length: 100 }, (_, i) => req(key, `old-${i}`, now - 2 * RETENTION - i)), now);
    await store.indexMany(Array.from({ length: 100 }, (_, i) => req(key, `new-${i}`, now - i)), now);
    expect(await redis.zcard(`ct:et:{${key}}`)).toBe(201);
    expect(await redis.pttl(`ct:et:{${key}}`)).toBe(-1);
    await store.pin(key, false);
    expect(await redis.pttl(`ct:ev:{${key}}`)).toBeGreaterThan(RETENTION);
  });
});

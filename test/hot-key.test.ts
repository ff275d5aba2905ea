// One hot address: thousands of lookups waiting on one window. An event arriving there must
// still index and return every live waiter (before, index-one.lua unpacked all waiter ids at
// once and Lua's C stack overflowed at ~8k, failing — and so blocking — the partition), and a
// lookup beyond the per-address cap is refused with CT_HOT_KEY, never half-registered.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_JOIN_SETTINGS, lookupRange } from '../services/join/join.ts';
import type { Lookup } from '../services/join/join-types.ts';
import { createWindowStore, encodeStored } from '../services/join/window-store.ts';
import { stackEndpoints } from './support/stack.ts';

describe('hot keys', () => {
  let redis: Redis;
  beforeAll(() => { redis = new Redis(stackEndpoints().redisUrl); });
  afterAll(() => redis.disconnect());

  const lookup = (key: string, i: number, now: number): Lookup =>
    ({ lookupId: `${key}-l${i}`, traceId: `t${i}`, mode: 'session', addr: '203.0.113.77', port: 40_000 + (i % 20_000), windowFrom: now - 5_000, windowTo: now + 5_000 }) as Lookup;

  it('an event on an address with 9000 waiters indexes and meets them all', async () => {
    const now = Date.now();
    const key = `hot-${now.toString(36)}|203.0.113.77`;
    // the waiters are written the way register-and-probe writes them (a script per waiter would be slow here)
    const pipe = redis.pipeline();
    for (let i = 0; i < 9000; i++) {
      const l = lookup(key, i, now);
      pipe.hset(`ct:w:{${key}}`, l.lookupId, JSON.stringify(l)).zadd(`ct:wt:{${key}}`, now + 600_000, l.lookupId);
    }
    await pipe.exec();
    const store = createWindowStore(redis, { retentionMs: 3_600_000 });
    const [res] = await store.indexMany([{ key, uid: 'ev-1', time: now, payload: encodeStored({ kind: 'session', producedAt: now, value: Buffer.from('x') }) }], now);
    expect(res!.isNew).toBe(true);
    expect(res!.waiters).toHaveLength(9000);
    expect(new Set(res!.waiters.map((w) => w.lookupId)).size).toBe(9000);
  });

  it('refuses a lookup beyond the per-address cap with CT_HOT_KEY; a waiter already there may re-register; expired ones make room', async () => {
    const now = Date.now();
    const key = `cap-${now.toString(36)}|203.0.113.78`;
    const store = createWindowStore(redis, { retentionMs: 3_600_000, maxWaitersPerKey: 3 });
    const range = lookupRange(lookup(key, 0, now), DEFAULT_JOIN_SETTINGS);
    for (let i = 0; i < 3; i++) await store.registerAndProbe(key, lookup(key, i, now), i === 0 ? now + 50 : now + 600_000, range, now);
    await expect(store.registerAndProbe(key, lookup(key, 3, now), now + 600_000, range, now)).rejects.toMatchObject({ code: 'CT_HOT_KEY', retriable: false });
    expect(await redis.hexists(`ct:w:{${key}}`, `${key}-l3`)).toBe(0);
    await store.registerAndProbe(key, lookup(key, 1, now), now + 600_000, range, now); // already registered: allowed
    // waiter 0 expired: a later registration takes its place
    await store.registerAndProbe(key, lookup(key, 3, now), now + 600_000, range, now + 1_000);
    expect(await redis.zcard(`ct:wt:{${key}}`)).toBe(3);
  });
});

// Ingest's dedupe memory against a real Redis, both ways of sending it (one script per chunk,
// one pipelined SET per key): the same answers — null for a new id, the first coordinates for
// a repeated one, across chunk boundaries, and the window set as the key's TTL.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDedupe } from '../services/ingest/dedupe.ts';
import { stackEndpoints } from './support/stack.ts';

describe('ingest dedupe memory', () => {
  let redis: Redis;
  beforeAll(() => { redis = new Redis(stackEndpoints().redisUrl, { maxRetriesPerRequest: 2 }); });
  afterAll(async () => { await redis.quit(); });

  for (const perKey of [false, true]) {
    it(`answers null for new ids and the first coordinates for repeats (${perKey ? 'pipelined SET per key' : 'script per chunk'})`, async () => {
      const run = `dd-${perKey}-${Date.now().toString(36)}`;
      const dedupe = createDedupe(redis, { windowMs: 60_000, perKey });
      const first = Array.from({ length: 1203 }, (_, i) => ({ eventId: `${run}/e${i}`, coordinates: `flows.raw/0/${i}` }));
      expect(await dedupe.remember(first)).toEqual(first.map(() => null));
      const again = [
        { eventId: `${run}/e0`, coordinates: 'flows.raw/0/0' }, // our own redelivery
        { eventId: `${run}/e1202`, coordinates: 'flows.raw/5/77' }, // a true duplicate, past a chunk boundary
        { eventId: `${run}/new`, coordinates: 'flows.raw/1/9' },
      ];
      expect(await dedupe.remember(again)).toEqual(['flows.raw/0/0', 'flows.raw/0/1202', null]);
      const ttl = await redis.pttl(`ct:dd:${run}/e600`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(60_000);
      expect(await dedupe.remember([])).toEqual([]);
    });
  }

  it('answers the same after Redis lost its scripts (NOSCRIPT: the script is sent again)', async () => {
    const run = `dd-noscript-${Date.now().toString(36)}`;
    const dedupe = createDedupe(redis, { windowMs: 60_000 });
    expect(await dedupe.remember([{ eventId: `${run}/a`, coordinates: 'flows.raw/0/1' }])).toEqual([null]);
    await redis.script('FLUSH');
    expect(await dedupe.remember([{ eventId: `${run}/a`, coordinates: 'flows.raw/0/1' }, { eventId: `${run}/b`, coordinates: 'flows.raw/0/2' }]))
      .toEqual(['flows.raw/0/1', null]);
  });

  it('answers the same after Redis lost its scripts when a batch spans several script calls', async () => {
    const run = `dd-noscript-many-${Date.now().toString(36)}`;
    const dedupe = createDedupe(redis, { windowMs: 60_000 });
    const item = (i: number) => ({ eventId: `${run}/${i}`, coordinates: `flows.raw/0/${i}` });
    const first = Array.from({ length: 700 }, (_, i) => item(i));
    expect((await dedupe.remember(first)).every((p) => p === null)).toBe(true);
    await redis.script('FLUSH');
    // 1200 items, three calls of up to 500 keys: the first 700 were remembered, the rest are new
    const again = await dedupe.remember(Array.from({ length: 1200 }, (_, i) => item(i)));
    expect(again.slice(0, 700)).toEqual(first.map((x) => x.coordinates));
    expect(again.slice(700).every((p) => p === null)).toBe(true);
  });
});

// A lookup's window read on a busy window: a VPN exit or CGN address collects far more events
// over the look-back (24 h for sessions) than one read can carry. The read must keep what is
// nearest the lookup window — the START a moment before it, every record inside it, the STOP
// just after — and say that it left the rest out. (Before this, the read returned the OLDEST
// events of the whole range and cut the START of the live session.)
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_JOIN_SETTINGS, lookupRange } from '../services/join/join.ts';
import type { Lookup } from '../services/join/join-types.ts';
import { createWindowStore, encodeStored, type StoredEvent } from '../services/join/window-store.ts';
import { stackEndpoints } from './support/stack.ts';

const MIN = 60_000;

describe('window read, nearest the lookup window first', () => {
  let redis: Redis;
  beforeAll(() => { redis = new Redis(stackEndpoints().redisUrl); });
  afterAll(() => redis.disconnect());

  const uidsOf = (evs: StoredEvent[]) => new Set(evs.map((e) => e.value.toString('utf8')));

  async function fill(key: string, store: ReturnType<typeof createWindowStore>, events: { uid: string; time: number }[], now: number) {
    for (let i = 0; i < events.length; i += 2000) {
      await store.indexMany(events.slice(i, i + 2000).map((e) => ({
        key, uid: e.uid, time: e.time, payload: encodeStored({ kind: 'session', producedAt: e.time, value: Buffer.from(e.uid) }),
      })), now);
    }
  }

  it('keeps the records next to the window and reports the cut when the look-back holds more than the limit', async () => {
    const now = Date.now();
    const key = `wr-${now.toString(36)}|203.0.113.9`;
    const store = createWindowStore(redis, { retentionMs: 2 * 86_400_000 });
    const settings = { ...DEFAULT_JOIN_SETTINGS, windowReadLimit: 500 };
    const observed = now - 30 * MIN;
    const lookup = { lookupId: `l-${now}`, traceId: 't', mode: 'session', addr: '203.0.113.9', port: 40_000, windowFrom: observed - 5_000, windowTo: observed + 5_000 } as Lookup;
    const range = lookupRange(lookup, settings);
    // 3000 older records spread over the 20 h before the window, 3000 newer ones over the 20 h after
    const older = Array.from({ length: 3000 }, (_, i) => ({ uid: `old-${i}`, time: range.coreFrom - 60_000 - i * 24_000 }));
    const newer = Array.from({ length: 3000 }, (_, i) => ({ uid: `new-${i}`, time: range.coreTo + 60_000 + i * 24_000 }));
    const near = [
      { uid: 'start-just-before', time: range.coreFrom - 200 },
      { uid: 'inside-1', time: observed },
      { uid: 'inside-2', time: range.coreTo },
      { uid: 'stop-just-after', time: range.coreTo + 1_000 },
    ];
    await fill(key, store, [...older, ...near, ...newer].sort(() => Math.random() - 0.5), now);

    const read = await store.range(key, range, 'session');
    const got = uidsOf(read.events);
    expect(read.truncated).toBe(true);
    for (const n of near) expect(got.has(n.uid), n.uid).toBe(true);
    // the 499 newest older records and the 499 oldest newer ones (plus the near ones), nothing farther
    expect(got.has('old-0') && got.has('old-498')).toBe(true);
    expect(got.has('old-499') || got.has('old-2999')).toBe(false);
    expect(got.has('new-0') && got.has('new-498')).toBe(true);
    expect(got.has('new-499') || got.has('new-2999')).toBe(false);
    expect(read.events.length).toBe(2 + 500 + 500); // core: the 2 inside; each side: its limit

    // the lookup side reads the same way, and registers its waiter
    const probed = await store.registerAndProbe(key, lookup, now + MIN, range, now);
    expect(uidsOf(probed.events)).toEqual(got);
    expect(probed.truncated).toBe(true);
    expect(await redis.hkeys(`ct:w:{${key}}`)).toEqual([lookup.lookupId]);
  });

  it('returns every event of a window that fits, in more than one HMGET slice, without a cut', async () => {
    const now = Date.now();
    const key = `wr2-${now.toString(36)}|203.0.113.10`;
    const store = createWindowStore(redis, { retentionMs: 2 * 86_400_000 });
    const lookup = { lookupId: `l2-${now}`, traceId: 't', mode: 'session', addr: '203.0.113.10', port: 1, windowFrom: now - 10 * MIN, windowTo: now - 9 * MIN } as Lookup;
    const range = lookupRange(lookup, DEFAULT_JOIN_SETTINGS);
    const events = Array.from({ length: 3500 }, (_, i) => ({ uid: `e-${i}`, time: range.coreFrom - 3 * 3_600_000 + i * 5_000 }));
    await fill(key, store, events, now);
    const read = await store.range(key, range, 'session');
    expect(read.truncated).toBe(false);
    expect(uidsOf(read.events)).toEqual(new Set(events.map((e) => e.uid)));
  });
});

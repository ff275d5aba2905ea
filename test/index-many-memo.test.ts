// index-many's memo (services/join/lua/index-one.lua) changes no answer and no state: the same
// record set, with busy windows (more events than one script call carries), a uid seen twice
// with different payloads, events older than the retention (trimmed), a pinned window, and
// windows with live and expired waiters (more expired than one event removes), is indexed once
// by index-and-probe per event (no memo) and once by index-many (memo, windows grouped); every
// answer (new or not, the waiters met) and every key (fields, members, scores, TTLs) must match.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lookup } from '../services/join/join-types.ts';
import { dependencyDown } from '../services/common/errors.ts';
import { createWindowStore, encodeStored, type IndexRequest, type StoredKind } from '../services/join/window-store.ts';
import { partKeys, pinKey, waiterKeys } from '../services/join/window-layout.ts';
import { stackEndpoints } from './support/stack.ts';

const RETENTION = 3_600_000;
const SESSION_RETENTION = 7_200_000;

describe('index-many memo', () => {
  let redis: Redis;
  beforeAll(() => { redis = new Redis(stackEndpoints().redisUrl); });
  afterAll(() => redis.disconnect());

  it('answers and leaves the windows exactly as one script per event does', async () => {
    const now = Date.now();
    const base = `memo-${now.toString(36)}`;
    const windows = 9;
    const keyOf = (run: string, w: number) => `${run}|192.0.2.${w}`;
    // window 0 is busy (300 events per batch: three script calls), 1..7 get a few each, 8 only old ones
    const reqsOf = (run: string, batch: number): IndexRequest[] => {
      const out: IndexRequest[] = [];
      for (let i = 0; i < 420; i++) {
        const w = i < 300 ? 0 : i >= 410 ? 8 : 1 + (i % (windows - 2));
        const kind: StoredKind = i % 7 === 0 ? 'session' : i % 2 ? 'flow-in' : 'flow-out';
        const old = i % 11 === 0 || w === 8; // older than the retention: trimmed (window 8: only old ones, trimmed away whole)
        const n = batch * 1000 + i;
        out.push({ key: keyOf(run, w), uid: kind === 'session' ? `ex/${n}` : `ex/${n}:${kind}`, time: old ? now - 2 * SESSION_RETENTION - i : now - i * 50,
          payload: encodeStored({ kind, producedAt: now - 1000, value: Buffer.from(`v${n}`) }) });
      }
      // the same uid again with another payload: the first stays (same batch, then next batch)
      out.push({ ...out[5]!, payload: encodeStored({ kind: 'flow-out', producedAt: now, value: Buffer.from('second') }) });
      if (batch > 0) out.push({ ...reqsOf(run, 0)[9]!, payload: encodeStored({ kind: 'flow-in', producedAt: now, value: Buffer.from('again') }) });
      return out;
    };
    const keysOf = (run: string) => Array.from({ length: windows }, (_, w) => keyOf(run, w))
      .flatMap((k) => [...partKeys(k, 'flow'), ...partKeys(k, 'session'), ...waiterKeys(k), pinKey(k)]);
    async function snapshot(run: string): Promise<Record<string, unknown>> {
      const out: Record<string, unknown> = {};
      for (const k of keysOf(run)) {
        const type = await redis.type(k);
        const pttl = await redis.pttl(k);
        const ttl = pttl < 0 ? pttl : Math.round(pttl / 60_000);
        const name = k.replace(run, 'RUN');
        // window members are binary (window-layout.ts memberOf): read raw, named by their hex (waiters' ids are text)
        const text = (b: Buffer) => (/^ct:w/.test(k) ? b.toString('utf8') : b.toString('hex'));
        if (type === 'hash') {
          const flat = await redis.callBuffer('HGETALL', k) as Buffer[];
          const fields: [string, string][] = [];
          for (let i = 0; i < flat.length; i += 2) fields.push([text(flat[i]!), flat[i + 1]!.toString('hex')]);
          out[name] = { ttl, fields: Object.fromEntries(fields.sort()) };
        } else if (type === 'zset') out[name] = { ttl, members: (await redis.zrangeBuffer(k, '0', '-1', 'WITHSCORES')).map((b, i) => (i % 2 ? b.toString('utf8') : text(b))) };
        else out[name] = { type, ttl };
      }
      return out;
    }
    async function run(perEventScripts: boolean) {
      const run = `${base}-${perEventScripts ? 'one' : 'many'}`;
      const store = createWindowStore(redis, { retentionMs: RETENTION, sessionRetentionMs: SESSION_RETENTION, perEventScripts, maxWaitersPerKey: 0 });
      await redis.set(pinKey(keyOf(run, 3)), '1');
      // waiters: window 0 has 2 live ones and 1000 expired (more than the 64 one event removes), window 2 one live
      const wait = async (w: number, id: string, expiresAt: number) => {
        const l = { lookupId: id, traceId: `t-${id}`, mode: 'session', windowFrom: now - 1000, windowTo: now } as Lookup;
        await store.registerAndProbe(keyOf(run, w), l, expiresAt, { from: now - 1, coreFrom: now - 1, coreTo: now, to: now, limit: 10 }, now - 10_000);
      };
      await wait(0, 'live-a', now + 600_000);
      await wait(0, 'live-b', now + 600_000);
      for (let i = 0; i < 1000; i++) await wait(0, `dead-${i}`, now - 5_000); // more than 64 for each of the 12 calls
      await wait(2, 'live-c', now + 600_000);
      const answers = [];
      for (let b = 0; b < 3; b++) {
        const res = await store.indexMany(reqsOf(run, b), now);
        answers.push(res.map((r) => [r.isNew, r.waiters.map((w) => w.lookupId).sort()]));
      }
      const state = await snapshot(run);
      await redis.del(...keysOf(run));
      return { answers, state };
    }
    const one = await run(true);
    const many = await run(false);
    // the record set reached what it must: trimmed events, waiters met, expired waiters removed
    const busy = one.answers[0]!.slice(0, 300);
    expect(busy.every(([, ws]) => JSON.stringify(ws) === JSON.stringify(['live-a', 'live-b']))).toBe(true);
    expect(one.state['ct:wt:{RUN|192.0.2.0}']).toMatchObject({ members: ['live-a', String(now + 600_000), 'live-b', String(now + 600_000)] });
    const oldIndexed = [0, 1, 2].flatMap((b) => reqsOf('x', b)).filter((q) => q.key === keyOf('x', 0) && q.payload[0] !== 0 && q.time < now - RETENTION).length;
    const members = (one.state['ct:ft:{RUN|192.0.2.0}'] as { members: string[] }).members;
    const oldLeft = members.filter((_, i) => i % 2 === 1 && Number(members[i]) < now - RETENTION).length;
    expect(oldLeft).toBeLessThan(oldIndexed - 20); // trimmed
    expect((one.state['ct:fe:{RUN|192.0.2.3}'] as { ttl: number }).ttl).toBe(-1);
    expect(many.answers).toEqual(one.answers);
    expect(many.state).toEqual(one.state);
  });

  it('indexes through a Redis that lost its scripts (NOSCRIPT: the calls go again with the text)', async () => {
    const now = Date.now();
    const key = `memo-noscript-${now.toString(36)}|192.0.2.9`;
    const store = createWindowStore(redis, { retentionMs: RETENTION });
    const l = { lookupId: 'ns-live', traceId: 't-ns', mode: 'relay', windowFrom: now - 1000, windowTo: now } as Lookup;
    await store.registerAndProbe(key, l, now + 600_000, { from: now - 1, coreFrom: now - 1, coreTo: now, to: now, limit: 10 }, now);
    const reqs = (tag: string): IndexRequest[] => [0, 1].map((i) => ({ key, uid: `ns/${i}:flow-in`, time: now - i, payload: encodeStored({ kind: 'flow-in', producedAt: now, value: Buffer.from(`${tag}${i}`) }) }));
    await redis.script('FLUSH');
    const first = await store.indexMany(reqs('a'), now);
    expect(first.map((r) => [r.isNew, r.waiters.map((w) => w.lookupId)])).toEqual([[true, ['ns-live']], [true, ['ns-live']]]);
    await redis.script('FLUSH');
    // ran once only: the second time the uids are known (and the first payloads stay)
    const again = await store.indexMany(reqs('b'), now);
    expect(again.map((r) => r.isNew)).toEqual([false, false]);
    const [hash] = partKeys(key, 'flow');
    expect((await redis.hvalsBuffer(hash)).map((b) => b.subarray(9).toString()).sort()).toEqual(['a0', 'a1']);
    await redis.del(...partKeys(key, 'flow'), ...waiterKeys(key));
  });

  it('a window part Redis refuses (the wrong type) is the record\'s fault, not an outage to retry for good', async () => {
    const now = Date.now();
    const key = `memo-wrongtype-${now.toString(36)}|192.0.2.10`;
    const store = createWindowStore(redis, { retentionMs: RETENTION });
    const [hash] = partKeys(key, 'flow');
    await redis.set(hash, 'not a hash');
    const err: unknown = await store.indexMany([{ key, uid: 'wt/1:flow-in', time: now, payload: encodeStored({ kind: 'flow-in', producedAt: now, value: Buffer.from('x') }) }], now).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/WRONGTYPE/);
    // as the correlator classifies it (pipeline.ts): not retried, its batch split and the record dead-lettered
    expect(dependencyDown('redis unavailable for indexing', err)).toMatchObject({ code: 'CT_REDIS_REJECTED', retriable: false });
    await redis.del(hash);
  });
});

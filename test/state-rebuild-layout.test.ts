// The rebuild's bulk write leaves exactly the Redis state live indexing leaves: the same record
// set (sessions, flows in and out, a uid seen twice with different payloads within one batch
// and across batches, a pinned window) is indexed by the live path (index-many.lua, as the
// correlator does) and, after its windows are deleted, by the bulk write (store.bulkIndex, as
// state-rebuild.ts does, in two batches, as the correlator's own Redis user); the two states are
// compared key by key: every hash field and payload, every sorted-set member and score, TTLs.
// And the layout itself (window-layout.ts): each event under its part's keys, as the digest of its
// uid, the first payload of a uid kept.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWindowStore, encodeStored, type IndexRequest, type StoredKind } from '../services/join/window-store.ts';
import { memberOf, partKeys, pinKey } from '../services/join/window-layout.ts';
import { stackEndpoints } from './support/stack.ts';

const RETENTION = 3_600_000;
const SESSION_RETENTION = 7_200_000;

describe('window rebuild: bulk write vs live indexing', () => {
  let admin: Redis;
  let asCorrelator: Redis;
  beforeAll(() => {
    const stack = stackEndpoints();
    admin = new Redis(stack.redisUrl);
    asCorrelator = new Redis(stack.redisUserUrls?.correlator ?? stack.redisUrl);
  });
  afterAll(() => { admin?.disconnect(); asCorrelator?.disconnect(); });

  it('leaves the same windows, key by key', async () => {
    const now = Date.now();
    const run = `lay-${now.toString(36)}`;
    const keys = Array.from({ length: 12 }, (_, i) => `${run}|192.0.2.${i}`);
    const req = (i: number, kind: StoredKind, uid = `ex-1/${run}-${i}`, producedAt = now - 1000): IndexRequest => ({
      key: keys[Math.floor(i / 3) % keys.length]!, uid: kind === 'session' ? uid : `${uid}:${kind}`, time: now - 600_000 + i * 37,
      payload: encodeStored({ kind, producedAt, value: Buffer.from([0, 0, 0, 0, 9, i & 255, (i >> 8) & 255]) }),
    });
    const reqs: IndexRequest[] = [];
    for (let i = 0; i < 900; i++) reqs.push(req(i, i % 3 === 0 ? 'session' : i % 3 === 1 ? 'flow-in' : 'flow-out'));
    // the same uid again with another payload (and time): the first one stays, in the same batch and in the next
    reqs.push(req(3, 'session', `ex-1/${run}-3`, now - 5), req(4, 'flow-in', `ex-1/${run}-4`, now - 5));
    reqs.push(req(642, 'session', `ex-1/${run}-30`, now - 7), req(860, 'flow-out', `ex-1/${run}-500`, now - 7));
    const pinned = keys[5]!;
    const windowKeys = keys.flatMap((k) => [...partKeys(k, 'flow'), ...partKeys(k, 'session')]);

    async function snapshot(): Promise<Record<string, unknown>> {
      const out: Record<string, unknown> = {};
      for (const k of windowKeys) {
        const type = await admin.type(k);
        const pttl = await admin.pttl(k);
        // TTLs: none (-1, pinned), or 1.5 x the part's retention from when the window was made
        const ttl = pttl < 0 ? pttl : Math.round(pttl / 60_000);
        if (type === 'hash') {
          // fields are binary (memberOf): read as raw bytes, named by their hex
          const flat = await admin.callBuffer('HGETALL', k) as Buffer[];
          const fields: [string, string][] = [];
          for (let i = 0; i < flat.length; i += 2) fields.push([flat[i]!.toString('hex'), flat[i + 1]!.toString('hex')]);
          out[k] = { type, ttl, fields: Object.fromEntries(fields.sort()) };
        } else if (type === 'zset') out[k] = { type, ttl, members: (await admin.zrangeBuffer(k, '0', '-1', 'WITHSCORES')).map((b, i) => b.toString(i % 2 ? 'latin1' : 'hex')) };
        else out[k] = { type };
      }
      return out;
    }

    await admin.set(pinKey(pinned), '1');
    const live = createWindowStore(admin, { retentionMs: RETENTION, sessionRetentionMs: SESSION_RETENTION });
    await live.indexMany(reqs.slice(0, 902), now);
    await live.indexMany(reqs.slice(902), now);
    const liveState = await snapshot();
    await admin.del(...windowKeys);

    const bulk = createWindowStore(asCorrelator, { retentionMs: RETENTION, sessionRetentionMs: SESSION_RETENTION });
    const seen = new Set<string>();
    await bulk.bulkIndex(reqs.slice(0, 902), seen);
    await bulk.bulkIndex(reqs.slice(902), seen);
    const bulkState = await snapshot();
    await admin.del(...windowKeys, pinKey(pinned));

    // the record set reached every part of every window, and the pinned window has no TTL
    expect(Object.values(liveState).filter((v) => (v as { type: string }).type !== 'none')).toHaveLength(48);
    expect((liveState[partKeys(pinned, 'session')[0]] as { ttl: number }).ttl).toBe(-1);
    expect((liveState[partKeys(pinned, 'flow')[1]] as { ttl: number }).ttl).toBe(-1);
    expect((liveState[partKeys(keys[1]!, 'flow')[0]] as { ttl: number }).ttl).toBe(90);
    expect((liveState[partKeys(keys[0]!, 'session')[0]] as { ttl: number }).ttl).toBe(180);
    // the layout: every event under its part as memberOf(uid), scored by its time, its first payload kept
    const firsts = new Map<string, IndexRequest>();
    for (const q of reqs) if (!firsts.has(`${q.key} ${q.uid}`)) firsts.set(`${q.key} ${q.uid}`, q);
    for (const q of firsts.values()) {
      const [hash, zset] = partKeys(q.key, q.payload[0] === 0 ? 'session' : 'flow');
      const m = memberOf(q.uid);
      expect((liveState[hash] as { fields: Record<string, string> }).fields[m.toString('hex')]).toBe(q.payload.toString('hex'));
      const members = (liveState[zset] as { members: string[] }).members;
      expect(members[members.indexOf(m.toString('hex')) + 1]).toBe(String(q.time));
    }
    expect(Object.values(liveState).reduce((n: number, v) => n + Object.keys((v as { fields?: object }).fields ?? {}).length, 0)).toBe(firsts.size);
    expect(bulkState).toEqual(liveState);
  });
});

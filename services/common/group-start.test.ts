import type { Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { commitAtEnd, type GroupStartAdmin } from './group-start.ts';

/** An admin over in-memory topics (topic -> high watermark per partition) and group commits. */
function fakeAdmin(ends: Record<string, string[]>, o: { failFetch?: { type: string; retriable: boolean; times: number }; dropCommit?: string } = {}) {
  const committed = new Map<string, string>();
  const calls: string[] = [];
  let failures = o.failFetch?.times ?? 0;
  const admin: GroupStartAdmin = {
    fetchTopicOffsets: async (topic) => {
      calls.push(`offsets ${topic}`);
      if (failures > 0) {
        failures--;
        throw Object.assign(new Error(o.failFetch!.type), { type: o.failFetch!.type, retriable: o.failFetch!.retriable });
      }
      return ends[topic]!.map((high, partition) => ({ partition, offset: high, high, low: '0' }));
    },
    fetchTopicMetadata: async () => { calls.push('metadata'); return { topics: [] }; },
    setOffsets: async ({ groupId, topic, partitions }) => {
      calls.push(`set ${topic}`);
      for (const p of partitions) if (`${topic}/${p.partition}` !== o.dropCommit) committed.set(`${groupId} ${topic}/${p.partition}`, p.offset);
    },
    fetchOffsets: (async ({ groupId, topics }: { groupId: string; topics: string[] }) => topics.map((topic) => ({
      topic, partitions: ends[topic]!.map((_, partition) => ({ partition, offset: committed.get(`${groupId} ${topic}/${partition}`) ?? '-1', metadata: null })),
    }))) as GroupStartAdmin['fetchOffsets'],
  };
  return { admin, committed, calls };
}

describe('commitAtEnd', () => {
  it('commits every partition of every topic at its end, empty ones at 0, and returns the offsets', async () => {
    const { admin, committed } = fakeAdmin({ a: ['5', '0', '12'], b: ['3'] });
    const got = await commitAtEnd(admin, 'g', ['a', 'b']);
    expect([...got]).toEqual([['a/0', '5'], ['a/1', '0'], ['a/2', '12'], ['b/0', '3']]);
    expect([...committed]).toEqual([['g a/0', '5'], ['g a/1', '0'], ['g a/2', '12'], ['g b/0', '3']]);
  });

  it('retries a retriable refusal with fresh metadata (a topic created moments before has no leader yet)', async () => {
    const { admin, calls } = fakeAdmin({ a: ['7'] }, { failFetch: { type: 'NOT_LEADER_FOR_PARTITION', retriable: true, times: 2 } });
    expect([...await commitAtEnd(admin, 'g', ['a'], { retryMs: 1 })]).toEqual([['a/0', '7']]);
    expect(calls).toEqual(['offsets a', 'metadata', 'offsets a', 'metadata', 'offsets a', 'set a']);
  });

  it('gives up on a refusal that is not retriable, and on a retriable one after waitMs', async () => {
    const denied = fakeAdmin({ a: ['7'] }, { failFetch: { type: 'TOPIC_AUTHORIZATION_FAILED', retriable: false, times: 1 } });
    await expect(commitAtEnd(denied.admin, 'g', ['a'], { retryMs: 1 })).rejects.toThrow('TOPIC_AUTHORIZATION_FAILED');
    expect(denied.calls).toEqual(['offsets a']);
    const down = fakeAdmin({ a: ['7'] }, { failFetch: { type: 'LEADER_NOT_AVAILABLE', retriable: true, times: 1_000 } });
    await expect(commitAtEnd(down.admin, 'g', ['a'], { retryMs: 1, waitMs: 20 })).rejects.toThrow('LEADER_NOT_AVAILABLE');
  });

  it('fails when the group does not read back what was committed, naming the partitions', async () => {
    const { admin } = fakeAdmin({ a: ['4', '9'] }, { dropCommit: 'a/1' });
    await expect(commitAtEnd(admin, 'g', ['a'])).rejects.toThrow('group g: the end of a partitions 1 was not committed');
  });

  it('with a kafka client, commits every topic in one session of the group: one consumer, one join, every partition sought, left once read back', async () => {
    const { admin, committed, calls } = fakeAdmin({ a: ['5', '0'], b: ['3'], c: ['8'] });
    const consumers: string[][] = [];
    // a kafkajs consumer as setOffsets uses it: seeks are committed at the member's first fetch
    const kafka = { consumer: ({ groupId }: { groupId: string }) => {
      const log: string[] = [];
      consumers.push(log);
      const handlers = new Map<string, (ev: unknown) => void>();
      const seeks: { topic: string; partition: number; offset: string }[] = [];
      return {
        events: { FETCH: 'fetch', CRASH: 'crash' },
        connect: async () => { log.push('connect'); },
        subscribe: async ({ topics }: { topics: string[] }) => { log.push(`subscribe ${topics.join(',')}`); },
        describeGroup: async () => ({ state: 'Empty' }),
        on: (ev: string, f: (ev: unknown) => void) => { handlers.set(ev, f); return () => handlers.delete(ev); },
        run: async () => {
          log.push('run');
          setTimeout(() => { for (const k of seeks) committed.set(`${groupId} ${k.topic}/${k.partition}`, k.offset); handlers.get('fetch')?.({}); }, 5);
        },
        pause: (t: { topic: string }[]) => { log.push(`pause ${t.map((x) => x.topic).join(',')}`); },
        seek: (k: { topic: string; partition: number; offset: string }) => { seeks.push(k); },
        disconnect: async () => { log.push('disconnect'); },
      };
    } } as unknown as Pick<Kafka, 'consumer'>;
    const got = await commitAtEnd(admin, 'g', ['a', 'b', 'c'], { kafka });
    expect([...got]).toEqual([['a/0', '5'], ['a/1', '0'], ['b/0', '3'], ['c/0', '8']]);
    expect([...committed].sort()).toEqual([['g a/0', '5'], ['g a/1', '0'], ['g b/0', '3'], ['g c/0', '8']]);
    expect(consumers).toEqual([['connect', 'subscribe a,b,c', 'run', 'pause a,b,c', 'disconnect']]);
    expect(calls.filter((c) => c.startsWith('set'))).toEqual([]); // no per-topic setOffsets session
  });

  it('with a kafka client, falls back to per-topic setOffsets when the one session fails: a group with members, seeks not read back in time', async () => {
    const member = (state: string, commits: boolean) => ({ consumer: () => ({
      events: { FETCH: 'fetch', CRASH: 'crash' }, connect: async () => undefined, subscribe: async () => undefined, disconnect: async () => undefined,
      describeGroup: async () => ({ state }), pause: () => undefined, seek: () => undefined,
      on: (ev: string, f: () => void) => { if (ev === 'fetch' && !commits) setTimeout(f, 1); return () => undefined; },
      run: async () => undefined,
    }) }) as unknown as Pick<Kafka, 'consumer'>;
    for (const kafka of [member('Stable', true), member('Empty', false)]) {
      const { admin, calls, committed } = fakeAdmin({ a: ['5'] });
      expect([...await commitAtEnd(admin, 'g', ['a'], { kafka, waitMs: 50 })]).toEqual([['a/0', '5']]);
      expect(calls.filter((c) => c.startsWith('set'))).toEqual(['set a']);
      expect([...committed]).toEqual([['g a/0', '5']]);
    }
  });
});

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
});

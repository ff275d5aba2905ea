import type { Admin } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { ensureTopics } from './kafka.ts';

describe('ensureTopics', () => {
  it('waits for the metadata when the leader wait meets a broker that does not know the new topic yet', async () => {
    let asked = 0;
    const admin = {
      listTopics: async () => [],
      createTopics: async () => { throw Object.assign(new Error('This server does not host this topic-partition'), { type: 'UNKNOWN_TOPIC_OR_PARTITION' }); },
      fetchTopicMetadata: async () => {
        asked++;
        if (asked === 1) throw Object.assign(new Error('not yet'), { type: 'UNKNOWN_TOPIC_OR_PARTITION' });
        return { topics: [{ name: 't', partitions: asked === 2 ? [{ partitionId: 0, leader: -1 }] : [{ partitionId: 0, leader: 1 }] }] };
      },
    } as unknown as Admin;
    await ensureTopics(admin, [{ topic: 't', numPartitions: 1 }]);
    expect(asked).toBe(3);
  });
  it('still fails on any other error', async () => {
    const admin = { listTopics: async () => [], createTopics: async () => { throw Object.assign(new Error('boom'), { type: 'INVALID_CONFIG' }); } } as unknown as Admin;
    await expect(ensureTopics(admin, [{ topic: 't', numPartitions: 1 }])).rejects.toThrow('boom');
  });
});

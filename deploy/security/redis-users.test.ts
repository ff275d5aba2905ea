// Each service's Redis user reaches the markers its rebuild of Redis from Kafka reads and writes:
// make chaos found the tracer's chain rebuild refused for good (NOPERM on ct:state:built, the
// windows' marker it waits for), so after Redis lost its state the tracer stayed unhealthy.
import { describe, expect, it } from 'vitest';
import { loadRedisUsers } from '../../services/common/redis-acl.ts';
import { REBUILD_PROGRESS, STATE_MARKER } from '../../services/join/state-rebuild.ts';
import { CHAINS_MARKER } from '../../services/tracer/chain-rebuild.ts';
import { FLOW_MARKS_KEY } from '../../services/join/flow-watermark.ts';

const users = loadRedisUsers(new URL('./redis-users.json', import.meta.url).pathname);
const glob = (pattern: string, key: string): boolean => new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`).test(key);
const reaches = (user: string, key: string): boolean => (users[user]?.keys ?? []).some((p) => glob(p, key));

describe('redis-users.json: the rebuild markers', () => {
  it.each([
    ['correlator', STATE_MARKER],
    ['correlator', REBUILD_PROGRESS],
    ['tracer', STATE_MARKER],
    ['tracer', CHAINS_MARKER],
    ['correlator', FLOW_MARKS_KEY], // advances the flow watermark
    ['tracer', FLOW_MARKS_KEY], // reads it to settle relay lookups
  ])('%s reaches %s', (user, key) => {
    expect(reaches(user, key)).toBe(true);
  });

  // the window rebuild runs in the correlator (automatic, as its user): its bulk write and
  // progress use plain commands, which no script scan finds (redis-acl.test.ts checks scripts)
  it('grants the correlator the commands of the rebuild\'s bulk write and progress', () => {
    for (const c of ['hsetnx', 'zadd', 'exists', 'pexpire', 'persist', 'hset', 'hgetall', 'set']) expect(users.correlator!.commands).toContain(c);
    // no DEL: on the correlator's key patterns it would delete the windows' events
    expect(users.correlator!.commands).not.toContain('del');
  });
});

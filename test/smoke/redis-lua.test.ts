// Redis runs Lua: one EVAL over keys sharing a hash tag writes and reads atomically and returns
// computed data, the pattern the windowed join relies on.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stackEndpoints } from '../support/stack.ts';

// KEYS[1] window zset {tag}:w, KEYS[2] counter {tag}:n; ARGV[1..] "score:member" pairs.
// Adds every pair, bumps the counter by the number added, returns
// {members in score order, counter, sum of scores} computed inside Redis.
const INDEX_THEN_READ = `
local added = 0
for i = 1, #ARGV do
  local score, member = string.match(ARGV[i], '^(%d+):(.+)$')
  added = added + redis.call('ZADD', KEYS[1], score, member)
end
local n = redis.call('INCRBY', KEYS[2], added)
local all = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local members, sum = {}, 0
for i = 1, #all, 2 do
  members[#members + 1] = all[i]
  sum = sum + tonumber(all[i + 1])
end
return { members, n, tostring(sum) }
`;

describe('redis', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(stackEndpoints().redisUrl, { lazyConnect: false, maxRetriesPerRequest: 2 });
  });
  afterAll(async () => {
    await redis.quit();
  });

  it('runs a Lua script that writes and reads keys of one hash slot atomically', async () => {
    const tag = `{smoke-${Date.now().toString(36)}}`;
    const keys = [`${tag}:w`, `${tag}:n`];
    const first = await redis.eval(INDEX_THEN_READ, 2, ...keys, '30:c', '10:a', '20:b');
    expect(first).toEqual([['a', 'b', 'c'], 3, '60']);
    // Idempotent writes: re-adding b adds nothing; a new member moves the counter by one.
    const second = await redis.eval(INDEX_THEN_READ, 2, ...keys, '20:b', '5:z');
    expect(second).toEqual([['z', 'a', 'b', 'c'], 4, '65']);
    const info = await redis.info('server');
    const major = Number(/redis_version:(\d+)\./.exec(info)?.[1]);
    expect(major).toBeGreaterThanOrEqual(6);
    await redis.del(...keys);
  });
});

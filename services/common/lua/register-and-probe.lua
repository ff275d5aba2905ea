-- register-and-probe: the LOOKUP side of the symmetric join. Registers a waiter on an
-- address, then reads the events of its window.
-- KEYS[1] ct:ev:{K}  hash  eventUid -> payload
-- KEYS[2] ct:et:{K}  zset  eventUid scored by event time
-- KEYS[3] ct:w:{K}   hash  lookupId -> lookup JSON
-- KEYS[4] ct:wt:{K}  zset  lookupId scored by expiry
-- ARGV[1] lookupId  ARGV[2] lookup JSON  ARGV[3] expiresAt (UTC ms)
-- ARGV[4] from (UTC ms)  ARGV[5] to (UTC ms): event-time range to return (lookback included)
-- ARGV[6] now (UTC ms)
-- Returns { payload... } of the events with time in [from, to].
-- Invariant: the waiter is written BEFORE the events are read (see index-and-probe).
-- Idempotent: re-registering the same lookupId overwrites it with the same content.
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[4], tonumber(ARGV[3]), ARGV[1])
local ttl = tonumber(ARGV[3]) - tonumber(ARGV[6]) + 60000
if ttl > redis.call('PTTL', KEYS[3]) then
  redis.call('PEXPIRE', KEYS[3], ttl); redis.call('PEXPIRE', KEYS[4], ttl)
end
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], ARGV[4], ARGV[5], 'LIMIT', 0, 5000)
if #ids == 0 then return {} end
return redis.call('HMGET', KEYS[1], unpack(ids))

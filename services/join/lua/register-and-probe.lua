-- register-and-probe: the LOOKUP side of the symmetric join. Registers a waiter on an
-- address, then reads the events of its window.
-- KEYS[1] ct:fe:{K} / ct:se:{K}  hash  member -> payload (window-layout.ts)
-- KEYS[2] ct:ft:{K} / ct:st:{K}  zset  member scored by event time
-- KEYS[3] ct:w:{K}   hash  lookupId -> lookup JSON
-- KEYS[4] ct:wt:{K}  zset  lookupId scored by expiry
-- ARGV[1] lookupId  ARGV[2] lookup JSON  ARGV[3] expiresAt (UTC ms)
-- ARGV[4] from  ARGV[5] coreFrom  ARGV[6] coreTo  ARGV[7] to (UTC ms)  ARGV[8] limit:
-- the event-time range to read, nearest the lookup window first (see read-nearest)
-- ARGV[9] now (UTC ms)  ARGV[10] most live waiters on one address (0 = no cap)
-- Returns { truncated (0/1), {payload...} }, or { -1, {} } when the address already has
-- ARGV[10] live waiters and this lookup is not one of them (refused: nothing written).
-- Invariant: the waiter is written BEFORE the events are read (see index-and-probe).
-- Idempotent: re-registering the same lookupId overwrites it with the same content.
--@include read-nearest
local cap = tonumber(ARGV[10])
if cap > 0 and redis.call('HEXISTS', KEYS[3], ARGV[1]) == 0 and redis.call('ZCARD', KEYS[4]) >= cap then
  local dead = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', '(' .. ARGV[9], 'LIMIT', 0, 1000)
  if #dead > 0 then redis.call('HDEL', KEYS[3], unpack(dead)); redis.call('ZREM', KEYS[4], unpack(dead)) end
  if redis.call('ZCARD', KEYS[4]) >= cap then return { -1, {} } end
end
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[4], tonumber(ARGV[3]), ARGV[1])
local ttl = tonumber(ARGV[3]) - tonumber(ARGV[9]) + 60000
if ttl > redis.call('PTTL', KEYS[3]) then
  redis.call('PEXPIRE', KEYS[3], ttl); redis.call('PEXPIRE', KEYS[4], ttl)
end
return read_nearest(KEYS[1], KEYS[2], ARGV[4], ARGV[5], ARGV[6], ARGV[7], tonumber(ARGV[8]))

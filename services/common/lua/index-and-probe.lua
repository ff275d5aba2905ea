-- index-and-probe: the EVENT side of the symmetric join. Writes one event into the window of
-- an address, then reads the waiters registered on that address.
-- KEYS[1] ct:ev:{K}  hash  eventUid -> payload (bytes)
-- KEYS[2] ct:et:{K}  zset  eventUid scored by event time (UTC ms)
-- KEYS[3] ct:w:{K}   hash  lookupId -> lookup JSON
-- KEYS[4] ct:wt:{K}  zset  lookupId scored by its expiry (UTC ms)
-- KEYS[5] ct:pin:{K} string; present = a preservation order pins this window (no trimming, no TTL)
-- ARGV[1] eventUid  ARGV[2] eventTime  ARGV[3] payload  ARGV[4] retentionMs  ARGV[5] nowMs
-- Returns { isNew (0/1), {lookupJSON...} }.
-- Invariant: the event is written BEFORE the waiters are read; register-and-probe writes the
-- waiter BEFORE reading events. Redis runs each script atomically, so for every
-- (event, waiter) pair at least one of the two scripts sees the other: no match is lost.
-- Writes are idempotent (HSETNX by event uid), so a redelivered event changes nothing.
local uid, t, retention, now = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[4]), tonumber(ARGV[5])
local isNew = redis.call('HSETNX', KEYS[1], uid, ARGV[3])
if isNew == 1 then
  redis.call('ZADD', KEYS[2], t, uid)
  if redis.call('EXISTS', KEYS[5]) == 1 then
    redis.call('PERSIST', KEYS[1]); redis.call('PERSIST', KEYS[2])
  else
    -- trim what fell out of retention (bounded work per call), then keep the window alive
    local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
    if oldest[2] and tonumber(oldest[2]) < now - retention then
      local old = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. (now - retention), 'LIMIT', 0, 64)
      redis.call('HDEL', KEYS[1], unpack(old)); redis.call('ZREM', KEYS[2], unpack(old))
    end
    redis.call('PEXPIRE', KEYS[1], retention); redis.call('PEXPIRE', KEYS[2], retention)
  end
end
-- no waiter on this address: the common case ends here
if redis.call('EXISTS', KEYS[4]) == 0 then return { isNew, {} } end
-- expired waiters go; live ones are returned
local dead = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', '(' .. now, 'LIMIT', 0, 64)
if #dead > 0 then redis.call('HDEL', KEYS[3], unpack(dead)); redis.call('ZREM', KEYS[4], unpack(dead)) end
local ids = redis.call('ZRANGEBYSCORE', KEYS[4], now, '+inf')
if #ids == 0 then return { isNew, {} } end
return { isNew, redis.call('HMGET', KEYS[3], unpack(ids)) }

-- range-events: reads the events of a window in an event-time range (used after an event
-- found waiters, to give the matcher the whole context: a STOP needs its START).
-- KEYS[1] ct:ev:{K}  KEYS[2] ct:et:{K}   ARGV[1] from  ARGV[2] to (UTC ms)
-- Invariant: read-only.
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], ARGV[1], ARGV[2], 'LIMIT', 0, 5000)
if #ids == 0 then return {} end
return redis.call('HMGET', KEYS[1], unpack(ids))

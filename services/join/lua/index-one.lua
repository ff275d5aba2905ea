-- index_one(evKey, etKey, wKey, wtKey, pinKey, uid, t, payload, retention, now) -> { isNew, {lookupJSON...} }
-- The EVENT side of the symmetric join for one event (inlined where a script says
-- --@include index-one). Writes the event into the window of its address, then reads the
-- waiters registered on that address.
--   evKey  ct:ev:{K}  hash  eventUid -> payload (bytes)
--   etKey  ct:et:{K}  zset  eventUid scored by event time (UTC ms)
--   wKey   ct:w:{K}   hash  lookupId -> lookup JSON
--   wtKey  ct:wt:{K}  zset  lookupId scored by its expiry (UTC ms)
--   pinKey ct:pin:{K} string; present = a preservation order pins this window (no trimming, no TTL)
-- Invariant: the event is written BEFORE the waiters are read; register-and-probe writes the
-- waiter BEFORE reading events. Redis runs each script atomically, so for every
-- (event, waiter) pair at least one of the two scripts sees the other: no match is lost.
-- Writes are idempotent (HSETNX by event uid), so a redelivered event changes nothing.
--@include hmget-slices
local function index_one(evKey, etKey, wKey, wtKey, pinKey, uid, t, payload, retention, now)
  local isNew = redis.call('HSETNX', evKey, uid, payload)
  if isNew == 1 then
    redis.call('ZADD', etKey, t, uid)
    -- Keep the window alive: its keys live 1.5 x retention from a refresh and are refreshed
    -- once less than retention is left (one PTTL per event instead of two PEXPIREs), so an
    -- idle window goes between retention and 1.5 x retention after its last event. No TTL
    -- (PTTL -1) is a new window, or a pinned one (a preservation order: kept whole, untrimmed).
    local pinned = nil
    if redis.call('PTTL', evKey) < retention then
      pinned = redis.call('EXISTS', pinKey) == 1
      if pinned then
        redis.call('PERSIST', evKey); redis.call('PERSIST', etKey)
      else
        local ttl = math.floor(retention * 1.5)
        redis.call('PEXPIRE', evKey, ttl); redis.call('PEXPIRE', etKey, ttl)
      end
    end
    -- Trim what fell out of retention, at most 64 per call, on about one event in five (a sum
    -- of the uid's last bytes) and at every refresh: bounded work that still outpaces writes.
    local h = 0
    for i = math.max(1, #uid - 11), #uid do h = h + string.byte(uid, i) end
    if pinned == false or (pinned == nil and h % 5 == 0 and redis.call('EXISTS', pinKey) == 0) then
      local oldest = redis.call('ZRANGE', etKey, 0, 0, 'WITHSCORES')
      if oldest[2] and tonumber(oldest[2]) < now - retention then
        local old = redis.call('ZRANGEBYSCORE', etKey, '-inf', '(' .. (now - retention), 'LIMIT', 0, 64)
        redis.call('HDEL', evKey, unpack(old)); redis.call('ZREM', etKey, unpack(old))
      end
    end
  end
  -- no waiter on this address: the common case ends here
  if redis.call('EXISTS', wtKey) == 0 then return { isNew, {} } end
  -- expired waiters go; live ones are returned
  local dead = redis.call('ZRANGEBYSCORE', wtKey, '-inf', '(' .. now, 'LIMIT', 0, 64)
  if #dead > 0 then redis.call('HDEL', wKey, unpack(dead)); redis.call('ZREM', wtKey, unpack(dead)) end
  local ids = redis.call('ZRANGEBYSCORE', wtKey, now, '+inf')
  if #ids == 0 then return { isNew, {} } end
  return { isNew, hmget_slices(wKey, ids) }
end

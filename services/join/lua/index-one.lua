-- index_one(evKey, etKey, wKey, wtKey, pinKey, uid, t, payload, retention, now, memo) -> { isNew, {lookupJSON...} }
-- The EVENT side of the symmetric join for one event (inlined where a script says
-- --@include index-one). Writes the event into the window of its address, then reads the
-- waiters registered on that address.
--   evKey  ct:ev:{K}  hash  eventUid -> payload (bytes)
--   etKey  ct:et:{K}  zset  eventUid scored by event time (UTC ms)
--   wKey   ct:w:{K}   hash  lookupId -> lookup JSON
--   wtKey  ct:wt:{K}  zset  lookupId scored by its expiry (UTC ms)
--   pinKey ct:pin:{K} string; present = a preservation order pins this window (no trimming, no TTL)
-- memo: nil, or a table one script call passes to every index_one it makes (index-many), where
-- it keeps what it learnt of each window part, so a busy window's second and later events of
-- the call cost HSETNX + ZADD only. Each entry is exact for the rest of the call (a script runs
-- alone): the part's TTL needs no refresh once refreshed or seen >= retention (a trim, which
-- may delete the part, forgets it); its pin key present or not; a lower bound of its oldest
-- score (never above the real oldest; a trim forgets it); the window's live waiters (nothing
-- here registers one; the expired ones were removed when learnt). The state left and the
-- answers are those of index_one without memo, event by event (test/index-many-memo.test.ts).
-- Invariant: the event is written BEFORE the waiters are read; register-and-probe writes the
-- waiter BEFORE reading events. Redis runs each script atomically, so for every
-- (event, waiter) pair at least one of the two scripts sees the other: no match is lost.
-- Writes are idempotent (HSETNX by event uid), so a redelivered event changes nothing.
--@include hmget-slices
local function index_one(evKey, etKey, wKey, wtKey, pinKey, uid, t, payload, retention, now, memo)
  local m = memo and memo[evKey]
  if memo and not m then m = {}; memo[evKey] = m end
  m = m or {}
  local isNew = redis.call('HSETNX', evKey, uid, payload)
  if isNew == 1 then
    redis.call('ZADD', etKey, t, uid)
    if m.oldest and t < m.oldest then m.oldest = t end
    -- Keep the window alive: its keys live 1.5 x retention from a refresh and are refreshed
    -- once less than retention is left (one PTTL per event instead of two PEXPIREs), so an
    -- idle window goes between retention and 1.5 x retention after its last event. No TTL
    -- (PTTL -1) is a new window, or a pinned one (a preservation order: kept whole, untrimmed).
    local pinned = nil
    if m.pinned then
      pinned = true -- this call saw its pin key (the part persisted, or its TTL >= retention)
    elseif not m.fresh and redis.call('PTTL', evKey) < retention then
      pinned = redis.call('EXISTS', pinKey) == 1
      if pinned then
        redis.call('PERSIST', evKey); redis.call('PERSIST', etKey)
        m.pinned = true
      else
        local ttl = math.floor(retention * 1.5)
        redis.call('PEXPIRE', evKey, ttl); redis.call('PEXPIRE', etKey, ttl)
        m.fresh = true; m.unpinned = true
      end
    else
      m.fresh = true
    end
    -- Trim what fell out of retention, at most 64 per call, on about one event in five (a sum
    -- of the uid's last bytes) and at every refresh: bounded work that still outpaces writes.
    local h = 0
    for i = math.max(1, #uid - 11), #uid do h = h + string.byte(uid, i) end
    if pinned == nil and h % 5 == 0 and not m.unpinned then
      m.unpinned = redis.call('EXISTS', pinKey) == 0
      if not m.unpinned then m.pinned = true end
    end
    if pinned == false or (pinned == nil and h % 5 == 0 and m.unpinned) then
      local cut = now - retention
      if not (m.oldest and m.oldest >= cut) then
        local oldest = redis.call('ZRANGE', etKey, 0, 0, 'WITHSCORES')
        if oldest[2] and tonumber(oldest[2]) < cut then
          local old = redis.call('ZRANGEBYSCORE', etKey, '-inf', '(' .. cut, 'LIMIT', 0, 64)
          redis.call('HDEL', evKey, unpack(old)); redis.call('ZREM', etKey, unpack(old))
          m.oldest = nil; m.fresh = nil -- a trim may empty (delete) the part: its TTL is asked again
        else
          m.oldest = oldest[2] and tonumber(oldest[2]) or nil
        end
      end
    end
  end
  local wm = memo and memo[wtKey]
  if wm then return { isNew, wm } end
  local found = {}
  -- no waiter on this address: the common case ends here
  if redis.call('EXISTS', wtKey) == 1 then
    -- expired waiters go; live ones are returned
    local dead = redis.call('ZRANGEBYSCORE', wtKey, '-inf', '(' .. now, 'LIMIT', 0, 64)
    if #dead > 0 then redis.call('HDEL', wKey, unpack(dead)); redis.call('ZREM', wtKey, unpack(dead)) end
    local ids = redis.call('ZRANGEBYSCORE', wtKey, now, '+inf')
    if #ids > 0 then found = hmget_slices(wKey, ids) end
    -- 64 removed: more may be expired, and the next event removes the next ones, as without memo
    if #dead == 64 then return { isNew, found } end
  end
  if memo then memo[wtKey] = found end
  return { isNew, found }
end

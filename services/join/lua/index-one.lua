-- index_one(evKey, etKey, wKey, wtKey, pinKey, member, t, payload, retention, now, memo) -> { isNew, {lookupJSON...} }
-- The EVENT side of the symmetric join for one event (inlined where a script says
-- --@include index-one). Writes the event into its part of the window of its address, then
-- reads the waiters registered on that address. Keys (services/join/window-layout.ts):
--   evKey  ct:fe:{K} / ct:se:{K}  hash  member -> payload (bytes)
--   etKey  ct:ft:{K} / ct:st:{K}  zset  member scored by event time (UTC ms)
--   wKey   ct:w:{K}   hash  lookupId -> lookup JSON
--   wtKey  ct:wt:{K}  zset  lookupId scored by its expiry (UTC ms)
--   pinKey ct:pin:{K} string; present = a preservation order pins this window (no trimming, no TTL)
-- member: 16 bytes, a digest of the event's uid (window-layout.ts memberOf).
-- memo: nil, or a table one script call passes to every index_one it makes (index-many), where
-- it keeps what it learnt of each window part, so a busy window's second and later events of
-- the call cost HSETNX + ZADD only. Each entry is exact for the rest of the call (a script runs
-- alone): the part's TTL needs no refresh once refreshed or seen >= retention (a trim, which
-- may delete the part, forgets it); pinned or not; a lower bound of its oldest score (never
-- above the real oldest; a trim forgets it); the window's live waiters (nothing here registers
-- one; the expired ones were removed when learnt). The state left and the answers are those of
-- index_one without memo, event by event (test/index-many-memo.test.ts).
-- Invariant: the event is written BEFORE the waiters are read; register-and-probe writes the
-- waiter BEFORE reading events. Redis runs each script atomically, so for every
-- (event, waiter) pair at least one of the two scripts sees the other: no match is lost.
-- Writes are idempotent (HSETNX by member), so a redelivered event changes nothing.
-- Lifetime invariant, kept by every writer (this, window-store.ts pin, window-ttl.lua): a part
-- has a TTL only if its window is not pinned; so a TTL read here is also the pin read, and the
-- pin key is read only for a part without TTL (new, or pinned).
--@include hmget-slices
local function index_one(evKey, etKey, wKey, wtKey, pinKey, member, t, payload, retention, now, memo)
  local m = memo and memo[evKey]
  if memo and not m then m = {}; memo[evKey] = m end
  m = m or {}
  local isNew = redis.call('HSETNX', evKey, member, payload)
  if isNew == 1 then
    redis.call('ZADD', etKey, t, member)
    if m.oldest and t < m.oldest then m.oldest = t end
    -- Keep the window alive: its keys live 1.5 x retention from a refresh and are refreshed
    -- once less than retention is left (one PTTL per event instead of two PEXPIREs), so an
    -- idle window goes between retention and 1.5 x retention after its last event. No TTL
    -- (PTTL -1: HSETNX just wrote the key) is a new part, or a pinned one (kept whole, untrimmed).
    local refreshed = false
    if not m.pinned and not m.fresh then
      local pttl = redis.call('PTTL', evKey)
      if pttl == -1 and redis.call('EXISTS', pinKey) == 1 then
        redis.call('PERSIST', evKey); redis.call('PERSIST', etKey)
        m.pinned = true
      elseif pttl < retention then
        local ttl = math.floor(retention * 1.5)
        redis.call('PEXPIRE', evKey, ttl); redis.call('PEXPIRE', etKey, ttl)
        refreshed = true
        -- a new part holds this event only: its oldest score is known without asking
        if pttl == -1 then m.oldest = t end
      end
      if not m.pinned then m.fresh = true end
    end
    -- Trim what fell out of retention, at most 64 per call, on about one event in five (the
    -- member's last byte, a digest's: uniform) and at every refresh: bounded work that still
    -- outpaces writes. Not pinned here means the part has a TTL (the invariant above): it may be trimmed.
    if not m.pinned then
      if refreshed or string.byte(member, #member) % 5 == 0 then
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

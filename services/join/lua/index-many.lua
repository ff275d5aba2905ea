-- index-many: the EVENT side of the symmetric join for n events in one call (see index-one),
-- each exactly as index-and-probe would do it, in order. One script call carries many
-- windows' keys, so it is for a single Redis only: on Redis Cluster every key of a script
-- must share one hash slot, and the store sends index-and-probe per event instead.
-- KEYS[5i-4 .. 5i] the five keys of event i's window part (its hash and zset, ct:w, ct:wt, ct:pin)
-- ARGV[1] retentionMs  ARGV[2] nowMs  ARGV[3i] member (window-layout.ts memberOf)  ARGV[3i+1] eventTime  ARGV[3i+2] payload
-- Returns { isNew_1, {lookupJSON...}_1, isNew_2, {...}_2, ... }, where an event that met the
-- same waiters as an earlier event j of this call (its window's memoised list) has the number
-- j (1-based) instead of the list: a hot window's waiters are sent once per call, not once per event.
-- One memo for the call (index-one): a window's later events skip what its first one learnt.
--@include index-one
local retention, now = tonumber(ARGV[1]), tonumber(ARGV[2])
local out = {}
local memo = {}
local first = {} -- ct:wt:{K} -> the event whose answer carries the window's memoised waiters
for i = 1, #KEYS / 5 do
  local k, a = 5 * (i - 1), 3 * i
  local r = index_one(KEYS[k + 1], KEYS[k + 2], KEYS[k + 3], KEYS[k + 4], KEYS[k + 5], ARGV[a], tonumber(ARGV[a + 1]), ARGV[a + 2], retention, now, memo)
  local ws, wt = r[2], KEYS[k + 4]
  -- the memo's list is set once per call and never changed: the same table is the same waiters
  if #ws > 0 and memo[wt] == ws then
    if first[wt] then ws = first[wt] else first[wt] = i end
  end
  out[#out + 1] = r[1]; out[#out + 1] = ws
end
return out

-- index-many: the EVENT side of the symmetric join for n events in one call (see index-one),
-- each exactly as index-and-probe would do it, in order. One script call carries many
-- windows' keys, so it is for a single Redis only: on Redis Cluster every key of a script
-- must share one hash slot, and the store sends index-and-probe per event instead.
-- KEYS[5i-4 .. 5i] the five keys of event i's window part (its hash and zset, ct:w, ct:wt, ct:pin)
-- ARGV[1] retentionMs  ARGV[2] nowMs  ARGV[3i] member (window-layout.ts memberOf)  ARGV[3i+1] eventTime  ARGV[3i+2] payload
-- Returns { isNew_1, {lookupJSON...}_1, isNew_2, {...}_2, ... }.
-- One memo for the call (index-one): a window's later events skip what its first one learnt.
--@include index-one
local retention, now = tonumber(ARGV[1]), tonumber(ARGV[2])
local out = {}
local memo = {}
for i = 1, #KEYS / 5 do
  local k, a = 5 * (i - 1), 3 * i
  local r = index_one(KEYS[k + 1], KEYS[k + 2], KEYS[k + 3], KEYS[k + 4], KEYS[k + 5], ARGV[a], tonumber(ARGV[a + 1]), ARGV[a + 2], retention, now, memo)
  out[#out + 1] = r[1]; out[#out + 1] = r[2]
end
return out

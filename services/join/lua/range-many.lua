-- range-many: the window reads of many lookups on one window part at once (the correlator's
-- wake phase: the waiters a batch met there), each the read range-events makes for its range,
-- the events the reads share read once.
-- KEYS[1] the part's hash (ct:fe:{K} / ct:se:{K})  KEYS[2] its zset (ct:ft:{K} / ct:st:{K})
-- ARGV[5i-4 .. 5i] range i: from, coreFrom, coreTo, to (UTC ms), limit (see read-nearest)
-- Returns { {payload...}, truncated_1, coreAt_1, coreN_1, beforeAt_1, beforeN_1, afterAt_1, afterN_1, truncated_2, ... }:
-- range i reads payloads coreAt+1 .. coreAt+coreN, then beforeAt+1 .. beforeAt+beforeN in
-- REVERSE order (newest first), then afterAt+1 .. afterAt+afterN (positions 0-based; false
-- where a member has no payload, as HMGET answers).
-- How: the zset orders members by (score, member), and each of read-nearest's three reads is a
-- run of consecutive ranks: the core starts at the rank of the first member >= coreFrom
-- (ZCOUNT -inf (coreFrom), the part before it ends there, the part after starts at the rank of
-- the first member > coreTo (ZCOUNT -inf coreTo); each run is cut at limit the way LIMIT 0 limit
-- cuts it. The runs of all ranges are merged into disjoint rank intervals, each read once
-- (ZRANGE by rank), their payloads once (HMGET).
-- Invariant: read-only; range i's events, their order and its truncated flag are what
-- range-events returns for that range at the same moment (test/wake-reads.test.ts).
--@include hmget-slices
local et = KEYS[2]
local runs = {} -- { first rank (0-based), end rank (exclusive) } per run, three per range
local flags = {}
for i = 1, #ARGV / 5 do
  local a = 5 * (i - 1)
  local from, coreFrom, coreTo, to, limit = ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4], tonumber(ARGV[a + 5])
  local c0 = redis.call('ZCOUNT', et, '-inf', '(' .. coreFrom)
  local c1 = redis.call('ZCOUNT', et, '-inf', coreTo)
  local f0 = redis.call('ZCOUNT', et, '-inf', '(' .. from)
  local t1 = redis.call('ZCOUNT', et, '-inf', to)
  local coreN = math.max(0, math.min(c1 - c0, limit))
  local beforeN = math.max(0, math.min(c0 - f0, limit))
  local afterN = math.max(0, math.min(t1 - c1, limit))
  flags[i] = (coreN == limit or beforeN == limit or afterN == limit) and 1 or 0
  runs[#runs + 1] = { c0, c0 + coreN }
  runs[#runs + 1] = { c0 - beforeN, c0 }
  runs[#runs + 1] = { c1, c1 + afterN }
end
-- merge the runs (by first rank) into blocks; a block's members go to ids at offset `at`
local order = {}
for j = 1, #runs do if runs[j][2] > runs[j][1] then order[#order + 1] = runs[j] end end
table.sort(order, function(x, y) return x[1] < y[1] end)
local blocks = {}
for _, r in ipairs(order) do
  local b = blocks[#blocks]
  if b and r[1] <= b[2] then
    if r[2] > b[2] then b[2] = r[2] end
  else
    blocks[#blocks + 1] = { r[1], r[2] }
  end
end
local ids = {}
for _, b in ipairs(blocks) do
  b[3] = #ids
  local members = redis.call('ZRANGE', et, b[1], b[2] - 1)
  for j = 1, #members do ids[#ids + 1] = members[j] end
end
-- the position in ids of a run's first rank: its block is the last one starting at or before it
local function at(rank)
  local lo, hi = 1, #blocks
  while lo < hi do
    local mid = math.floor((lo + hi + 1) / 2)
    if blocks[mid][1] <= rank then lo = mid else hi = mid - 1 end
  end
  return blocks[lo][3] + rank - blocks[lo][1]
end
local out = { #ids == 0 and {} or hmget_slices(KEYS[1], ids) }
for i = 1, #flags do
  out[#out + 1] = flags[i]
  for j = 3 * i - 2, 3 * i do
    local r = runs[j]
    local n = r[2] - r[1]
    out[#out + 1] = n > 0 and at(r[1]) or 0
    out[#out + 1] = n
  end
end
return out

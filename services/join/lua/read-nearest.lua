-- read_nearest(evKey, etKey, from, coreFrom, coreTo, to, limit) -> { truncated, payloads }
-- Shared by register-and-probe and range-events (inlined where a script says --@include).
-- Reads the core of a window whole, then outward: the newest events before it and the
-- oldest after it, so a cut drops the records farthest from the lookup window.
--@include hmget-slices
local function read_nearest(evKey, etKey, from, coreFrom, coreTo, to, limit)
  local core = redis.call('ZRANGEBYSCORE', etKey, coreFrom, coreTo, 'LIMIT', 0, limit)
  local before = redis.call('ZREVRANGEBYSCORE', etKey, '(' .. coreFrom, from, 'LIMIT', 0, limit)
  local after = redis.call('ZRANGEBYSCORE', etKey, '(' .. coreTo, to, 'LIMIT', 0, limit)
  local truncated = (#core == limit or #before == limit or #after == limit) and 1 or 0
  local ids = core
  for i = 1, #before do ids[#ids + 1] = before[i] end
  for i = 1, #after do ids[#ids + 1] = after[i] end
  if #ids == 0 then return { truncated, {} } end
  return { truncated, hmget_slices(evKey, ids) }
end

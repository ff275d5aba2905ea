-- hmget_slices(key, fields) -> values in the order of `fields` (inlined where a script says
-- --@include hmget-slices). KEYS: none of its own (`key` is one of the caller's KEYS).
-- HMGET in slices of 1000: unpack() of a list longer than ~8k overflows Lua's C stack, and
-- one hot address (a CGN or VPN exit) must not fail, and so block, its partition.
local function hmget_slices(key, fields)
  local out = {}
  for i = 1, #fields, 1000 do
    local part = redis.call('HMGET', key, unpack(fields, i, math.min(i + 999, #fields)))
    for j = 1, #part do out[#out + 1] = part[j] end
  end
  return out
end

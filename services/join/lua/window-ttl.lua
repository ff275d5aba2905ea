-- window-ttl: gives window parts a rebuild meets for the first time the lifetime index-one
-- gives a new part (window-bulk-write.ts; sent as EVAL on its raw connection, after the part's
-- HSETNX / ZADD in the same pipeline).
-- KEYS[3i-2] ct:pin:{K}  KEYS[3i-1] the part's hash  KEYS[3i] the part's sorted set (window-layout.ts)
-- ARGV[i] 1.5 x the part's retention, ms
-- Invariant (index-one relies on it): a part has a TTL only if its window is not pinned. The pin
-- is read and the TTL set in one step, so a pin set meanwhile (window-store.ts pin: SET + PERSIST
-- in one MULTI) cannot be undone by a TTL written after it.
for i = 1, #ARGV do
  local k = 3 * (i - 1)
  if redis.call('EXISTS', KEYS[k + 1]) == 1 then
    redis.call('PERSIST', KEYS[k + 2]); redis.call('PERSIST', KEYS[k + 3])
  else
    redis.call('PEXPIRE', KEYS[k + 2], ARGV[i]); redis.call('PEXPIRE', KEYS[k + 3], ARGV[i])
  end
end
return 0

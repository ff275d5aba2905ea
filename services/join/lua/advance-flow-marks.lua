-- Advances the flow watermark marks (join/flow-watermark.ts) after a batch was indexed.
-- KEYS[1] ct:flowmark, a hash: "<exporterId>|<partition>" -> export time, UTC ms
-- ARGV    field1, ms1, field2, ms2, ...
-- Invariant: a mark never moves back (a redelivered or replayed batch leaves it as it is).
for i = 1, #ARGV, 2 do
  local cur = tonumber(redis.call('HGET', KEYS[1], ARGV[i]) or '-1')
  if tonumber(ARGV[i + 1]) > cur then redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
end
return 0

-- dedupe-many: remembers each event id once, for ingest (services/ingest/dedupe.ts).
-- KEYS[i] ct:dd:<exporterId>/<eventId>   ARGV[1] window ms   ARGV[i + 1] source coordinates of KEYS[i]
-- Per key, SET NX GET PX: returns, per key, the coordinates already stored (nil when new).
local out = {}
for i, k in ipairs(KEYS) do
  out[i] = redis.call('SET', k, ARGV[i + 1], 'PX', ARGV[1], 'NX', 'GET')
end
return out

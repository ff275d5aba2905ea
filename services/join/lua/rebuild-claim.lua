-- rebuild-claim: a window rebuild (state-rebuild.ts) takes over the rebuild progress.
-- KEYS[1] ct:state:rebuild:v2  hash  'topic/partition' -> offset below which every record is written; 'run' -> the rebuild writing it
-- ARGV[1] this rebuild's run id
-- Returns the progress as it was (HGETALL, flat), then names this run as its writer.
-- Invariant: read and claim are one step, so a FLUSHALL cannot fall between them: the offsets
-- returned describe windows that were still in Redis when the run id was written beside them,
-- and once a FLUSHALL takes the run id away, rebuild-progress / rebuild-done refuse this run.
local was = redis.call('HGETALL', KEYS[1])
redis.call('HSET', KEYS[1], 'run', ARGV[1])
return was

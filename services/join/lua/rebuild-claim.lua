-- rebuild-claim: a window rebuild (state-rebuild.ts) takes over the rebuild progress.
-- KEYS[1] ct:state:rebuild:v2  hash  'topic/partition' -> offset below which every record is written; 'run' -> the rebuild writing it
-- KEYS[2] ct:state:built:v2    string: the windows' marker (window-layout.ts STATE_MARKER)
-- ARGV[1] this rebuild's run id
-- Returns the progress as it was (HGETALL, flat), then names this run as its writer and drops
-- the marker: while a rebuild writes, the windows hold a prefix of each partition and no read
-- of them may decide anything (the windows' fence, window-store.ts), whether the marker was
-- there before (`crosstrace rebuild` on windows marked built) or not; rebuild-done sets it anew.
-- Invariant: read and claim are one step, so a FLUSHALL cannot fall between them: the offsets
-- returned describe windows that were still in Redis when the run id was written beside them,
-- and once a FLUSHALL takes the run id away, rebuild-progress / rebuild-done refuse this run.
-- The marker goes by PEXPIRE 0 (deleted at once), not DEL: the correlator's Redis user has no DEL.
local was = redis.call('HGETALL', KEYS[1])
redis.call('HSET', KEYS[1], 'run', ARGV[1])
redis.call('PEXPIRE', KEYS[2], 0)
return was

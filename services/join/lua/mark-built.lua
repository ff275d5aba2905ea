-- mark-built: marks the windows built without a rebuild (a first start on empty topics, or
-- CROSSTRACE_CORRELATOR_REBUILD_EMPTY_REDIS=false taking an empty Redis as intended), unless
-- they already are or a rebuild holds the progress.
-- KEYS[1] ct:state:rebuild:v2  hash (the progress; 'run' -> the rebuild writing it)
-- KEYS[2] ct:state:built:v2    string: the windows' marker (ISO time; its value names the build)
-- ARGV[1] now, ISO 8601
-- Returns 1 when marked, 0 when already marked (the value, and so the build, stays) or a
-- rebuild's run holds the progress (one running, or one that stopped midway: its windows are a
-- prefix of the topics until a rebuild completes, which marks them: rebuild-done).
if redis.call('HGET', KEYS[1], 'run') then return 0 end
if redis.call('SET', KEYS[2], ARGV[1], 'NX') then return 1 end
return 0

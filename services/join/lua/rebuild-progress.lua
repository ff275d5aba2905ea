-- rebuild-progress: records how far a window rebuild has written, if Redis still holds its run.
-- KEYS[1] ct:state:rebuild:v2  hash  'topic/partition' -> offset; 'run' -> the rebuild writing it
-- ARGV[1] the run id (rebuild-claim)  ARGV[2..] field, offset, field, offset, ...
-- Returns 1 when written, 0 when the run id is gone (Redis lost its data during the rebuild:
-- a FLUSHALL or a restart) or another rebuild claimed the progress.
-- Invariant: offsets are recorded only beside the run that wrote the windows below them; after
-- a loss nothing is recorded (an HSET would re-create the hash with offsets whose windows were
-- flushed, and a later rebuild would resume past records it never wrote).
if redis.call('HGET', KEYS[1], 'run') ~= ARGV[1] then return 0 end
if #ARGV > 1 then redis.call('HSET', KEYS[1], unpack(ARGV, 2)) end
return 1

-- rebuild-done: a window rebuild that wrote everything marks Redis as built, if Redis still holds its run.
-- KEYS[1] ct:state:rebuild:v2  hash (the progress; 'run' -> the rebuild writing it)
-- KEYS[2] ct:state:built:v2 string: this Redis holds state built from Kafka (ISO time)
-- ARGV[1] the run id (rebuild-claim)  ARGV[2] now, ISO 8601
-- Returns 1 when marked, 0 when the run id is gone (a FLUSHALL or a restart during the
-- rebuild took windows it wrote: the marker stays unset, so the loss is seen and rebuilt again).
-- Invariant: the marker is set only when every window the rebuild wrote is still in Redis.
-- The progress goes by PEXPIRE 0 (a timeout in the past deletes the key), not DEL: the
-- correlator's Redis user has no DEL.
if redis.call('HGET', KEYS[1], 'run') ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[2])
redis.call('PEXPIRE', KEYS[1], 0)
return 1

-- range-events: reads the events of a window nearest the lookup window first (used after an
-- event found waiters, to give the matcher the whole context: a STOP needs its START).
-- KEYS[1] the part's hash (ct:fe:{K} / ct:se:{K})  KEYS[2] its zset (ct:ft:{K} / ct:st:{K})
-- ARGV[1] from  ARGV[2] coreFrom  ARGV[3] coreTo  ARGV[4] to (UTC ms)  ARGV[5] limit
-- Returns { truncated (0/1), {payload...} }: every event in [coreFrom, coreTo] (at most
-- limit), the limit NEWEST in [from, coreFrom) and the limit OLDEST in (coreTo, to];
-- truncated = 1 when any part reached its limit.
-- Invariant: read-only.
--@include read-nearest
return read_nearest(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5]))

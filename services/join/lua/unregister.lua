-- unregister: removes a waiter when its trace closes or expires.
-- KEYS[1] ct:w:{K}  KEYS[2] ct:wt:{K}   ARGV[1] lookupId
-- Invariant: removing a waiter never touches events; it is idempotent.
redis.call('HDEL', KEYS[1], ARGV[1])
return redis.call('ZREM', KEYS[2], ARGV[1])

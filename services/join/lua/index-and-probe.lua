-- index-and-probe: the EVENT side of the symmetric join, one event (see index-one).
-- KEYS[1..5] the part's hash and zset (ct:fe/ct:ft or ct:se/ct:st:{K}), ct:w:{K} ct:wt:{K} ct:pin:{K}
-- ARGV[1] member (window-layout.ts memberOf)  ARGV[2] eventTime  ARGV[3] payload  ARGV[4] retentionMs  ARGV[5] nowMs
-- Returns { isNew (0/1), {lookupJSON...} }.
--@include index-one
return index_one(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], ARGV[1], tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]))

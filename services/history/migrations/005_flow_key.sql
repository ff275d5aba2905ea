-- 005: one btree on flow_records instead of two, and no BRIN. The archive writes every flow copy
-- into every index of flow_records; the profile of issue 14 put PostgreSQL's share of the
-- archive's CPU in those index inserts. Every reader of flow_records asks for one window key
-- over a time range, ordered by time (services/tracer/history-lookup.ts, preservation.ts:
-- window_key = $1 AND at BETWEEN ... ORDER BY at), and the idempotence key of a flow copy is
-- (uid, dir, at), to which its window key adds nothing: ingest writes at most one copy per
-- direction of a flow (normalise.ts: 'out' under its source, 'in' under its destination). So
-- the primary key becomes (window_key, at, uid, dir): it still refuses a copy already stored
-- (a redelivery, a replay: the archive merges with ON CONFLICT DO NOTHING), and it is the index
-- the reads use, so (window_key, at) goes. No query reads flow_records by time alone (retention
-- drops whole day partitions by name), so BRIN (at) goes too.
-- On an existing store this rebuilds the key of every day partition inside the migration's
-- transaction (ACCESS EXCLUSIVE on flow_records while it runs: the archive waits, the tracer's
-- archive reads wait) for as long as building that btree over every row takes (not measured here).
ALTER TABLE flow_records DROP CONSTRAINT flow_records_pkey;
ALTER TABLE flow_records ADD PRIMARY KEY (window_key, at, uid, dir);
DROP INDEX flow_records_window_time;
DROP INDEX flow_records_at_brin;

-- 001: the history store. Written only by services/archive (COPY into per-connection staging
-- tables, then INSERT ... ON CONFLICT, one transaction per consumed batch); read by the tracer's
-- historical lookups. All times are timestamptz (UTC ms from the records).
--
-- Two things are kept per session record:
--   session_records  the normalised Avro value exactly as on sessions.norm, under the window key
--                    it was published with: the evidence the join's matchers read (the same
--                    records, the same rules as the live Redis windows);
--   sessions         one row per session (the matchers' session key) and address it covers: an
--                    interval [earliest START/INTERIM, latest STOP] with an open upper bound while
--                    no STOP is known or evidence came after the last STOP. It is the index that
--                    finds a START three weeks back in one GiST probe, however busy the window.
-- Flows are kept per day partition (declarative range partitioning on event time), created by
-- the archive before the first row of a day arrives.
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE session_records (
  window_key   text        NOT NULL,  -- the Kafka key on sessions.norm (see services/common/address.ts windowKey)
  uid          text        NOT NULL,  -- exporterId/eventId (ct-uid): the idempotence key
  at           timestamptz NOT NULL,  -- ct-time: the record's event time
  produced_at  timestamptz NOT NULL,  -- ct-origin-ts: when the provider produced it
  session_key  text        NOT NULL,  -- the matchers' session key (START/INTERIM/STOP pair on it)
  value        bytea       NOT NULL,  -- Confluent-framed Avro SessionEvent, as consumed
  PRIMARY KEY (window_key, uid)
);
CREATE INDEX session_records_window_time ON session_records (window_key, at);
CREATE INDEX session_records_session ON session_records (session_key);

CREATE TABLE sessions (
  session_key  text        NOT NULL,
  scope        text        NOT NULL,  -- provider id for provider-scoped (inside) addresses, '' for global ones
  addr         cidr        NOT NULL,  -- outside address (/32, /128) or access prefix
  ports        int4range   NOT NULL,  -- outside port, port block [lo,hi], or [0,65535] = every port
  kind         text        NOT NULL,  -- SessionKind
  provider_id  text,
  leads_to     text,                  -- inside addr[:port]; NULL for access sessions (terminal)
  start_at     timestamptz,           -- earliest START/INTERIM; NULL = only a STOP seen (start unknown)
  evidence_at  timestamptz,           -- latest START/INTERIM
  stop_at      timestamptz,           -- latest STOP
  valid        tstzrange GENERATED ALWAYS AS (
                 tstzrange(start_at, CASE WHEN stop_at >= evidence_at OR evidence_at IS NULL THEN stop_at END, '[]')
               ) STORED,
  PRIMARY KEY (session_key, scope, addr, ports)
);
-- "who held addr[:port] at t": scope = $1 AND addr >>= $2 AND ports @> $3 AND valid @> $4
-- (or && a window); longest prefix first by masklen(addr). btree_gist puts scope in the index.
CREATE INDEX sessions_who_held ON sessions USING gist (scope, addr inet_ops, valid, ports);

CREATE TABLE flow_records (
  window_key   text        NOT NULL,  -- the relay-side address this copy is indexed under
  uid          text        NOT NULL,
  dir          "char"      NOT NULL,  -- 'i' = indexed under its destination, 'o' = under its source
  at           timestamptz NOT NULL,  -- ct-time
  produced_at  timestamptz NOT NULL,
  src          inet        NOT NULL,
  src_port     integer,
  dst          inet        NOT NULL,
  dst_port     integer,
  value        bytea       NOT NULL,  -- Confluent-framed Avro FlowEvent, as consumed
  PRIMARY KEY (uid, dir, at)
) PARTITION BY RANGE (at);
-- A relay lookup reads one endpoint's window over a time range: btree (window_key, at); BRIN on
-- time for range scans and retention checks across a whole day.
CREATE INDEX flow_records_window_time ON flow_records (window_key, at);
CREATE INDEX flow_records_at_brin ON flow_records USING brin (at);

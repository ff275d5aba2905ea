-- 002: preservation orders (Budapest Convention Art. 16/29: preserve, 90 days, extendable).
-- An order copies the flow records of the windows a trace relies on into preserved_flow_records,
-- which no retention run touches; readers see them while the order is open (not released, not
-- expired). A day partition of flow_records can then be dropped without losing them.
CREATE TABLE preservation_orders (
  order_id     text        PRIMARY KEY,
  trace_id     text        NOT NULL,
  opened_at    timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  released_at  timestamptz
);

CREATE TABLE preserved_flow_records (
  order_id     text NOT NULL REFERENCES preservation_orders ON DELETE CASCADE,
  LIKE flow_records,
  PRIMARY KEY (order_id, uid, dir, at)
);
CREATE INDEX preserved_flow_records_window_time ON preserved_flow_records (window_key, at);

-- 003: a preservation order pins session records too (the START of a session three weeks back
-- as much as the records in a hop's window), so the retention sweep of sessions (retention.ts)
-- cannot take the evidence a preserved trace relies on.
CREATE TABLE preserved_session_records (
  order_id     text NOT NULL REFERENCES preservation_orders ON DELETE CASCADE,
  LIKE session_records,
  PRIMARY KEY (order_id, window_key, uid)
);
CREATE INDEX preserved_session_records_window_time ON preserved_session_records (window_key, at);
CREATE INDEX preserved_session_records_session ON preserved_session_records (session_key);

-- 004: the legal clock of a preservation order. Budapest Convention Art. 16(2): data is preserved
-- "up to a maximum of ninety days", and the order may be renewed; Art. 29(7): a preservation on a
-- partner's request lasts not less than sixty days. Every period an order was opened or renewed
-- for is recorded (when, how many days, the expiry before and after), and when the retention run
-- let go of the pinned records of an order that expired or was released (pins_released_at).
ALTER TABLE preservation_orders ADD COLUMN legal_basis text NOT NULL DEFAULT 'BUDAPEST_ART16_29';
ALTER TABLE preservation_orders ADD COLUMN pins_released_at timestamptz;

CREATE TABLE preservation_periods (
  order_id        text        NOT NULL REFERENCES preservation_orders ON DELETE CASCADE,
  seq             integer     NOT NULL,   -- 1 = the opening, then each renewal or re-opening
  kind            text        NOT NULL CHECK (kind IN ('OPEN', 'EXTEND', 'REOPEN')),
  at              timestamptz NOT NULL,
  days            integer     NOT NULL CHECK (days BETWEEN 1 AND 90),
  expires_before  timestamptz,            -- NULL for the opening
  expires_after   timestamptz NOT NULL,
  PRIMARY KEY (order_id, seq)
);
-- orders opened before this migration get their opening as period 1 (their requested days, capped to the legal 90 in the record)
INSERT INTO preservation_periods (order_id, seq, kind, at, days, expires_before, expires_after)
  SELECT order_id, 1, 'OPEN', opened_at, LEAST(90, GREATEST(1, ceil(extract(epoch FROM expires_at - opened_at) / 86400)::int)), NULL, expires_at
    FROM preservation_orders;

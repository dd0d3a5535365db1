-- Webhook deliveries (CONTRACT §8): one row per (webhook, event seq), written
-- in the same transaction as the event; `body` is the exact JSON POSTed.
-- Times are Unix milliseconds (0: none).
CREATE TABLE deliveries (
  webhook         TEXT   NOT NULL,
  seq             BIGINT NOT NULL,
  type            TEXT   NOT NULL,
  body            TEXT   NOT NULL,
  status          TEXT   NOT NULL,
  attempts        BIGINT NOT NULL,
  created_ms      BIGINT NOT NULL,
  last_attempt_ms BIGINT NOT NULL,
  next_attempt_ms BIGINT NOT NULL,
  last_error      TEXT   NOT NULL,
  PRIMARY KEY (webhook, seq)
);
CREATE INDEX deliveries_by_status ON deliveries (status, webhook, seq);

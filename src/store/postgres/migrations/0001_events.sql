-- The event log: cocreate's source of truth. `data` and `private` are JSON
-- text (the json type keeps member order, unlike jsonb).
CREATE TABLE events (
  seq     BIGINT PRIMARY KEY,
  type    TEXT   NOT NULL,
  at      TEXT   NOT NULL,
  actor   TEXT   NOT NULL,
  subject TEXT   NOT NULL,
  data    JSON   NOT NULL,
  private JSON   NOT NULL
);
CREATE INDEX events_subject ON events (subject);

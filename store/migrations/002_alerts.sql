-- Alert outbox (append-only from every agent; the Telegram agent marks rows delivered) and the
-- conditions currently open, keyed by dedup_key, so a condition alerts once and recovers once.

CREATE TABLE alerts (
  id                INTEGER PRIMARY KEY,
  created_at        INTEGER NOT NULL,
  agent             TEXT    NOT NULL,
  chain             TEXT,
  rule              TEXT    NOT NULL,
  subject           TEXT    NOT NULL,
  dedup_key         TEXT    NOT NULL,
  severity          TEXT    NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
  kind              TEXT    NOT NULL CHECK (kind IN ('open', 'recovery')),
  title             TEXT    NOT NULL,
  body              TEXT    NOT NULL,
  block_number      INTEGER,
  delivered_at      INTEGER,
  delivery_attempts INTEGER NOT NULL DEFAULT 0,
  last_error        TEXT
);

CREATE INDEX alerts_undelivered ON alerts (delivered_at, id);
CREATE INDEX alerts_dedup_key ON alerts (dedup_key, id);

CREATE TABLE alert_state (
  dedup_key     TEXT    NOT NULL PRIMARY KEY,
  alert_id      INTEGER NOT NULL REFERENCES alerts (id),
  agent         TEXT    NOT NULL,
  chain         TEXT,
  rule          TEXT    NOT NULL,
  subject       TEXT    NOT NULL,
  severity      TEXT    NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
  title         TEXT    NOT NULL,
  opened_at     INTEGER NOT NULL,
  opened_block  INTEGER
);

-- Operations: agent heartbeats, operator controls (pauses), and the append-only audit log.

CREATE TABLE heartbeats (
  agent    TEXT    NOT NULL PRIMARY KEY,
  pid      INTEGER NOT NULL,
  beat_at  INTEGER NOT NULL,
  info     TEXT    NOT NULL                  -- JSON
);

CREATE TABLE controls (
  key      TEXT    NOT NULL PRIMARY KEY,     -- 'pause:all', 'pause:executor', ...
  value    TEXT    NOT NULL,                 -- JSON
  set_by   TEXT    NOT NULL,
  set_at   INTEGER NOT NULL
);

CREATE TABLE audit_log (
  id       INTEGER PRIMARY KEY,
  at       INTEGER NOT NULL,
  actor    TEXT    NOT NULL,
  action   TEXT    NOT NULL,
  detail   TEXT    NOT NULL                  -- JSON
);

CREATE INDEX audit_log_at ON audit_log (at);

-- Alerts that wait for evidence (watch/persistence.ts). A watcher condition alerts (or recovers)
-- only after it has persisted for its rule's blocks/seconds. Streaks under way are kept here,
-- written in the same transaction as the block they count, so a restarted watcher resumes
-- counting where it stopped. One writer per row: the watcher agent named in `agent`.

CREATE TABLE alert_pending (
  dedup_key   TEXT    NOT NULL PRIMARY KEY,
  agent       TEXT    NOT NULL,
  rule        TEXT    NOT NULL,
  toward      TEXT    NOT NULL CHECK (toward IN ('open', 'close')),
  blocks      INTEGER NOT NULL CHECK (blocks >= 1),
  since_block INTEGER NOT NULL,
  since_time  INTEGER NOT NULL
);

CREATE INDEX alert_pending_agent ON alert_pending (agent);

-- Glitches: streaks that ended before they persisted (nothing was pushed), counted per agent and
-- rule, with the last one's key and block.
CREATE TABLE alert_glitches (
  agent       TEXT    NOT NULL,
  rule        TEXT    NOT NULL,
  count       INTEGER NOT NULL,
  last_key    TEXT    NOT NULL,
  last_block  INTEGER,
  last_at     INTEGER NOT NULL,
  PRIMARY KEY (agent, rule)
);

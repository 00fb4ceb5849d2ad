-- Reward epochs (issue 15), written by the distributor agent only. One row per closed epoch,
-- inserted BEFORE any side effect: the published tree (JSON: epoch, root, every leaf, the
-- inputs' block numbers) is stored first, then setRoot and the funding go out as exactly-once
-- transaction intents (keys rewards:<epoch>:root and rewards:<epoch>:fund) and the status moves on.
--   built     tree stored, root not yet confirmed on chain
--   rooted    setRoot confirmed; funding not yet confirmed
--   funded    funding confirmed (final)
--   losing    a losing epoch: no root, no funding, the loss carried (final)
-- carried_loss / remainder are what the epoch carries to the next one (decimal strings, wei).
CREATE TABLE reward_epochs (
  epoch         INTEGER PRIMARY KEY,
  start_time    INTEGER NOT NULL,
  end_time      INTEGER NOT NULL,
  status        TEXT    NOT NULL CHECK (status IN ('built', 'rooted', 'funded', 'losing')),
  root          TEXT,
  funding       TEXT    NOT NULL DEFAULT '0',
  carried_loss  TEXT    NOT NULL DEFAULT '0',
  remainder     TEXT    NOT NULL DEFAULT '0',
  tree          TEXT,                             -- the published JSON (null for a losing epoch)
  summary       TEXT    NOT NULL DEFAULT '{}',    -- JSON: earnings and inputs (losing epochs too)
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
);

-- Small distributor state (e.g. the first epoch it closes).
CREATE TABLE reward_meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

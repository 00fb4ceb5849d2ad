-- The agent runtime's write probe after a full disk (store/probe.ts): a row of two pages is
-- written, committed and deleted again; a failure means the store still cannot take writes.
CREATE TABLE store_probe (
  id INTEGER PRIMARY KEY,
  agent TEXT NOT NULL,
  at INTEGER NOT NULL,
  pad BLOB NOT NULL
);

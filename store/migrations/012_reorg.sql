-- Reorgs: the watcher keeps the hash chain of the blocks it processed (pruned below the chain's
-- finality depth plus a margin), so a reorg finds its common ancestor even after a restart; an
-- alert raised on a block a reorg removed is retracted (never delivered) or corrected.

CREATE TABLE watch_blocks (
  chain         TEXT    NOT NULL,
  block_number  INTEGER NOT NULL,
  block_hash    TEXT    NOT NULL,
  parent_hash   TEXT    NOT NULL,
  created_at    INTEGER NOT NULL,
  PRIMARY KEY (chain, block_number)
);

-- Set when a reorg removed the block the alert was raised on: withdrawn. Undelivered, it is never
-- sent; delivered, a correction notice (a new row) followed.
ALTER TABLE alerts ADD COLUMN retracted_at INTEGER;

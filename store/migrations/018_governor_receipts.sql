-- Governor (receipts branch): a failed cast records whether it may be retried with a fresh
-- signature (a stale Snapshot timestamp, a cancelled / reverted / nonce-taken Governor vote) —
-- the round then casts again under a new key before the deadline; and the governor's scan of
-- the pool share token's Transfer recipients per chain (the holders whose balances weigh a
-- tally) is kept with the block it reached, so rounds read only the logs past it.

ALTER TABLE gov_casts ADD COLUMN retryable INTEGER NOT NULL DEFAULT 0 CHECK (retryable IN (0, 1));

CREATE TABLE gov_share_cursors (
  chain         TEXT    NOT NULL,
  token         TEXT    NOT NULL,                  -- the share token, lower-case
  block_number  INTEGER NOT NULL,                  -- every Transfer recipient up to this block (inclusive) is in holders
  block_hash    TEXT    NOT NULL,                  -- that block's hash: a reorg below it restarts the scan
  holders       TEXT    NOT NULL,                  -- JSON: checksummed addresses, in order of first receipt
  updated_at    INTEGER NOT NULL,
  PRIMARY KEY (chain, token)
);

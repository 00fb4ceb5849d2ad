-- Watch data: one sample per venue per block, the pool's positions, and each chain's cursor.
-- Portable types only: INTEGER (64-bit), REAL, TEXT. Amounts are decimal TEXT (exact bigints);
-- booleans are INTEGER 0/1; timestamps are ms integers unless the name says otherwise.

CREATE TABLE samples (
  venue_id      TEXT    NOT NULL,
  chain         TEXT    NOT NULL,
  block_number  INTEGER NOT NULL,
  block_hash    TEXT    NOT NULL,
  block_time    INTEGER NOT NULL,            -- unix seconds
  available     INTEGER NOT NULL CHECK (available IN (0, 1)),
  error         TEXT,                        -- why the venue call failed when available = 0
  exchange_rate TEXT,                        -- 1e18-scaled
  apy           REAL,
  tvl           TEXT,                        -- raw units of the venue's asset
  utilisation   REAL,
  withdrawable  TEXT,                        -- raw units
  peg           REAL,
  paused        INTEGER CHECK (paused IN (0, 1)),
  created_at    INTEGER NOT NULL,
  PRIMARY KEY (venue_id, block_number)
);

CREATE INDEX samples_chain_block ON samples (chain, block_number);

CREATE TABLE positions (
  venue_id      TEXT    NOT NULL,
  chain         TEXT    NOT NULL,
  block_number  INTEGER NOT NULL,
  amount        TEXT    NOT NULL,            -- assets, raw units
  shares        TEXT,                        -- venue shares, raw units
  created_at    INTEGER NOT NULL,
  PRIMARY KEY (venue_id, block_number)
);

CREATE TABLE watch_cursors (
  chain         TEXT    NOT NULL PRIMARY KEY,
  block_number  INTEGER NOT NULL,            -- last fully processed block
  block_hash    TEXT    NOT NULL,
  updated_at    INTEGER NOT NULL
);

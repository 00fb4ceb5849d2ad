-- History that lasts: hourly aggregates per venue (written by each chain's watcher as it compacts
-- its samples, store/history.ts). Full samples are kept for history.fullRetentionDays; an hour is
-- folded into one row here once complete, and its raw samples are deleted once older than the
-- retention. Kept for good. Amounts are decimal TEXT (min/max compared as integers), times unix
-- seconds; `hour` is the unix second the hour starts at (UTC).

CREATE TABLE sample_hours (
  venue_id        TEXT    NOT NULL,
  chain           TEXT    NOT NULL,
  hour            INTEGER NOT NULL,
  samples         INTEGER NOT NULL,            -- stored samples folded in
  available       INTEGER NOT NULL,            -- of which readable
  first_block     INTEGER NOT NULL,
  last_block      INTEGER NOT NULL,
  first_time      INTEGER NOT NULL,
  last_time       INTEGER NOT NULL,
  apy_n           INTEGER NOT NULL,            -- samples with an APY: mean = apy_sum / apy_n
  apy_sum         REAL,
  apy_open        REAL,
  apy_close       REAL,
  apy_min         REAL,
  apy_max         REAL,
  tvl_open        TEXT,
  tvl_close       TEXT,
  tvl_min         TEXT,
  tvl_max         TEXT,
  util_open       REAL,
  util_close      REAL,
  util_min        REAL,
  util_max        REAL,
  peg_open        REAL,
  peg_close       REAL,
  peg_min         REAL,
  peg_max         REAL,
  exchange_rate_close TEXT,
  withdrawable_close  TEXT,
  paused_any      INTEGER,                     -- 1 when any sample of the hour was paused
  position_close  TEXT,                        -- the pool's position at the hour's last sample
  position_shares_close TEXT,
  created_at      INTEGER NOT NULL,
  PRIMARY KEY (venue_id, hour)
) WITHOUT ROWID;

CREATE INDEX sample_hours_chain_hour ON sample_hours (chain, hour);

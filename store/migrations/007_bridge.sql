-- Cross-chain transfers (written by the executor): one row per bridge step of a plan, a state
-- machine moved only by compare-and-set:
--   pending     the row exists; the source tx (approve + transferTokens intents) may be in flight
--   initiated   the source tx is confirmed: source_tx, sequence, emitter known; funds in flight
--   vaa_signed  the guardians' VAA is fetched and verified (vaa)
--   redeemed    completeTransfer confirmed on the destination (dest_tx; NULL when found already complete)
--   deposited   the plan's deposits on the destination after it are done (or there were none)
--   failed      only from pending: nothing left the source (a pre-flight revert)
-- Amounts are decimal TEXT (raw units), addresses lower-case.
CREATE TABLE transfers (
  id             TEXT    NOT NULL PRIMARY KEY,           -- <plan id>:<bridge step idx>
  plan_id        TEXT    NOT NULL REFERENCES plans (id),
  step_idx       INTEGER NOT NULL CHECK (step_idx >= 0),  -- the bridge step
  redeem_idx     INTEGER,                                -- the redeem step
  source_chain   TEXT    NOT NULL,
  dest_chain     TEXT    NOT NULL,
  token          TEXT    NOT NULL,                       -- the collateral token on the source chain
  dest_token     TEXT    NOT NULL,                       -- the collateral token on the destination
  recipient      TEXT    NOT NULL,                       -- the pool account on the destination
  amount         TEXT    NOT NULL,                       -- raw units of the source token
  received       TEXT    NOT NULL,                       -- raw units of the destination token expected
  state          TEXT    NOT NULL CHECK (state IN ('pending', 'initiated', 'vaa_signed', 'redeemed', 'deposited', 'failed')),
  source_tx      TEXT,
  source_block   INTEGER,
  sequence       TEXT,                                   -- Wormhole message sequence (decimal)
  emitter        TEXT,                                   -- emitter address, 32 bytes hex
  vaa            TEXT,                                   -- signed VAA bytes, 0x hex
  dest_tx        TEXT,
  dest_block     INTEGER,
  attempts       INTEGER NOT NULL DEFAULT 0,             -- failed tries (VAA fetch, redeem, unreachable)
  last_error     TEXT,
  created_at     INTEGER NOT NULL,
  initiated_at   INTEGER,
  vaa_at         INTEGER,
  redeemed_at    INTEGER,
  deposited_at   INTEGER,
  updated_at     INTEGER NOT NULL
);

CREATE UNIQUE INDEX transfers_step ON transfers (plan_id, step_idx);
CREATE INDEX transfers_state ON transfers (state, created_at);

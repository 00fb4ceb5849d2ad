-- Decide and act: plans and their steps (written by the strategist; step and execution states by
-- the executor), committee approvals (written by the CLI and the Telegram agent), and the
-- exactly-once money path: transaction intents, their signed attempts, and per-account nonces
-- (written by the executor). Amounts are decimal TEXT (raw units), JSON columns are TEXT.

CREATE TABLE plans (
  id                 TEXT    NOT NULL PRIMARY KEY,   -- e.g. p-<chain>-<block>-<n>
  created_at         INTEGER NOT NULL,
  updated_at         INTEGER NOT NULL,
  chain              TEXT,                           -- NULL: a multi-chain plan
  status             TEXT    NOT NULL CHECK (status IN ('proposed', 'awaiting_approval', 'approved', 'executing', 'completed', 'failed', 'rejected', 'superseded')),
  based_on_block     TEXT    NOT NULL,               -- JSON { "<chain>": "<block>" }
  total_amount       TEXT    NOT NULL,               -- raw units of the collateral moved
  expected_gain      TEXT    NOT NULL,               -- raw units over the strategy horizon
  cost               TEXT    NOT NULL,               -- raw units
  needs_approval     INTEGER NOT NULL CHECK (needs_approval IN (0, 1)),
  approvals_required INTEGER NOT NULL CHECK (approvals_required >= 0),
  explanation        TEXT    NOT NULL,               -- JSON, opaque to the store
  error              TEXT
);

CREATE INDEX plans_status ON plans (status, created_at);
CREATE INDEX plans_chain_status ON plans (chain, status);

CREATE TABLE plan_steps (
  plan_id     TEXT    NOT NULL REFERENCES plans (id),
  idx         INTEGER NOT NULL CHECK (idx >= 0),
  kind        TEXT    NOT NULL CHECK (kind IN ('withdraw', 'deposit', 'bridge', 'redeem')),
  chain       TEXT    NOT NULL,
  venue_id    TEXT    NOT NULL,
  amount      TEXT    NOT NULL,                      -- raw units of the venue's asset
  status      TEXT    NOT NULL CHECK (status IN ('pending', 'sent', 'confirmed', 'failed', 'skipped')),
  detail      TEXT    NOT NULL,                      -- JSON
  error       TEXT,
  updated_at  INTEGER NOT NULL,
  PRIMARY KEY (plan_id, idx)
);

CREATE TABLE approvals (
  plan_id   TEXT    NOT NULL REFERENCES plans (id),
  member    TEXT    NOT NULL,
  decision  TEXT    NOT NULL CHECK (decision IN ('approve', 'reject')),
  at        INTEGER NOT NULL,
  via       TEXT    NOT NULL CHECK (via IN ('cli', 'telegram')),
  PRIMARY KEY (plan_id, member)
);

-- One row per on-chain action, written before anything is signed. `key` is the idempotency key
-- (<plan id>:<step idx>:<n>). The columns describing the transaction (nonce … fees) are those of
-- the current attempt; every signed attempt is kept in intent_attempts.
CREATE TABLE intents (
  key                       TEXT    NOT NULL PRIMARY KEY,
  chain                     TEXT    NOT NULL,
  from_address              TEXT    NOT NULL,        -- lower-case
  to_address                TEXT    NOT NULL,        -- lower-case
  data                      TEXT    NOT NULL,        -- 0x calldata
  value                     TEXT    NOT NULL,        -- wei
  status                    TEXT    NOT NULL CHECK (status IN ('created', 'signed', 'broadcast', 'mined', 'confirmed', 'failed')),
  nonce                     INTEGER,
  raw_tx                    TEXT,                    -- signed, 0x
  tx_hash                   TEXT,
  gas_limit                 TEXT,
  max_fee_per_gas           TEXT,
  max_priority_fee_per_gas  TEXT,
  gas_used                  TEXT,
  effective_gas_price       TEXT,
  block_number              INTEGER,
  block_hash                TEXT,
  receipt_status            TEXT    CHECK (receipt_status IN ('success', 'reverted')),
  error                     TEXT,
  attempts                  INTEGER NOT NULL DEFAULT 0,
  created_at                INTEGER NOT NULL,
  updated_at                INTEGER NOT NULL
);

CREATE INDEX intents_status ON intents (chain, from_address, status);
-- Two intents never share a nonce of one account on one chain.
CREATE UNIQUE INDEX intents_nonce ON intents (chain, from_address, nonce) WHERE nonce IS NOT NULL;

-- Every signed transaction of an intent: the first one and each fee-bumped replacement (same nonce).
CREATE TABLE intent_attempts (
  intent_key                TEXT    NOT NULL REFERENCES intents (key),
  n                         INTEGER NOT NULL CHECK (n >= 1),
  tx_hash                   TEXT    NOT NULL UNIQUE,
  raw_tx                    TEXT    NOT NULL,
  nonce                     INTEGER NOT NULL,
  gas_limit                 TEXT    NOT NULL,
  max_fee_per_gas           TEXT    NOT NULL,
  max_priority_fee_per_gas  TEXT    NOT NULL,
  status                    TEXT    NOT NULL CHECK (status IN ('signed', 'broadcast', 'replaced', 'mined')),
  broadcast_block           INTEGER,                 -- chain head when first broadcast (stuck detection)
  error                     TEXT,                    -- last broadcast error
  created_at                INTEGER NOT NULL,
  updated_at                INTEGER NOT NULL,
  PRIMARY KEY (intent_key, n)
);

-- The next nonce of each sending account per chain, tracked here and not in memory.
CREATE TABLE nonces (
  chain       TEXT    NOT NULL,
  address     TEXT    NOT NULL,                      -- lower-case
  next_nonce  INTEGER NOT NULL CHECK (next_nonce >= 0),
  updated_at  INTEGER NOT NULL,
  PRIMARY KEY (chain, address)
);

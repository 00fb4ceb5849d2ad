-- A stuck transaction can be cancelled (execution.cancelAfterBlocks): a 0-value self-transfer with
-- the intent's nonce and higher fees, kept as an attempt of kind 'cancel'. When that attempt is
-- mined and final the intent is 'cancelled': final, its call never happened.
-- SQLite cannot change a CHECK constraint in place: both tables are rebuilt (children first, so
-- no foreign key is ever violated), their rows and indexes kept.

CREATE TABLE intents_new (
  key                       TEXT    NOT NULL PRIMARY KEY,
  chain                     TEXT    NOT NULL,
  from_address              TEXT    NOT NULL,        -- lower-case
  to_address                TEXT    NOT NULL,        -- lower-case
  data                      TEXT    NOT NULL,        -- 0x calldata
  value                     TEXT    NOT NULL,        -- wei
  status                    TEXT    NOT NULL CHECK (status IN ('created', 'signed', 'broadcast', 'mined', 'confirmed', 'failed', 'cancelled')),
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
INSERT INTO intents_new SELECT key, chain, from_address, to_address, data, value, status, nonce, raw_tx, tx_hash, gas_limit, max_fee_per_gas,
  max_priority_fee_per_gas, gas_used, effective_gas_price, block_number, block_hash, receipt_status, error, attempts, created_at, updated_at FROM intents;

CREATE TABLE intent_attempts_copy AS SELECT * FROM intent_attempts;
DROP TABLE intent_attempts;
DROP TABLE intents;
ALTER TABLE intents_new RENAME TO intents;
CREATE INDEX intents_status ON intents (chain, from_address, status);
-- Two intents never share a nonce of one account on one chain.
CREATE UNIQUE INDEX intents_nonce ON intents (chain, from_address, nonce) WHERE nonce IS NOT NULL;

-- kind: 'tx' (the intent's call, first or fee-bumped) or 'cancel' (a 0-value self-transfer, same nonce).
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
  kind                      TEXT    NOT NULL DEFAULT 'tx' CHECK (kind IN ('tx', 'cancel')),
  PRIMARY KEY (intent_key, n)
);
INSERT INTO intent_attempts (intent_key, n, tx_hash, raw_tx, nonce, gas_limit, max_fee_per_gas, max_priority_fee_per_gas, status, broadcast_block, error, created_at, updated_at)
  SELECT intent_key, n, tx_hash, raw_tx, nonce, gas_limit, max_fee_per_gas, max_priority_fee_per_gas, status, broadcast_block, error, created_at, updated_at FROM intent_attempts_copy;
DROP TABLE intent_attempts_copy;

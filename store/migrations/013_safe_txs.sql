-- Committee plans in custody "safe" (issue 12): one Safe transaction per plan and chain (a
-- MultiSendCallOnly batch of the plan's steps there), written by the executor BEFORE anyone signs
-- it. The SafeTx itself (to, value, data, operation, gas fields, nonce) is kept here: the executor
-- executes what it stored, never what a transaction service returns; only signatures come from
-- the service, and they are verified on chain.
--   proposed   stored (and offered to the Safe Transaction Service); collecting owner signatures
--   executing  the threshold is met: execTransaction is an intent (key exec_intent_key)
--   executed   ExecutionSuccess with our safe_tx_hash on chain (final)
--   cancelled  the Safe's nonce was used by another transaction (e.g. a rejection in Safe{Wallet}): never retried (final)
--   failed     execTransaction reverted (final)
CREATE TABLE safe_txs (
  plan_id          TEXT    NOT NULL REFERENCES plans(id),
  chain            TEXT    NOT NULL,
  safe             TEXT    NOT NULL,                -- lower-case
  safe_tx_hash     TEXT    NOT NULL,                -- lower-case, computed by protocol-kit
  nonce            INTEGER NOT NULL,                -- the Safe nonce it takes
  created_block    INTEGER NOT NULL,                -- the chain head when stored: executions are searched from here
  tx               TEXT    NOT NULL,                -- JSON SafeTx data: to, value, data, operation, safeTxGas, baseGas, gasPrice, gasToken, refundReceiver, nonce
  status           TEXT    NOT NULL CHECK (status IN ('proposed', 'executing', 'executed', 'cancelled', 'failed')),
  confirmations    TEXT    NOT NULL DEFAULT '[]',   -- JSON: owners whose signatures were verified on chain, last read
  threshold        INTEGER,                         -- the Safe's threshold when last read
  exec_intent_key  TEXT,
  executed_tx      TEXT,
  error            TEXT,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL,
  PRIMARY KEY (plan_id, chain)
);
CREATE UNIQUE INDEX safe_txs_hash ON safe_txs (chain, safe_tx_hash);
CREATE INDEX safe_txs_status ON safe_txs (status);

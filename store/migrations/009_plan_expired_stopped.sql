-- Plans re-validated before every step (issue 11): two more final states.
--   expired  older than strategy.planTtlSeconds before it ran (or before one of its steps): never executed further
--   stopped  re-validation found a step would now lose money or a venue it touches unhealthy:
--            the remaining steps stay pending, `error` names the changed input
-- SQLite cannot alter a CHECK constraint: the table is rebuilt. plan_steps, approvals and
-- transfers reference plans(id); with deferred foreign keys the rows dropped with the old table
-- are found again when the same ids are inserted into the new one, so the commit checks clean.
PRAGMA defer_foreign_keys = ON;

CREATE TEMP TABLE plans_008 AS SELECT * FROM plans;
DROP TABLE plans;

CREATE TABLE plans (
  id                 TEXT    NOT NULL PRIMARY KEY,   -- e.g. p-<chain>-<block>-<n>
  created_at         INTEGER NOT NULL,
  updated_at         INTEGER NOT NULL,
  chain              TEXT,                           -- NULL: a multi-chain plan
  status             TEXT    NOT NULL CHECK (status IN ('proposed', 'awaiting_approval', 'approved', 'executing', 'completed', 'failed', 'rejected', 'superseded', 'expired', 'stopped')),
  based_on_block     TEXT    NOT NULL,               -- JSON { "<chain>": "<block>" }
  total_amount       TEXT    NOT NULL,               -- raw units of the collateral moved
  expected_gain      TEXT    NOT NULL,               -- raw units over the strategy horizon
  cost               TEXT    NOT NULL,               -- raw units
  needs_approval     INTEGER NOT NULL CHECK (needs_approval IN (0, 1)),
  approvals_required INTEGER NOT NULL CHECK (approvals_required >= 0),
  explanation        TEXT    NOT NULL,               -- JSON, opaque to the store
  error              TEXT
);

INSERT INTO plans (id, created_at, updated_at, chain, status, based_on_block, total_amount, expected_gain, cost, needs_approval, approvals_required, explanation, error)
  SELECT id, created_at, updated_at, chain, status, based_on_block, total_amount, expected_gain, cost, needs_approval, approvals_required, explanation, error FROM plans_008;
DROP TABLE plans_008;

CREATE INDEX plans_status ON plans (status, created_at);
CREATE INDEX plans_chain_status ON plans (chain, status);

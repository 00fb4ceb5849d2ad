-- Governance (written by the governor agent): upstream proposals seen (Snapshot spaces and
-- on-chain Governors) with their mirrored signalling proposal, the delegators' signals collected
-- and how their signatures checked, every tally's receipt, the pool's casts (a row written BEFORE
-- anything is signed, the signed payload stored before it is submitted), and one-shot
-- notifications (reminders) already sent. JSON columns are TEXT; times are unix seconds unless
-- named *_at (ms).

CREATE TABLE gov_proposals (
  key            TEXT    NOT NULL PRIMARY KEY,     -- snapshot:<space>:<id> | governor:<chain>:<address>:<id>
  source         TEXT    NOT NULL CHECK (source IN ('snapshot', 'governor')),
  space          TEXT,                             -- the upstream Snapshot space (source snapshot)
  chain          TEXT,                             -- the Governor's chain (source governor)
  governor       TEXT,                             -- the Governor's address, lower-case (source governor)
  upstream_id    TEXT    NOT NULL,                 -- Snapshot proposal id, or the Governor's proposalId (decimal)
  type           TEXT    NOT NULL,                 -- Snapshot voting type ('basic' for a Governor)
  title          TEXT    NOT NULL,
  choices        TEXT    NOT NULL,                 -- JSON string[]
  start          INTEGER NOT NULL,
  "end"          INTEGER NOT NULL,
  snapshot       TEXT    NOT NULL,                 -- Snapshot block number, or the Governor's snapshot timepoint
  snapshot_time  INTEGER,                          -- unix seconds of the snapshot (weights are read at it)
  signal_id      TEXT,                             -- the mirrored proposal in the pool's signalling space
  signal_start   INTEGER,
  signal_end     INTEGER,
  status         TEXT    NOT NULL CHECK (status IN ('seen', 'mirrored', 'cast', 'closed', 'failed')),
  error          TEXT,
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL
);

CREATE INDEX gov_proposals_status ON gov_proposals (status, "end");
CREATE INDEX gov_proposals_upstream ON gov_proposals (upstream_id);
CREATE INDEX gov_proposals_signal ON gov_proposals (signal_id);

-- The signals of the latest collection of a proposal (replaced as a whole each round).
CREATE TABLE gov_signals (
  proposal_key  TEXT    NOT NULL REFERENCES gov_proposals (key),
  vote_id       TEXT    NOT NULL,                  -- the hub's vote id
  voter         TEXT    NOT NULL,
  choice        TEXT    NOT NULL,                  -- JSON
  timestamp     INTEGER NOT NULL,
  sig           TEXT,
  sig_ok        INTEGER NOT NULL CHECK (sig_ok IN (0, 1)),
  sig_method    TEXT    NOT NULL CHECK (sig_method IN ('eoa', 'eip1271', 'none')),
  status        TEXT    NOT NULL,                  -- the tally's verdict: counted, superseded, invalid-signature, …
  refusal       TEXT,                              -- why, when refused
  weight        TEXT    NOT NULL,                  -- wei
  collected_at  INTEGER NOT NULL,
  PRIMARY KEY (proposal_key, vote_id)
);

CREATE TABLE gov_tallies (
  id            INTEGER PRIMARY KEY,
  proposal_key  TEXT    NOT NULL REFERENCES gov_proposals (key),
  status        TEXT    NOT NULL,                  -- the tally's status (ok, quorum-not-reached, …)
  receipt       TEXT    NOT NULL,                  -- JSON receipt (governance/receipt.ts)
  hash          TEXT    NOT NULL,                  -- keccak256 of the receipt's vote-relevant part
  created_at    INTEGER NOT NULL
);

CREATE INDEX gov_tallies_proposal ON gov_tallies (proposal_key, id);

CREATE TABLE gov_casts (
  key           TEXT    NOT NULL PRIMARY KEY,      -- idempotency key, e.g. <proposal key>:snapshot:<n>
  proposal_key  TEXT    NOT NULL REFERENCES gov_proposals (key),
  target        TEXT    NOT NULL CHECK (target IN ('snapshot', 'governor')),
  tally_id      INTEGER REFERENCES gov_tallies (id),
  payload       TEXT    NOT NULL,                  -- JSON: what is to be signed (Snapshot vote message / split + calldata)
  envelope      TEXT,                              -- JSON: the signed Snapshot envelope, stored before it is submitted
  status        TEXT    NOT NULL CHECK (status IN ('created', 'signed', 'submitted', 'accepted', 'failed')),
  result_id     TEXT,                              -- the hub's vote id (Snapshot) or the intent key (governor)
  tx_hash       TEXT,
  error         TEXT,
  attempts      INTEGER NOT NULL DEFAULT 0,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
);

CREATE INDEX gov_casts_proposal ON gov_casts (proposal_key, target, created_at);

-- One-shot notifications (new proposal, reminders, vote cast …) already written to the alert outbox.
CREATE TABLE gov_notifications (
  key       TEXT    NOT NULL PRIMARY KEY,
  alert_id  INTEGER NOT NULL,
  at        INTEGER NOT NULL
);

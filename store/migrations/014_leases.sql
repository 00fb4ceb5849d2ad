-- Leases (issue 16): one active instance per singleton role (executor, governor, distributor,
-- strategist, watcher-<chain>, telegram). The holder renews its lease with each heartbeat; a second
-- instance waits as a hot standby and takes the lease once it has expired. Every take increments
-- `token` (never reset: the row is kept on release), the fencing token: money and vote writes
-- check, in their own transaction, that their token is still the role's current one, so an old
-- holder that was paused past its expiry cannot act when it resumes.
CREATE TABLE leases (
  role        TEXT    PRIMARY KEY,
  holder      TEXT    NOT NULL,          -- host:pid:random of the instance that holds (or last held) it
  token       INTEGER NOT NULL,          -- fencing token: +1 on every take
  expires_at  INTEGER NOT NULL,          -- ms since the epoch; 0 = released
  taken_at    INTEGER NOT NULL,
  renewed_at  INTEGER NOT NULL
);

-- Bounded retries (issue 16 item 5): a transfer whose redeem reverted execution.redeemMaxAttempts
-- times is left for a person: why (and what to do) is held here, and nothing more is sent for it
-- until a person releases it (released_at: only redeems after it count towards the cap again).
-- Its state (vaa_signed) and VAA are kept: the funds are not given up.
ALTER TABLE transfers ADD COLUMN held_reason TEXT;
ALTER TABLE transfers ADD COLUMN released_at INTEGER;

-- The Telegram agent: inline-button callbacks (random nonces looked up here, so callback data
-- cannot be forged) and per-chat delivery of the alert outbox.

-- kind 'confirm': a confirmation of a destructive command, for one user, single-use, expiring.
-- kind 'offer': the approve/reject buttons on a plan's alert; pressing one asks for a confirmation.
CREATE TABLE telegram_callbacks (
  nonce      TEXT    NOT NULL PRIMARY KEY,
  kind       TEXT    NOT NULL CHECK (kind IN ('confirm', 'offer')),
  action     TEXT    NOT NULL,
  args       TEXT    NOT NULL,                 -- JSON
  user_id    INTEGER,                          -- confirm: the only user who may press it
  chat_id    INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER,                          -- ms; NULL: does not expire
  used_at    INTEGER,
  used_by    INTEGER
);

CREATE INDEX telegram_callbacks_created ON telegram_callbacks (created_at);

-- One row per alert and chat once its fate there is known: sent, suppressed (dedup), muted,
-- digested, skipped (the chat does not take that severity), or failed (given up); attempts
-- count failed sends while it is still pending.
CREATE TABLE telegram_deliveries (
  alert_id   INTEGER NOT NULL,
  chat_id    INTEGER NOT NULL,
  status     TEXT    NOT NULL CHECK (status IN ('pending', 'sent', 'suppressed', 'muted', 'digested', 'skipped', 'failed')),
  at         INTEGER NOT NULL,
  attempts   INTEGER NOT NULL DEFAULT 0,
  message_id INTEGER,
  error      TEXT,
  PRIMARY KEY (alert_id, chat_id)
);

CREATE INDEX telegram_deliveries_chat ON telegram_deliveries (chat_id, status, at);

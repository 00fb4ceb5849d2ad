-- One-shot notifications (sentinel: the committee's plan events), exactly once per key. The
-- notice itself is a row of the alert outbox (no open condition: nothing to recover), so Telegram
-- delivers it like any alert. alert_id NULL: recorded at the baseline (events that happened before
-- the notifier first ran are not sent).

CREATE TABLE notifications (
  key       TEXT    NOT NULL PRIMARY KEY,
  alert_id  INTEGER REFERENCES alerts (id),
  at        INTEGER NOT NULL
);

-- A version per venue for its hourly aggregates, bumped by the database itself on every write of
-- sample_hours (triggers: whoever writes, the compaction or a hand edit). Readers that keep
-- aggregates in memory (the dashboard's chart series, store/history.ts `seriesMany`) read these
-- versions first and re-read a venue's hours only when its version moved.

CREATE TABLE history_versions (
  venue_id  TEXT    NOT NULL PRIMARY KEY,
  version   INTEGER NOT NULL
) WITHOUT ROWID;

INSERT INTO history_versions (venue_id, version) SELECT DISTINCT venue_id, 1 FROM sample_hours;

CREATE TRIGGER sample_hours_version_insert AFTER INSERT ON sample_hours BEGIN
  INSERT INTO history_versions (venue_id, version) VALUES (NEW.venue_id, 1)
    ON CONFLICT (venue_id) DO UPDATE SET version = version + 1;
END;

CREATE TRIGGER sample_hours_version_update AFTER UPDATE ON sample_hours BEGIN
  INSERT INTO history_versions (venue_id, version) VALUES (NEW.venue_id, 1)
    ON CONFLICT (venue_id) DO UPDATE SET version = version + 1;
  INSERT INTO history_versions (venue_id, version) VALUES (OLD.venue_id, 1)
    ON CONFLICT (venue_id) DO UPDATE SET version = version + 1;
END;

CREATE TRIGGER sample_hours_version_delete AFTER DELETE ON sample_hours BEGIN
  INSERT INTO history_versions (venue_id, version) VALUES (OLD.venue_id, 1)
    ON CONFLICT (venue_id) DO UPDATE SET version = version + 1;
END;

-- Deleting an automation archives it (issue 13, point 5): it stops and
-- leaves the lists, and its runs stay readable and exportable. Deleting
-- its history (the runs and their logs, for a privacy request) is a
-- separate step that keeps the ledger, so restoring the automation issues
-- nothing again to anyone it already counted.
--
--   archived_at           when it was archived (ms), 0 when it is not
--   archived_from         its status when archived: restoring goes back to
--                         draft or broken, anything else to paused
--   history_deleted_at    when its runs were deleted (ms), 0 when never
--   history_deleted_runs  how many runs that deleted
--
-- The status check gains 'archived'. SQLite cannot change a CHECK
-- constraint, so the table is rebuilt as 0014 did (Migrate runs this with
-- foreign keys off and checks them before committing); the columns are
-- 0014's, in its order, then the new ones.
--
-- Dropping a table drops its sqlite_sequence row, and the copy's row
-- starts at the largest id copied: the largest number ever used (0014's
-- gap, an automation deleted at the top) would be lost and a number
-- reused. It is kept aside and put back.
CREATE TABLE automations_sequence_kept AS SELECT seq FROM sqlite_sequence WHERE name = 'automations';
CREATE TABLE automations_new (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    name                  TEXT    NOT NULL,
    status                TEXT    NOT NULL CHECK (status IN ('draft', 'baselining', 'active', 'paused', 'broken', 'archived')),
    status_reason         TEXT    NOT NULL DEFAULT '',
    trigger_connection_id INTEGER NOT NULL REFERENCES connections (id),
    segment_id            TEXT    NOT NULL,
    segment_name          TEXT    NOT NULL DEFAULT '',
    action_connection_id  INTEGER NOT NULL REFERENCES connections (id),
    group_id              TEXT    NOT NULL,
    group_name            TEXT    NOT NULL DEFAULT '',
    action                TEXT    NOT NULL, -- the mapping, as JSON
    poll_interval_ms      INTEGER NOT NULL DEFAULT 0,
    snapshot_seq          INTEGER NOT NULL DEFAULT 0,
    baseline_done         INTEGER NOT NULL DEFAULT 0,
    baseline_total        INTEGER NOT NULL DEFAULT 0,
    last_sync_at          INTEGER NOT NULL DEFAULT 0,
    last_sync_error       TEXT    NOT NULL DEFAULT '',
    next_sync_at          INTEGER NOT NULL DEFAULT 0,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL,
    sync_notice           TEXT    NOT NULL DEFAULT '',
    archived_at           INTEGER NOT NULL DEFAULT 0,
    archived_from         TEXT    NOT NULL DEFAULT '',
    history_deleted_at    INTEGER NOT NULL DEFAULT 0,
    history_deleted_runs  INTEGER NOT NULL DEFAULT 0
);
INSERT INTO automations_new (id, name, status, status_reason, trigger_connection_id, segment_id, segment_name,
    action_connection_id, group_id, group_name, action, poll_interval_ms, snapshot_seq, baseline_done,
    baseline_total, last_sync_at, last_sync_error, next_sync_at, created_at, updated_at, sync_notice)
    SELECT * FROM automations;
DROP TABLE automations;
ALTER TABLE automations_new RENAME TO automations;
CREATE INDEX automations_segment ON automations (trigger_connection_id, segment_id);
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'automations', seq FROM automations_sequence_kept
    WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'automations');
UPDATE sqlite_sequence SET seq = max(seq, (SELECT seq FROM automations_sequence_kept))
    WHERE name = 'automations' AND EXISTS (SELECT 1 FROM automations_sequence_kept);
DROP TABLE automations_sequence_kept;

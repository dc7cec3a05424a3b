-- Numbers are never reused (issue 13, point 4). Without AUTOINCREMENT,
-- SQLite gives a new row the largest rowid + 1, so after the newest
-- automation, run, connection or API token is deleted the next one takes
-- its number, and old links (/automations/7, /runs/42), emails and logs
-- point at another record; a reused connection number also gets the
-- deleted connection's webhook address. AUTOINCREMENT keeps the largest
-- number ever used in sqlite_sequence (https://sqlite.org/autoinc.html).
--
-- SQLite cannot add AUTOINCREMENT to a table, so each is rebuilt (create
-- the new table, copy, drop, rename, recreate its indexes), as
-- https://sqlite.org/lang_altertable.html#otheralter describes. Migrate
-- runs SQLite migrations with foreign key enforcement off, so dropping a
-- parent table neither fails nor cascades into memberships and runs, and
-- checks the foreign keys before committing.
--
-- The columns are listed in the order the tables have now (0001, then the
-- ALTERs of 0003, 0006 and 0011), and copied with SELECT *: a column added
-- by a later change and missed here fails the copy instead of being lost.
--
-- Users (never deleted) and run events (never shown by number) keep their
-- plain rowids.

CREATE TABLE connections_new (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    app           TEXT    NOT NULL CHECK (app IN ('activecampaign', 'certifier')),
    name          TEXT    NOT NULL,
    api_url       TEXT    NOT NULL,
    secret        BLOB    NOT NULL,
    secret_hint   TEXT    NOT NULL,
    status        TEXT    NOT NULL DEFAULT 'ok' CHECK (status IN ('ok', 'broken')),
    status_reason TEXT    NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    webhook_id            TEXT    NOT NULL DEFAULT '',
    webhook_checked_at    INTEGER NOT NULL DEFAULT 0,
    webhook_registered_at INTEGER NOT NULL DEFAULT 0,
    webhook_delivery_at   INTEGER NOT NULL DEFAULT 0,
    webhook_missed        INTEGER NOT NULL DEFAULT 0,
    webhook_missed_first  INTEGER NOT NULL DEFAULT 0,
    webhook_missed_last   INTEGER NOT NULL DEFAULT 0,
    webhook_renewed_at    INTEGER NOT NULL DEFAULT 0,
    webhook_notice        TEXT    NOT NULL DEFAULT ''
);
INSERT INTO connections_new SELECT * FROM connections;
DROP TABLE connections;
ALTER TABLE connections_new RENAME TO connections;

CREATE TABLE automations_new (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    name                  TEXT    NOT NULL,
    status                TEXT    NOT NULL CHECK (status IN ('draft', 'baselining', 'active', 'paused', 'broken')),
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
    sync_notice           TEXT    NOT NULL DEFAULT ''
);
INSERT INTO automations_new SELECT * FROM automations;
DROP TABLE automations;
ALTER TABLE automations_new RENAME TO automations;
CREATE INDEX automations_segment ON automations (trigger_connection_id, segment_id);

CREATE TABLE runs_new (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    automation_id   INTEGER NOT NULL REFERENCES automations (id) ON DELETE CASCADE,
    contact_id      INTEGER NOT NULL,
    entry           INTEGER NOT NULL,
    email           TEXT    NOT NULL DEFAULT '',
    contact         TEXT    NOT NULL DEFAULT '{}', -- the contact as read at entry, as JSON
    status          TEXT    NOT NULL CHECK (status IN ('pending', 'issued', 'draft', 'send_unconfirmed', 'skipped', 'failed')),
    credential_id   TEXT    NOT NULL DEFAULT '',
    public_link     TEXT    NOT NULL DEFAULT '',
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT    NOT NULL DEFAULT '',
    step            TEXT    NOT NULL DEFAULT '',
    step_started_at INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (automation_id, contact_id, entry)
);
INSERT INTO runs_new SELECT * FROM runs;
DROP TABLE runs;
ALTER TABLE runs_new RENAME TO runs;
CREATE INDEX runs_by_status ON runs (automation_id, status, id);
CREATE INDEX runs_by_email ON runs (automation_id, email);
CREATE INDEX runs_by_credential ON runs (credential_id) WHERE credential_id <> '';

CREATE TABLE api_tokens_new (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT    NOT NULL,
    hash         BLOB    NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL DEFAULT 0
);
INSERT INTO api_tokens_new SELECT * FROM api_tokens;
DROP TABLE api_tokens;
ALTER TABLE api_tokens_new RENAME TO api_tokens;

-- The copies set each table's sequence to its largest number. A number
-- deleted before this upgrade left no trace, so on a database in use (one
-- that holds a connection: nothing else can exist without one) the
-- sequences start further on, past any automation, connection or token,
-- and any run (deleting an automation deletes all its runs), that could
-- have been deleted at the top. The cost is a gap in the numbering, once;
-- a new database starts at 1.
INSERT INTO sqlite_sequence (name, seq)
    SELECT t.name, 0 FROM (SELECT 'connections' AS name UNION ALL SELECT 'automations'
        UNION ALL SELECT 'runs' UNION ALL SELECT 'api_tokens') AS t
    WHERE t.name NOT IN (SELECT name FROM sqlite_sequence)
      AND EXISTS (SELECT 1 FROM connections);
UPDATE sqlite_sequence SET seq = seq + 1000
    WHERE name IN ('connections', 'automations', 'api_tokens') AND EXISTS (SELECT 1 FROM connections);
UPDATE sqlite_sequence SET seq = seq + 1000000
    WHERE name = 'runs' AND EXISTS (SELECT 1 FROM connections);

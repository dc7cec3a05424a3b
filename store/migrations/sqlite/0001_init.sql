-- Connections to outside accounts. The key or token is sealed (AES-GCM).
CREATE TABLE connections (
    id            INTEGER PRIMARY KEY,
    app           TEXT    NOT NULL CHECK (app IN ('activecampaign', 'certifier')),
    name          TEXT    NOT NULL,
    api_url       TEXT    NOT NULL,
    secret        BLOB    NOT NULL,
    secret_hint   TEXT    NOT NULL,
    status        TEXT    NOT NULL DEFAULT 'ok' CHECK (status IN ('ok', 'broken')),
    status_reason TEXT    NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE automations (
    id                    INTEGER PRIMARY KEY,
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
    updated_at            INTEGER NOT NULL
);
CREATE INDEX automations_segment ON automations (trigger_connection_id, segment_id);

-- The ledger: who is in each automation's segment. Kept forever, so that a
-- pruned run history never makes a member look new.
CREATE TABLE memberships (
    automation_id   INTEGER NOT NULL REFERENCES automations (id) ON DELETE CASCADE,
    contact_id      INTEGER NOT NULL,
    in_segment      INTEGER NOT NULL,
    entries         INTEGER NOT NULL DEFAULT 0,
    missed_snapshot INTEGER NOT NULL DEFAULT 0,
    first_seen      INTEGER NOT NULL,
    last_entered    INTEGER NOT NULL DEFAULT 0,
    last_left       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (automation_id, contact_id)
);
CREATE INDEX memberships_in ON memberships (automation_id, in_segment, contact_id);

-- One run per entry. The unique key is the rule "one credential per entry".
CREATE TABLE runs (
    id              INTEGER PRIMARY KEY,
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
CREATE INDEX runs_by_status ON runs (automation_id, status, id);
CREATE INDEX runs_by_email ON runs (automation_id, email);
CREATE INDEX runs_by_credential ON runs (credential_id) WHERE credential_id <> '';

CREATE TABLE run_events (
    id      INTEGER PRIMARY KEY,
    run_id  INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    at      INTEGER NOT NULL,
    message TEXT    NOT NULL
);
CREATE INDEX run_events_run ON run_events (run_id, id);

-- API tokens for the REST API, stored as SHA-256 hashes.
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    name         TEXT    NOT NULL,
    hash         BLOB    NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL DEFAULT 0
);

-- Leases: which process works on a segment sync or a run right now. A job
-- that finds a live lease held by another leaves the work to it; a lease
-- whose holder died expires, so the work resumes within seconds.
CREATE TABLE leases (
    key    TEXT    PRIMARY KEY,
    holder TEXT    NOT NULL,
    until  INTEGER NOT NULL
);

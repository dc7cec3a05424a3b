-- Run history can be pruned (issue 16, serve --run-retention): runs that
-- finished longer ago than the retention are deleted with their logs. The
-- ledger (memberships) is never pruned, so nobody who is in is taken for
-- new. The counts an automation shows (issued, skipped, failed…, and its
-- runs per day) must still include the runs pruned: pruning folds each
-- run it deletes into this table, in the same transaction.
--
--   status       the run's final status when it was pruned
--   finished_at  the start (ms) of the quarter hour, in UTC, in which the
--                run last changed, so that a chart counts it on its day
--                in any time zone (every zone's midnight falls on a
--                quarter hour); 0 once that is older than any chart shows
--                (store.prunedSlicesKept), when the quarters are folded
--                into one row per status
--   runs         how many runs
CREATE TABLE pruned_runs (
    automation_id INTEGER NOT NULL REFERENCES automations (id) ON DELETE CASCADE,
    status        TEXT    NOT NULL,
    finished_at   INTEGER NOT NULL,
    runs          INTEGER NOT NULL,
    PRIMARY KEY (automation_id, status, finished_at)
);

-- The credentials of deleted runs (pruned, or their history deleted) stay
-- claimed: reconciling a run whose create's answer was lost adopts only a
-- credential no run holds (store.CredentialClaimed), and a deleted run's
-- credential must not look free to it. About 30 bytes per credential,
-- kept like the ledger.
CREATE TABLE deleted_run_credentials (
    credential_id TEXT PRIMARY KEY
);

-- The request budget of each outside account, shared by every process on
-- this database (issue #6): GCRA keeps one number per account, the time
-- (Unix microseconds, by the database's clock) at which its next request
-- may go.
CREATE TABLE rate_budgets (
    key     TEXT PRIMARY KEY,
    next_at INTEGER NOT NULL
);

-- Settings of the installation that every process must agree on, by name.
-- The first is secret_key_check: a value derived from the secret key the
-- connections' keys are sealed with, so that a process started with another
-- key refuses to run instead of failing every job that needs an account.
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- The circuit breaker of each Certifier connection (issue 11, point 4; see
-- autocred.Circuit and engine/circuit.go), shared by every node so that an
-- outage is met once. Times are Unix ms; interval_ms is the wait between
-- probes now in force.
--   open, reason, message   closed (0) or open, why (outage, plan, version),
--                           and the last failure that counted;
--   failures, failing_since the down-failures in a row, and the first of them;
--   next_probe_at           when one call may test Certifier again;
--   probe_holder, probe_until  the caller probing now, and until when its
--                           claim holds (a prober that died frees it);
--   probes                  probes of the current opening.
CREATE TABLE certifier_circuits (
    connection_id INTEGER PRIMARY KEY REFERENCES connections (id) ON DELETE CASCADE,
    open          INTEGER NOT NULL DEFAULT 0,
    reason        TEXT    NOT NULL DEFAULT '',
    message       TEXT    NOT NULL DEFAULT '',
    failures      INTEGER NOT NULL DEFAULT 0,
    failing_since INTEGER NOT NULL DEFAULT 0,
    next_probe_at INTEGER NOT NULL DEFAULT 0,
    interval_ms   INTEGER NOT NULL DEFAULT 0,
    probe_holder  TEXT    NOT NULL DEFAULT '',
    probe_until   INTEGER NOT NULL DEFAULT 0,
    probes        INTEGER NOT NULL DEFAULT 0,
    updated_at    INTEGER NOT NULL DEFAULT 0
);

-- The chart "Runs finished per day" counted a run on the day of its
-- updated_at, which any later line of its log moves (issue 15: "Resend
-- email" moved an issued run to the day of the resend). A run now keeps
-- when it reached its final status:
--
--   finished_at  when the run last became final (issued, draft, send
--                unconfirmed, skipped, failed), in ms; 0 while pending.
--                Set by store.SaveRunWith and insertRun, cleared by a retry.
ALTER TABLE runs ADD COLUMN finished_at BIGINT NOT NULL DEFAULT 0;

-- Final runs from before: the time of the last line of their log that is
-- not about a resend of the email (the outcome's line is written with the
-- outcome; resends are the lines that come after it), or updated_at for a
-- run without such a line.
UPDATE runs SET finished_at = COALESCE((SELECT max(e.at) FROM run_events e WHERE e.run_id = runs.id
        AND e.message NOT LIKE 'Resend of the email requested by %'
        AND e.message NOT LIKE 'Email resent by %'
        AND e.message NOT LIKE 'Resending the email%'
        AND e.message NOT LIKE 'Resend email to all, requested by %'), updated_at)
    WHERE status <> 'pending';

-- The chart reads one automation's runs finished in a range of days.
CREATE INDEX runs_by_finished ON runs (automation_id, finished_at);

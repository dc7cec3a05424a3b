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
ALTER TABLE automations DROP CONSTRAINT automations_status_check;
ALTER TABLE automations ADD CONSTRAINT automations_status_check
    CHECK (status IN ('draft', 'baselining', 'active', 'paused', 'broken', 'archived'));
ALTER TABLE automations ADD COLUMN archived_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE automations ADD COLUMN archived_from TEXT NOT NULL DEFAULT '';
ALTER TABLE automations ADD COLUMN history_deleted_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE automations ADD COLUMN history_deleted_runs BIGINT NOT NULL DEFAULT 0;

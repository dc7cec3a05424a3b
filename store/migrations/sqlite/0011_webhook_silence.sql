-- What autocred knows about the deliveries of a connection's hint webhook,
-- to notice one that ActiveCampaign stopped sending to while it still lists
-- it (issue 10, point 4; see engine/silence.go). Times are Unix ms.
--   webhook_registered_at  when the current webhook was created (or found);
--   webhook_delivery_at    the last delivery received (recorded at most once
--                          a second per process);
--   webhook_missed*        entries found by polling whose change no delivery
--                          announced since the last delivery: how many, and
--                          the earliest and latest of those changes;
--   webhook_renewed_at, webhook_notice  the last time autocred registered the
--                          webhook again, and why, in words for the health page.
ALTER TABLE connections ADD COLUMN webhook_registered_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE connections ADD COLUMN webhook_delivery_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE connections ADD COLUMN webhook_missed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE connections ADD COLUMN webhook_missed_first INTEGER NOT NULL DEFAULT 0;
ALTER TABLE connections ADD COLUMN webhook_missed_last INTEGER NOT NULL DEFAULT 0;
ALTER TABLE connections ADD COLUMN webhook_renewed_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE connections ADD COLUMN webhook_notice TEXT NOT NULL DEFAULT '';
-- A webhook registered before this migration counts from now on.
UPDATE connections SET webhook_registered_at = webhook_checked_at WHERE webhook_id <> '';

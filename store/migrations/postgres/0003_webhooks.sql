-- The ActiveCampaign webhook autocred registered on a connection's account
-- for hints (issue #5): its id there, and when it was last seen to exist.
ALTER TABLE connections ADD COLUMN webhook_id TEXT NOT NULL DEFAULT '';
ALTER TABLE connections ADD COLUMN webhook_checked_at BIGINT NOT NULL DEFAULT 0;

-- While ActiveCampaign did not answer, the automations list said "Last
-- sync: just now" (last_sync_at is when the last read was tried, failed or
-- not) and nothing said since when reads failed or when one last worked
-- (issue 15, round 5, #5). A sync now also records:
--
--   sync_ok_at          when the last sync that read the segment without
--                       an error started (ms); 0 before the first
--   sync_failing_since  when the first of the syncs failing since then
--                       started (ms); 0 while the last sync worked
ALTER TABLE automations ADD COLUMN sync_ok_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE automations ADD COLUMN sync_failing_since BIGINT NOT NULL DEFAULT 0;

-- What a user should know about how an automation's segment is read when
-- nothing failed, e.g. that ActiveCampaign's segment-match API refused the
-- segment and it is read through contacts?segmentid instead. Kept apart
-- from last_sync_error, which every successful sync clears.
ALTER TABLE automations ADD COLUMN sync_notice TEXT NOT NULL DEFAULT '';

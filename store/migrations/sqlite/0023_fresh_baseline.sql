-- After a Resume with Start fresh, the automation's page said that every
-- contact of the new baseline "was already in this segment when autocred
-- started watching it and gets nothing" (issue 15), which is false for
-- those who got their credential from it before the pause. A new baseline
-- now keeps what is true of it:
--
--   fresh_baseline_at      when the last baseline taken on a resume with
--                          Start fresh was recorded (ms); 0 when the only
--                          baseline is the first one
--   fresh_baseline_credited  how many of that baseline's contacts
--                          (baseline_total) already had a credential from
--                          this automation, or one on its way (a run
--                          issued, sent unconfirmed, made a draft, or
--                          pending)
ALTER TABLE automations ADD COLUMN fresh_baseline_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE automations ADD COLUMN fresh_baseline_credited INTEGER NOT NULL DEFAULT 0;

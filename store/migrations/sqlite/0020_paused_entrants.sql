-- Contacts who entered while a user had paused an automation were lost
-- without a trace when it resumed with Start fresh (issue 15): the ledger
-- was reset at Resume, so the new baseline could not tell them from the
-- contacts that were there all along. Now the ledger is kept until the new
-- baseline is recorded, and that baseline gives each contact it has in
-- that the ledger had out a skipped run (store.RecordBaseline).
--
--   baselined_at     when the automation's first baseline was recorded
--                    (ms), 0 before: a later baseline is a new one taken
--                    on resume, compared with the ledger it replaces
--   paused_entrants  how many contacts the last such baseline found that
--                    entered while the automation was paused
ALTER TABLE automations ADD COLUMN baselined_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE automations ADD COLUMN paused_entrants INTEGER NOT NULL DEFAULT 0;

-- Automations that have taken a baseline are marked so. One baselining now
-- had its ledger reset on Resume (before this migration): its baseline is
-- taken as a first one, as it was when it resumed.
UPDATE automations SET baselined_at = CASE WHEN updated_at > 0 THEN updated_at ELSE 1 END
    WHERE status NOT IN ('draft', 'baselining')
    AND NOT (status = 'archived' AND archived_from IN ('draft', 'baselining'));

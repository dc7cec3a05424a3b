-- Who entered while an automation was stopped, and got nothing because it
-- was resumed with Start fresh, was said to have entered "while the
-- automation was paused" (issue 15), though autocred, not a user, may have
-- stopped it (a refused key). Their runs say "stopped" now, true either
-- way; the code entered_while_paused stays, an API value.
UPDATE runs SET last_error = 'Entered while the automation was stopped; it was resumed with Start fresh, so no credential was issued. Retry issues one.'
WHERE error_code = 'entered_while_paused'
    AND last_error = 'Entered while the automation was paused; it was resumed with Start fresh, so no credential was issued. Retry issues one.';

-- paused_entrants (0020) counted who a new baseline found had entered
-- meanwhile, and kept that count when one of their runs was retried and
-- issued (issue 15): it said more were left to retry than were. The count
-- is now taken from the runs themselves (store.SkippedEntrants), so the
-- column goes.
ALTER TABLE automations DROP COLUMN paused_entrants;

-- A run's error gets a code for programs (issue 14, point 5): why it failed
-- or was skipped, or why a pending run waits (autocred.RunErrorCode, listed
-- in README). The runs list filters on it, hence the index; most runs have
-- none, and the index holds only those that do.
ALTER TABLE runs ADD COLUMN error_code TEXT NOT NULL DEFAULT '';
CREATE INDEX runs_by_error_code ON runs (automation_id, error_code, id) WHERE error_code <> '';

-- Runs that ended before this migration get the code their message says,
-- so that a filter finds them too: the messages begin as the engine writes
-- them. A message none of these match keeps no code.
UPDATE runs SET error_code = CASE
    WHEN last_error LIKE 'Skipped: the contact was deleted%' THEN 'contact_deleted'
    WHEN last_error LIKE 'Skipped: the recipient name mapping%' THEN 'no_recipient_name'
    WHEN last_error LIKE 'Skipped: %' THEN 'invalid_email'
    WHEN last_error LIKE 'The automation''s mapping is invalid%' THEN 'invalid_mapping'
    WHEN last_error LIKE 'The % mapping gives % YYYY-MM-DD dates%' THEN 'invalid_date'
    WHEN last_error LIKE 'Certifier refused the credential%' THEN 'certifier_validation'
    WHEN last_error LIKE 'Certifier does not know the credential%' THEN 'certifier_not_found'
    WHEN last_error LIKE 'Could not confirm with Certifier%' THEN 'unconfirmed'
    WHEN last_error LIKE 'Reading the contact was refused%' THEN 'permission_denied'
    WHEN last_error LIKE 'Gave up after%' THEN 'gave_up'
    ELSE '' END
WHERE status IN ('failed', 'skipped') AND last_error <> '';
UPDATE runs SET error_code = 'unconfirmed'
WHERE status = 'pending' AND last_error LIKE 'Still waiting to confirm with Certifier%';

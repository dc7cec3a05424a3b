-- The runs search finds a person by name as well as by email or contact id
-- (issue 15). The names are inside the contact JSON, which SQLite and
-- PostgreSQL read with different functions; a column holds what the search
-- matches, so that one query serves both: the names and the email,
-- lower-cased (autocred.Run.SearchText), filled by InsertRun and SaveRun.
-- The index (automation_id, search_text) lets a search, and its count,
-- read the narrow index instead of the wide rows; a substring search
-- ("lovelace") still reads every entry of the automation.
ALTER TABLE runs ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
CREATE INDEX runs_by_search ON runs (automation_id, search_text);

-- The runs list filters by when the contact entered.
CREATE INDEX runs_by_entered ON runs (automation_id, created_at);

-- The runs list and the export read an automation's runs newest first, a
-- page after a cursor (id < ?). Without this index SQLite took the one
-- above and sorted every run of the automation for each page: exporting
-- 100,000 runs, 200 pages, took minutes instead of seconds.
CREATE INDEX runs_by_automation ON runs (automation_id, id);

-- Runs from before this migration: lower() here folds ASCII letters only
-- on SQLite (and on PostgreSQL with the C locale), so an old run of
-- "Élodie" is found as "lodie" but not as "élodie"; runs saved
-- from now on are lower-cased by Go, for every letter.
UPDATE runs SET search_text = trim(lower(
    trim(coalesce(json_extract(contact, '$.FirstName'), '') || ' ' || coalesce(json_extract(contact, '$.LastName'), ''))
    || ' ' || email));

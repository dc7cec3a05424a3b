package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/autocred/autocred"
)

const automationColumns = `id, name, status, status_reason, trigger_connection_id, segment_id, segment_name,
	action_connection_id, group_id, group_name, action, poll_interval_ms, snapshot_seq,
	baseline_done, baseline_total, last_sync_at, last_sync_error, sync_notice, created_at, updated_at,
	archived_at, history_deleted_at, history_deleted_runs, next_sync_at, fresh_baseline_at, fresh_baseline_credited, sync_ok_at, sync_failing_since`

func scanAutomation(row rowScanner) (autocred.Automation, error) {
	var s automationScan
	if err := row.Scan(s.dest()...); err != nil {
		return s.a, err
	}
	return s.decode()
}

// automationScan is one row of automationColumns being read: dest is
// where Scan puts it, decode makes the automation of it.
type automationScan struct {
	a                                                     autocred.Automation
	action                                                string
	pollMS, lastSync, created, updated, archived, deleted int64
	nextSync, freshAt, syncOK, failingSince               int64
	freshCredited                                         int
}

func (s *automationScan) dest() []any {
	a := &s.a
	return []any{&a.ID, &a.Name, &a.Status, &a.StatusReason, &a.Trigger.ConnectionID, &a.Trigger.SegmentID, &a.Trigger.SegmentName,
		&a.Action.ConnectionID, &a.Action.GroupID, &a.Action.GroupName, &s.action, &s.pollMS, &a.SnapshotSeq,
		&a.Baseline.Done, &a.Baseline.Total, &s.lastSync, &a.LastSyncError, &a.SyncNotice, &s.created, &s.updated,
		&s.archived, &s.deleted, &a.HistoryDeleted.Runs, &s.nextSync, &s.freshAt, &s.freshCredited, &s.syncOK, &s.failingSince}
}

func (s *automationScan) decode() (autocred.Automation, error) {
	a := s.a
	connID, groupID, groupName := a.Action.ConnectionID, a.Action.GroupID, a.Action.GroupName
	if err := json.Unmarshal([]byte(s.action), &a.Action); err != nil {
		return a, fmt.Errorf("automation %d: unreadable mapping: %w", a.ID, err)
	}
	a.Action.ConnectionID, a.Action.GroupID, a.Action.GroupName = connID, groupID, groupName
	a.PollInterval = time.Duration(s.pollMS) * time.Millisecond
	a.LastSyncAt, a.CreatedAt, a.UpdatedAt = fromMS(s.lastSync), fromMS(s.created), fromMS(s.updated)
	a.ArchivedAt, a.HistoryDeleted.At = fromMS(s.archived), fromMS(s.deleted)
	a.NextSyncAt = fromMS(s.nextSync)
	a.LastSyncOKAt, a.SyncFailingSince = fromMS(s.syncOK), fromMS(s.failingSince)
	if s.freshAt != 0 {
		a.FreshStart = &autocred.FreshStart{At: fromMS(s.freshAt), Credited: s.freshCredited}
	}
	if a.Status.Stopped() || a.Status == autocred.AutomationArchived {
		// The notice says how the segment is read (an account over its
		// budget, the slower fallback way); a stopped automation's is not
		// read at all. Kept, it would outlive what it describes: only a
		// read sets it again, and a sync under way when the automation
		// stopped may set it after. Resumed, the automation shows it again
		// until its first read says how it is read now.
		a.SyncNotice = ""
	}
	return a, nil
}

// CreateAutomation stores a new automation as a draft and sets its ID.
// check, when given, is asked about the automations already issuing from
// its group to its segment, drafts included, in the same transaction as
// the insert (TwinCheck).
func (db *DB) CreateAutomation(ctx context.Context, a *autocred.Automation, check ...TwinCheck) error {
	action, err := json.Marshal(a.Action)
	if err != nil {
		return err
	}
	now := db.now().UTC()
	a.Status, a.CreatedAt, a.UpdatedAt = autocred.AutomationDraft, now, now
	return db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.checkTwins(ctx, tx, *a, true, check); err != nil {
			return err
		}
		err := db.in(tx).QueryRowContext(ctx, `INSERT INTO automations (name, status, trigger_connection_id, segment_id, segment_name,
		action_connection_id, group_id, group_name, action, poll_interval_ms, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			a.Name, a.Status, a.Trigger.ConnectionID, a.Trigger.SegmentID, a.Trigger.SegmentName,
			a.Action.ConnectionID, a.Action.GroupID, a.Action.GroupName, string(action), a.PollInterval.Milliseconds(), ms(now), ms(now)).Scan(&a.ID)
		if err != nil {
			return fmt.Errorf("storing automation: %w", err)
		}
		return nil
	})
}

// UpdateAutomation saves a user's edit: name, trigger, action, interval.
// Status and sync state are changed only by the engine. check, when
// given, is asked in the same transaction about the automations (drafts
// included) already issuing from the new group to the new segment, only
// when the edit moves it to another segment or group: otherwise it was
// asked when that pair was chosen (TwinCheck).
func (db *DB) UpdateAutomation(ctx context.Context, a *autocred.Automation, check ...TwinCheck) error {
	action, err := json.Marshal(a.Action)
	if err != nil {
		return err
	}
	a.UpdatedAt = db.now().UTC()
	return db.tx(ctx, func(tx *sql.Tx) error {
		cur, err := db.lockAutomation(ctx, tx, a.ID)
		if err != nil {
			return err
		}
		if !samePair(cur, *a) {
			if err := db.checkTwins(ctx, tx, *a, true, check); err != nil {
				return err
			}
		}
		_, err = db.in(tx).ExecContext(ctx, `UPDATE automations SET name = ?, trigger_connection_id = ?, segment_id = ?, segment_name = ?,
		action_connection_id = ?, group_id = ?, group_name = ?, action = ?, poll_interval_ms = ?, updated_at = ? WHERE id = ?`,
			a.Name, a.Trigger.ConnectionID, a.Trigger.SegmentID, a.Trigger.SegmentName,
			a.Action.ConnectionID, a.Action.GroupID, a.Action.GroupName, string(action), a.PollInterval.Milliseconds(), ms(a.UpdatedAt), a.ID)
		if err != nil {
			return fmt.Errorf("saving automation %d: %w", a.ID, err)
		}
		return nil
	})
}

// samePair tells whether two automations watch the same segment and issue
// from the same group (same connections, same ids).
func samePair(a, b autocred.Automation) bool {
	return a.Trigger.ConnectionID == b.Trigger.ConnectionID && a.Trigger.SegmentID == b.Trigger.SegmentID &&
		a.Action.ConnectionID == b.Action.ConnectionID && a.Action.GroupID == b.Action.GroupID
}

// Automation reads one automation.
func (db *DB) Automation(ctx context.Context, id int64) (autocred.Automation, error) {
	return getAutomation(ctx, db.pool(), id)
}

func getAutomation(ctx context.Context, q querier, id int64) (autocred.Automation, error) {
	a, err := scanAutomation(q.QueryRowContext(ctx, `SELECT `+automationColumns+` FROM automations WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return a, autocred.Errorf(autocred.ENOTFOUND, "automation %d does not exist", id)
	}
	return a, err
}

// AutomationFilter selects automations; zero fields do not filter.
type AutomationFilter struct {
	Statuses     []autocred.AutomationStatus
	ConnectionID int64 // trigger connection
	SegmentID    string
}

// Automations lists automations, oldest first.
func (db *DB) Automations(ctx context.Context, f AutomationFilter) ([]autocred.Automation, error) {
	query := `SELECT ` + automationColumns + ` FROM automations WHERE 1 = 1`
	var args []any
	if len(f.Statuses) > 0 {
		query += ` AND status IN (` + placeholders(len(f.Statuses)) + `)`
		for _, s := range f.Statuses {
			args = append(args, s)
		}
	}
	if f.ConnectionID != 0 {
		query += ` AND trigger_connection_id = ?`
		args = append(args, f.ConnectionID)
	}
	if f.SegmentID != "" {
		query += ` AND segment_id = ?`
		args = append(args, f.SegmentID)
	}
	return queryAll(ctx, db.pool(), scanAutomation, query+` ORDER BY id`, args...)
}

// errArchived refuses to do to an archived automation what only a restored
// one can have done.
func errArchived(a autocred.Automation, what string) error {
	return autocred.Errorf(autocred.ECONFLICT, "%s is deleted (archived): restore it first to %s", named(a), what)
}

// named is how a refusal names an automation: by the name the pages and
// lists show, which a user knows, rather than its id (a Resume refused
// in a second tab said "automation 2 is already active").
func named(a autocred.Automation) string {
	if strings.TrimSpace(a.Name) == "" {
		return fmt.Sprintf("automation %d", a.ID)
	}
	return `"` + a.Name + `"`
}

// statusWords says a status in a refusal's words: "a draft", "starting"
// rather than "draft", "baselining".
func statusWords(s autocred.AutomationStatus) string {
	switch s {
	case autocred.AutomationDraft:
		return "a draft"
	case autocred.AutomationBaselining:
		return "starting (reading who is in its segment)"
	case autocred.AutomationBroken:
		return "stopped for its connection"
	case autocred.AutomationArchived:
		return "deleted (archived)"
	}
	return string(s)
}

// ArchiveAutomation archives an automation (what deleting one does): it
// stops watching and leaves the lists, and its runs, ledger and links stay.
// Its pending runs stay pending: the issue jobs leave an automation that is
// not active alone, and restoring and resuming it enqueues them again.
// Archiving an archived automation changes nothing.
func (db *DB) ArchiveAutomation(ctx context.Context, id int64) (autocred.Automation, error) {
	var a autocred.Automation
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var err error
		if a, err = getAutomation(ctx, db.in(tx), id); err != nil || a.Status == autocred.AutomationArchived {
			return err
		}
		now := fromMS(ms(db.now())) // as stored
		_, err = db.in(tx).ExecContext(ctx, `UPDATE automations SET status = ?, archived_from = ?, archived_at = ?, updated_at = ? WHERE id = ?`,
			autocred.AutomationArchived, a.Status, ms(now), ms(now), id)
		if err != nil {
			return fmt.Errorf("archiving automation %d: %w", id, err)
		}
		a.Status, a.ArchivedAt, a.UpdatedAt = autocred.AutomationArchived, now, now
		return nil
	})
	return a, err
}

// RestoreAutomation brings an archived automation back to the lists, in
// the status autocred.RestoredStatus gives for the one it was archived
// from, except that a broken one whose connections were reconnected since
// comes back paused (settleReconnected). It fails with a conflict when the
// automation is not archived. check, when given, is asked in the same
// transaction about the automations (not drafts) already issuing from its
// group to its segment (TwinCheck).
func (db *DB) RestoreAutomation(ctx context.Context, id int64, check ...TwinCheck) (autocred.Automation, error) {
	var a autocred.Automation
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var err error
		if a, err = db.lockAutomation(ctx, tx, id); err != nil {
			return err
		}
		var from autocred.AutomationStatus
		if err := db.in(tx).QueryRowContext(ctx, `SELECT archived_from FROM automations WHERE id = ?`, id).Scan(&from); err != nil {
			return err
		}
		if a.Status != autocred.AutomationArchived {
			return autocred.Errorf(autocred.ECONFLICT, "%s is %s, not deleted: there is nothing to restore", named(a), statusWords(a.Status))
		}
		if err := db.checkTwins(ctx, tx, a, false, check); err != nil {
			return err
		}
		_, err = db.in(tx).ExecContext(ctx, `UPDATE automations SET status = ?, archived_from = '', archived_at = 0, updated_at = ? WHERE id = ?`,
			autocred.RestoredStatus(from), ms(db.now()), id)
		if err != nil {
			return fmt.Errorf("restoring automation %d: %w", id, err)
		}
		// Broken when archived, its connections may have been reconnected
		// since.
		if err := db.settleReconnected(ctx, tx, `id = ?`, id); err != nil {
			return fmt.Errorf("restoring automation %d: %w", id, err)
		}
		a, err = getAutomation(ctx, db.in(tx), id)
		return err
	})
	return a, err
}

// DeleteRunHistory deletes the runs of an archived automation and their
// logs (contact emails, names, what was sent), for a privacy request, and
// records when and how many. The ledger stays: it holds contact ids,
// entry counts and whether a run deleted had given the contact a
// credential (credited_pruned) only, and it is what keeps a restored
// automation from issuing again to contacts it already counted. The
// credentials issued stay in Certifier (rule R6). It fails with a
// conflict when the automation is not archived, so that no run in
// progress loses its record.
//
// The counts of runs already pruned (--run-retention) go too, and are
// part of how many it records: deleting the history deletes all of it,
// and the automation's counts start again from zero, as they did before
// runs were ever pruned. The page then says how many runs were deleted,
// instead of counts of runs that no list can show.
func (db *DB) DeleteRunHistory(ctx context.Context, id int64) (autocred.HistoryDeletion, error) {
	var d autocred.HistoryDeletion
	err := db.tx(ctx, func(tx *sql.Tx) error {
		a, err := getAutomation(ctx, db.in(tx), id)
		if err != nil {
			return err
		}
		if a.Status != autocred.AutomationArchived {
			return autocred.Errorf(autocred.ECONFLICT, "%s is %s: delete it first, then delete its history", named(a), statusWords(a.Status))
		}
		// A pending run is a contact who entered and has no credential
		// yet; the ledger, which stays, counts the entry, so deleting the
		// run would leave the contact without one for good.
		var pending int
		if err := db.in(tx).QueryRowContext(ctx, `SELECT count(*) FROM runs WHERE automation_id = ? AND status IN `+sqlPending, id).Scan(&pending); err != nil {
			return err
		}
		if pending > 0 {
			return autocred.Errorf(autocred.ECONFLICT, "%s has %d pending run(s): contacts who entered and have no credential yet. "+
				"Deleting its history now would leave them without one for good. Restore it and resume it with catch-up so that they finish, then delete it again and delete its history", named(a), pending)
		}
		// As pruning does (markCredited): the ledger remembers who had a
		// credential from a run deleted, so that a restored automation
		// resumed with Start fresh does not say they got nothing.
		if _, err := db.in(tx).ExecContext(ctx, `UPDATE memberships SET credited_pruned = 1 WHERE automation_id = ? AND credited_pruned = 0
			AND contact_id IN (SELECT contact_id FROM runs WHERE automation_id = ? AND status IN `+sqlCredited+`)`, id, id); err != nil {
			return fmt.Errorf("marking in the ledger of automation %d who had a credential: %w", id, err)
		}
		if _, err := db.in(tx).ExecContext(ctx, `DELETE FROM run_events WHERE run_id IN (SELECT id FROM runs WHERE automation_id = ?)`, id); err != nil {
			return fmt.Errorf("deleting the run logs of automation %d: %w", id, err)
		}
		if _, err := db.in(tx).ExecContext(ctx, `INSERT INTO deleted_run_credentials (credential_id)
			SELECT DISTINCT credential_id FROM runs WHERE automation_id = ? AND credential_id <> '' ON CONFLICT DO NOTHING`, id); err != nil {
			return fmt.Errorf("keeping the claims on the credentials of automation %d: %w", id, err)
		}
		res, err := db.in(tx).ExecContext(ctx, `DELETE FROM runs WHERE automation_id = ?`, id)
		if err != nil {
			return fmt.Errorf("deleting the runs of automation %d: %w", id, err)
		}
		n, _ := res.RowsAffected()
		pruned, err := db.deletePrunedCounts(ctx, tx, id)
		if err != nil {
			return err
		}
		d = autocred.HistoryDeletion{At: fromMS(ms(db.now())), Runs: a.HistoryDeleted.Runs + int(n) + pruned}
		_, err = db.in(tx).ExecContext(ctx, `UPDATE automations SET history_deleted_at = ?, history_deleted_runs = ? WHERE id = ?`, ms(d.At), d.Runs, id)
		return err
	})
	return d, err
}

// DeleteAutomation removes an archived automation whose history has been
// deleted, and its ledger, for good. Anything else fails with a conflict
// that says which step comes first. The credentials issued stay in
// Certifier (rule R6).
func (db *DB) DeleteAutomation(ctx context.Context, id int64) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		a, err := getAutomation(ctx, db.in(tx), id)
		if err != nil {
			return err
		}
		if a.Status != autocred.AutomationArchived {
			return autocred.Errorf(autocred.ECONFLICT, "%s is %s: delete it first; only a deleted automation whose history is deleted can be deleted for good", named(a), statusWords(a.Status))
		}
		var runs int
		if err := db.in(tx).QueryRowContext(ctx, `SELECT count(*) FROM runs WHERE automation_id = ?`, id).Scan(&runs); err != nil {
			return err
		}
		if runs > 0 {
			return autocred.Errorf(autocred.ECONFLICT, "%s still has %d run(s): delete its history first", named(a), runs)
		}
		if _, err := db.in(tx).ExecContext(ctx, `DELETE FROM automations WHERE id = ?`, id); err != nil {
			return fmt.Errorf("deleting automation %d: %w", id, err)
		}
		return nil
	})
}

// SetAutomationStatus changes an automation's status. from, when not
// empty, lists the statuses the change is allowed from; otherwise the
// change fails with a conflict naming the current status. The engine
// pauses with it an automation whose Certifier group is gone
// (engine/group.go); tests use it to put an automation in a status.
func (db *DB) SetAutomationStatus(ctx context.Context, id int64, to autocred.AutomationStatus, reason string, from ...autocred.AutomationStatus) error {
	return db.tx(ctx, func(tx *sql.Tx) error { return db.setAutomationStatus(ctx, tx, id, to, reason, from...) })
}

func (db *DB) setAutomationStatus(ctx context.Context, tx *sql.Tx, id int64, to autocred.AutomationStatus, reason string, from ...autocred.AutomationStatus) error {
	query := `UPDATE automations SET status = ?, status_reason = ?, updated_at = ? WHERE id = ?`
	args := []any{to, reason, ms(db.now()), id}
	if len(from) > 0 {
		query += ` AND status IN (` + placeholders(len(from)) + `)`
		for _, s := range from {
			args = append(args, s)
		}
	}
	res, err := db.in(tx).ExecContext(ctx, query, args...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		a, err := getAutomation(ctx, db.in(tx), id)
		if err != nil {
			return err
		}
		if a.Status == autocred.AutomationArchived {
			return errArchived(a, "make it "+string(to))
		}
		return transitionRefused(a, to)
	}
	return nil
}

// becoming says what a user asked for when an automation was to become a
// status: the words of the button or the API route, not the status.
var becoming = map[autocred.AutomationStatus]string{
	autocred.AutomationBaselining: "activated or resumed",
	autocred.AutomationActive:     "resumed",
	autocred.AutomationPaused:     "paused",
	autocred.AutomationBroken:     "stopped for its connection",
	autocred.AutomationDraft:      "made a draft again",
}

// transitionRefused is the conflict of an automation asked to become to
// from a status that cannot go there, in the words of what was asked
// (a client read "it cannot become baselining from there" on a resume).
func transitionRefused(a autocred.Automation, to autocred.AutomationStatus) error {
	from := a.Status
	switch {
	case from.Watching() && to.Watching():
		return autocred.Errorf(autocred.ECONFLICT, "%s is already %s, watching its segment: there is nothing to resume", named(a), statusWords(from))
	case from == to:
		return autocred.Errorf(autocred.ECONFLICT, "%s is already %s", named(a), statusWords(from))
	}
	return autocred.Errorf(autocred.ECONFLICT, "%s is %s, so it cannot be %s now", named(a), statusWords(from), cmp.Or(becoming[to], "changed to "+string(to)))
}

// ActivateAutomation starts watching a draft automation: it becomes
// baselining, and the sync that takes its baseline is enqueued with the
// change. check, when given, is asked in the same transaction about the
// automations (not drafts) already issuing from its group to its segment
// (TwinCheck).
func (db *DB) ActivateAutomation(ctx context.Context, id int64, check ...TwinCheck) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		a, err := db.lockAutomation(ctx, tx, id)
		if err != nil {
			return err
		}
		if a.Status.Draft() {
			// Otherwise the status change says why it cannot be activated.
			if err := db.checkTwins(ctx, tx, a, false, check); err != nil {
				return err
			}
		}
		if err := db.setAutomationStatus(ctx, tx, id, autocred.AutomationBaselining, "", autocred.AutomationDraft); err != nil {
			return err
		}
		return db.syncSoon(ctx, tx, a)
	})
}

// ResumeAutomation restarts a paused or broken automation. By default it
// becomes baselining, so that its first sync takes a new baseline; its
// ledger is kept until then, for the baseline to tell who entered while it
// was stopped (RecordBaseline), and for a catch up if it is paused and
// resumed again before. With catchUp it becomes active on the ledger it has, so
// that its first sync makes an entry of everyone who entered meanwhile; an
// automation stopped before its baseline was recorded has no ledger to
// catch up on and takes a baseline anyway. Its first sync and the issue
// jobs of its pending runs are enqueued with the change. check, when
// given, is asked in the same transaction about the automations (not
// drafts) already issuing from its group to its segment (TwinCheck).
func (db *DB) ResumeAutomation(ctx context.Context, id int64, catchUp bool, check ...TwinCheck) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		a, err := db.lockAutomation(ctx, tx, id)
		if err != nil {
			return err
		}
		if a.Status.Stopped() {
			// Otherwise the status change says why it cannot be resumed.
			if err := db.checkTwins(ctx, tx, a, false, check); err != nil {
				return err
			}
		}
		from := []autocred.AutomationStatus{autocred.AutomationPaused, autocred.AutomationBroken}
		if catchUp && a.SnapshotSeq > 0 {
			if err := db.setAutomationStatus(ctx, tx, id, autocred.AutomationActive, "", from...); err != nil {
				return err
			}
		} else if err := db.setAutomationStatus(ctx, tx, id, autocred.AutomationBaselining, "", from...); err != nil {
			return err
		}
		if err := db.syncSoon(ctx, tx, a); err != nil {
			return err
		}
		return db.requeuePending(ctx, tx, id)
	})
}

// PauseAutomation stops a watching automation: no syncs, no credentials.
// Its pending runs stay pending (their jobs let them be) until it resumes.
func (db *DB) PauseAutomation(ctx context.Context, id int64) error {
	return db.SetAutomationStatus(ctx, id, autocred.AutomationPaused, "", autocred.AutomationBaselining, autocred.AutomationActive)
}

// SyncAutomationSoon enqueues a sync of a watching automation's segment
// now instead of at its next turn.
func (db *DB) SyncAutomationSoon(ctx context.Context, id int64) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		a, err := getAutomation(ctx, db.in(tx), id)
		if err != nil {
			return err
		}
		switch {
		case a.Status == autocred.AutomationArchived:
			return errArchived(a, "read its segment")
		case !a.Status.Watching():
			return autocred.Errorf(autocred.ECONFLICT, "%s is %s; activate or resume it first", named(a), statusWords(a.Status))
		}
		return db.syncSoon(ctx, tx, a)
	})
}

// syncSoon enqueues a sync of the automation's segment now, and clears
// the progress of a baseline about to be taken (a no-op for an automation
// that is not baselining).
func (db *DB) syncSoon(ctx context.Context, tx *sql.Tx, a autocred.Automation) error {
	_, err := db.in(tx).ExecContext(ctx, `UPDATE automations SET baseline_done = 0, baseline_total = 0
		WHERE id = ? AND status IN `+sqlBaselining, a.ID)
	if err != nil {
		return err
	}
	return db.enqueueSync(ctx, tx, a.Trigger.ConnectionID, a.Trigger.SegmentID, time.Time{})
}

// SetBaselineProgress records how much of the first snapshot has been read.
func (db *DB) SetBaselineProgress(ctx context.Context, id int64, p autocred.Progress) error {
	return db.setBaselineProgress(ctx, nil, id, p)
}

func (db *DB) setBaselineProgress(ctx context.Context, tx *sql.Tx, id int64, p autocred.Progress) error {
	_, err := db.in(tx).ExecContext(ctx, `UPDATE automations SET baseline_done = ?, baseline_total = ? WHERE id = ?`, p.Done, p.Total, id)
	return err
}

// RecordSync records the end of a sync of an automation: when it started,
// its error, and when the next periodic sync is due.
func (db *DB) RecordSync(ctx context.Context, id int64, at time.Time, syncErr string, next time.Time) error {
	_, err := db.pool().ExecContext(ctx, `UPDATE automations SET last_sync_at = ?, last_sync_error = ?, next_sync_at = ?, `+syncOutcome(syncErr)+` WHERE id = ?`,
		ms(at), syncErr, ms(next), ms(at), id)
	return err
}

// syncOutcome is the SET clause, with one placeholder for the sync's start
// (ms), that records how a sync ended besides its error: a sync without
// one is the last that worked (sync_ok_at) and ends a failure
// (sync_failing_since 0); one with an error keeps the start of the
// failures, or starts them.
func syncOutcome(syncErr string) string {
	if syncErr == "" {
		return `sync_ok_at = ?, sync_failing_since = 0`
	}
	return `sync_failing_since = CASE WHEN sync_failing_since = 0 THEN ? ELSE sync_failing_since END`
}

// SetSyncNotice records, on each automation, what its users should know
// about how its segment is read ("" when nothing). Unchanged notices are
// not written again.
func (db *DB) SetSyncNotice(ctx context.Context, ids []int64, notice string) error {
	if len(ids) == 0 {
		return nil
	}
	args := make([]any, 0, len(ids)+2)
	args = append(args, notice, notice)
	for _, id := range ids {
		args = append(args, id)
	}
	_, err := db.pool().ExecContext(ctx, `UPDATE automations SET sync_notice = ? WHERE sync_notice <> ? AND id IN (`+placeholders(len(ids))+`)`, args...)
	return err
}

// nextSnapshotSeq numbers the next complete snapshot of an automation.
func (db *DB) nextSnapshotSeq(ctx context.Context, tx *sql.Tx, id int64) (int64, error) {
	var seq int64
	err := db.in(tx).QueryRowContext(ctx, `UPDATE automations SET snapshot_seq = snapshot_seq + 1 WHERE id = ? RETURNING snapshot_seq`, id).Scan(&seq)
	return seq, err
}

func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	b := make([]byte, 0, 2*n)
	for i := range n {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '?')
	}
	return string(b)
}

// DueForSync lists the watching automations whose next sync time has come,
// but for those whose segment's sync is running (ScheduleSyncs).
func (db *DB) DueForSync(ctx context.Context, now time.Time) ([]autocred.Automation, error) {
	return queryAll(ctx, db.pool(), scanAutomation, `SELECT `+automationColumns+` FROM automations
		WHERE status IN `+sqlWatching+` AND next_sync_at <= ? AND NOT `+sqlSyncRunning+` ORDER BY next_sync_at`, ms(now), ms(now))
}

package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/autocred/autocred"
)

const runColumns = `id, automation_id, contact_id, entry, email, contact, status, credential_id, public_link,
	attempts, last_error, error_code, step, step_started_at, created_at, updated_at`

func scanRun(row rowScanner) (autocred.Run, error) {
	var r autocred.Run
	var contact string
	var stepAt, created, updated int64
	err := row.Scan(&r.ID, &r.AutomationID, &r.ContactID, &r.Entry, &r.Email, &contact, &r.Status, &r.CredentialID, &r.PublicLink,
		&r.Attempts, &r.LastError, &r.ErrorCode, &r.Step, &stepAt, &created, &updated)
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal([]byte(contact), &r.Contact); err != nil {
		return r, fmt.Errorf("run %d: unreadable contact: %w", r.ID, err)
	}
	r.StepStartedAt, r.CreatedAt, r.UpdatedAt = fromMS(stepAt), fromMS(created), fromMS(updated)
	return r, nil
}

// InsertRun stores one run as given, in its own transaction, and sets its
// ID: a fixture for tests. It enqueues no job; entries go through
// RecordEntries.
func (db *DB) InsertRun(ctx context.Context, r *autocred.Run) error {
	return db.InsertRuns(ctx, []*autocred.Run{r})
}

// InsertRuns stores runs as given, in one transaction, and sets their IDs:
// a fixture for tests and benchmarks, which may date a run (a non-zero
// CreatedAt is kept, for lists and filters by entry date). It enqueues no
// job; entries go through RecordEntries.
func (db *DB) InsertRuns(ctx context.Context, runs []*autocred.Run) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		for _, r := range runs {
			at := r.CreatedAt
			if err := db.insertRun(ctx, tx, r); err != nil {
				return err
			}
			if !at.IsZero() {
				if _, err := db.in(tx).ExecContext(ctx, `UPDATE runs SET created_at = ? WHERE id = ?`, ms(at), r.ID); err != nil {
					return err
				}
				r.CreatedAt = at
			}
		}
		return nil
	})
}

// insertRun stores a new run inside tx and sets its ID. The unique key
// (automation, contact, entry) refuses a second run for one entry.
func (db *DB) insertRun(ctx context.Context, tx *sql.Tx, r *autocred.Run) error {
	contact, err := json.Marshal(r.Contact)
	if err != nil {
		return err
	}
	now := db.now().UTC()
	r.CreatedAt, r.UpdatedAt = now, now
	if r.Status == "" {
		r.Status = autocred.RunPending
	}
	err = db.in(tx).QueryRowContext(ctx, `INSERT INTO runs (automation_id, contact_id, entry, email, contact, search_text, status, last_error, error_code, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		r.AutomationID, r.ContactID, r.Entry, r.Email, string(contact), r.SearchText(), r.Status, r.LastError, r.ErrorCode, ms(now), ms(now)).Scan(&r.ID)
	if err != nil {
		return fmt.Errorf("recording run of contact %d entry %d: %w", r.ContactID, r.Entry, err)
	}
	return nil
}

// Run reads one run.
func (db *DB) Run(ctx context.Context, id int64) (autocred.Run, error) {
	r, err := scanRun(db.pool().QueryRowContext(ctx, `SELECT `+runColumns+` FROM runs WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, autocred.Errorf(autocred.ENOTFOUND, "run %d does not exist", id)
	}
	return r, err
}

// SaveRun writes a run's progress: status, credential, attempts, error and
// step, and the email and contact its credential is made from. It is called before and after every Certifier call, so that a crash
// at any point leaves a record of what may have happened.
func (db *DB) SaveRun(ctx context.Context, r *autocred.Run) error {
	contact, err := json.Marshal(r.Contact)
	if err != nil {
		return fmt.Errorf("saving run %d: %w", r.ID, err)
	}
	r.UpdatedAt = db.now().UTC()
	_, err = db.pool().ExecContext(ctx, `UPDATE runs SET email = ?, contact = ?, search_text = ?, status = ?, credential_id = ?, public_link = ?, attempts = ?,
		last_error = ?, error_code = ?, step = ?, step_started_at = ?, updated_at = ? WHERE id = ?`,
		r.Email, string(contact), r.SearchText(), r.Status, r.CredentialID, r.PublicLink, r.Attempts, r.LastError, r.ErrorCode, r.Step, ms(r.StepStartedAt), ms(r.UpdatedAt), r.ID)
	if err != nil {
		return fmt.Errorf("saving run %d: %w", r.ID, err)
	}
	return nil
}

// AddRunEvent appends a line to a run's log.
func (db *DB) AddRunEvent(ctx context.Context, runID int64, message string) error {
	_, err := db.pool().ExecContext(ctx, `INSERT INTO run_events (run_id, at, message) VALUES (?, ?, ?)`, runID, ms(db.now()), message)
	return err
}

// addRunEvent appends a line to a run's log inside tx, for a line that
// must be written with the change it records (who asked for a retry).
func (db *DB) addRunEvent(ctx context.Context, tx *sql.Tx, runID int64, message string) error {
	_, err := db.in(tx).ExecContext(ctx, `INSERT INTO run_events (run_id, at, message) VALUES (?, ?, ?)`, runID, ms(db.now()), message)
	return err
}

// RunEvents reads a run's log, oldest first.
func (db *DB) RunEvents(ctx context.Context, runID int64) ([]autocred.RunEvent, error) {
	return queryAll(ctx, db.pool(), func(row rowScanner) (autocred.RunEvent, error) {
		var e autocred.RunEvent
		var at int64
		err := row.Scan(&at, &e.Message)
		e.At = fromMS(at)
		return e, err
	}, `SELECT at, message FROM run_events WHERE run_id = ? ORDER BY id`, runID)
}

// Runs lists an automation's runs, newest first, and the cursor of the next
// page (0 when there is none).
func (db *DB) Runs(ctx context.Context, f autocred.RunFilter) ([]autocred.Run, int64, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 500)
	where, args := runsWhere(f)
	if f.After > 0 {
		where += ` AND id < ?`
		args = append(args, f.After)
	}
	args = append(args, limit+1)
	out, err := queryAll(ctx, db.pool(), scanRun, `SELECT `+runColumns+` FROM runs WHERE `+where+` ORDER BY id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, 0, err
	}
	var next int64
	if len(out) > limit {
		out = out[:limit]
		next = out[limit-1].ID
	}
	return out, next, nil
}

// CountRuns counts the runs f selects, on every page (f.After and f.Limit
// are ignored): the "1,204 runs match" of the runs list. It reads indexes
// only where it can (see migration 0017), as it runs on each page load and
// live refresh.
func (db *DB) CountRuns(ctx context.Context, f autocred.RunFilter) (int, error) {
	where, args := runsWhere(f)
	var n int
	err := db.pool().QueryRowContext(ctx, `SELECT count(*) FROM runs WHERE `+where, args...).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("counting the runs of automation %d: %w", f.AutomationID, err)
	}
	return n, nil
}

// runsWhere is the condition of the runs f selects, without its cursor,
// in the same SQL for both databases: a contact id matches exactly, any
// other text by substring of the search_text column (names and email),
// lower-cased in Go on both sides, so that case never depends on the
// database's lower() or LIKE.
func runsWhere(f autocred.RunFilter) (string, []any) {
	where := `automation_id = ?`
	args := []any{f.AutomationID}
	if f.Status != "" {
		where += ` AND status = ?`
		args = append(args, f.Status)
	}
	if f.ErrorCode != "" {
		where += ` AND error_code = ?`
		args = append(args, f.ErrorCode)
	}
	if c := strings.TrimSpace(f.Contact); c != "" {
		if id, err := strconv.ParseInt(c, 10, 64); err == nil {
			where += ` AND contact_id = ?`
			args = append(args, id)
		} else {
			q := strings.ToLower(strings.Join(strings.Fields(c), " "))
			where += ` AND search_text LIKE ? ESCAPE '\'`
			args = append(args, "%"+likeEscaper.Replace(q)+"%")
		}
	}
	if !f.EnteredFrom.IsZero() {
		where += ` AND created_at >= ?`
		args = append(args, ms(f.EnteredFrom))
	}
	if !f.EnteredBefore.IsZero() {
		where += ` AND created_at < ?`
		args = append(args, ms(f.EnteredBefore))
	}
	return where, args
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// RunCounts counts an automation's runs by status.
func (db *DB) RunCounts(ctx context.Context, automationID int64) (map[autocred.RunStatus]int, error) {
	rows, err := db.pool().QueryContext(ctx, `SELECT status, count(*) FROM runs WHERE automation_id = ? GROUP BY status`, automationID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[autocred.RunStatus]int{}
	for rows.Next() {
		var s autocred.RunStatus
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, err
		}
		out[s] = n
	}
	return out, rows.Err()
}

// CredentialClaimed tells whether a run already holds this credential, so
// that reconciling an unknown outcome never adopts another run's credential
// (two automations may issue from one group to one person).
func (db *DB) CredentialClaimed(ctx context.Context, credentialID string) (bool, error) {
	var n int
	err := db.pool().QueryRowContext(ctx, `SELECT count(*) FROM runs WHERE credential_id = ?`, credentialID).Scan(&n)
	return n > 0, err
}

// RetryRun makes a failed or skipped run pending again, notes in its log
// why (note: who asked), and enqueues its issue job, in one transaction; a
// pending run waiting after a failed attempt stays pending, its error
// cleared, and is enqueued at once. A run of an archived automation is
// refused: nothing would work it until the automation is restored.
func (db *DB) RetryRun(ctx context.Context, id int64, note string) error {
	return db.tx(ctx, func(tx *sql.Tx) error { return db.retryRun(ctx, tx, id, note, false) })
}

// RetryFailedRuns retries every failed run of an automation, in one
// transaction, noting note in each run's log, and says how many.
func (db *DB) RetryFailedRuns(ctx context.Context, automationID int64, note string) (int, error) {
	n := 0
	err := db.tx(ctx, func(tx *sql.Tx) error {
		a, err := getAutomation(ctx, db.in(tx), automationID)
		if err != nil {
			return err
		}
		if a.Status == autocred.AutomationArchived {
			return errArchived(automationID, "retry its runs")
		}
		ids, err := db.runIDs(ctx, tx, automationID, autocred.RunFailed)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if err := db.retryRun(ctx, tx, id, note, len(ids) > BatchRuns); err != nil {
				return err
			}
		}
		n = len(ids)
		return nil
	})
	return n, err
}

func (db *DB) retryRun(ctx context.Context, tx *sql.Tx, id int64, note string, batch bool) error {
	res, err := db.in(tx).ExecContext(ctx, `UPDATE runs SET status = ?, last_error = '', error_code = '', updated_at = ?
		WHERE id = ? AND (status IN `+sqlRetryable+` OR status IN `+sqlPending+` AND last_error <> '')
		AND automation_id NOT IN (SELECT id FROM automations WHERE status = ?)`,
		autocred.RunPending, ms(db.now()), id, autocred.AutomationArchived)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		var status autocred.RunStatus
		var automation autocred.AutomationStatus
		var automationID int64
		err := db.in(tx).QueryRowContext(ctx, `SELECT r.status, a.status, a.id FROM runs r JOIN automations a ON a.id = r.automation_id WHERE r.id = ?`, id).
			Scan(&status, &automation, &automationID)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return autocred.Errorf(autocred.ENOTFOUND, "run %d does not exist", id)
		case err != nil:
			return err
		case automation == autocred.AutomationArchived:
			return errArchived(automationID, "retry its runs")
		}
		return autocred.Errorf(autocred.ECONFLICT, "run %d is %s; only failed and skipped runs, and pending runs waiting after a failed attempt, can be retried", id, status)
	}
	if note != "" {
		if err := db.addRunEvent(ctx, tx, id, note); err != nil {
			return fmt.Errorf("recording the retry of run %d: %w", id, err)
		}
	}
	return db.enqueueIssue(ctx, tx, id, time.Time{}, batch)
}

// requeuePending enqueues the issue jobs of an automation's pending runs.
// A run whose job still waits gets a second one, which finds the run final
// (or its lease taken) and does nothing.
func (db *DB) requeuePending(ctx context.Context, tx *sql.Tx, automationID int64) error {
	ids, err := db.runIDs(ctx, tx, automationID, autocred.RunPending)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := db.enqueueIssue(ctx, tx, id, time.Time{}, len(ids) > BatchRuns); err != nil {
			return err
		}
	}
	return nil
}

// runIDs lists the ids of an automation's runs with a status.
func (db *DB) runIDs(ctx context.Context, tx *sql.Tx, automationID int64, status autocred.RunStatus) ([]int64, error) {
	return queryAll(ctx, db.in(tx), scanID, `SELECT id FROM runs WHERE automation_id = ? AND status = ? ORDER BY id`, automationID, status)
}

// PendingRuns counts the runs waiting for their credential, over all
// automations: the depth of the issuing queue as users see it.
func (db *DB) PendingRuns(ctx context.Context) (int, error) {
	var n int
	err := db.pool().QueryRowContext(ctx, `SELECT count(*) FROM runs WHERE status IN `+sqlPending).Scan(&n)
	return n, err
}

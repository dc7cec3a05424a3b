package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/autocred/autocred"
)

const runColumns = `id, automation_id, contact_id, entry, email, contact, status, credential_id, public_link,
	attempts, last_error, error_code, step, step_started_at, created_at, updated_at`

func scanRun(row rowScanner) (autocred.Run, error) {
	var s runScan
	if err := row.Scan(s.dest()...); err != nil {
		return s.r, err
	}
	return s.decode()
}

// runScan is one row of runColumns being read: dest is where Scan puts
// it, decode makes the run of it.
type runScan struct {
	r                        autocred.Run
	contact                  string
	stepAt, created, updated int64
}

func (s *runScan) dest() []any {
	r := &s.r
	return []any{&r.ID, &r.AutomationID, &r.ContactID, &r.Entry, &r.Email, &s.contact, &r.Status, &r.CredentialID, &r.PublicLink,
		&r.Attempts, &r.LastError, &r.ErrorCode, &r.Step, &s.stepAt, &s.created, &s.updated}
}

func (s *runScan) decode() (autocred.Run, error) {
	r := s.r
	if err := json.Unmarshal([]byte(s.contact), &r.Contact); err != nil {
		return r, fmt.Errorf("run %d: unreadable contact: %w", r.ID, err)
	}
	r.StepStartedAt, r.CreatedAt, r.UpdatedAt = fromMS(s.stepAt), fromMS(s.created), fromMS(s.updated)
	return r, nil
}

// insertRunsAsGiven stores runs as given, in one transaction, and sets
// their IDs, keeping a non-zero CreatedAt: a fixture for tests (see
// fixtures.go), which enqueues no job; entries go through RecordEntries.
func (db *DB) insertRunsAsGiven(ctx context.Context, runs []*autocred.Run) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		for _, r := range runs {
			at, updated := r.CreatedAt, r.UpdatedAt
			if err := db.insertRun(ctx, tx, r); err != nil {
				return err
			}
			if !updated.IsZero() {
				// A final run finished then, too.
				if _, err := db.in(tx).ExecContext(ctx, `UPDATE runs SET updated_at = ?, finished_at = CASE WHEN finished_at > 0 THEN ? ELSE finished_at END WHERE id = ?`,
					ms(updated), ms(updated), r.ID); err != nil {
					return err
				}
				r.UpdatedAt = updated
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
	runs := []autocred.Run{*r}
	if err := db.insertRuns(ctx, tx, runs); err != nil {
		return err
	}
	*r = runs[0]
	return nil
}

// insertRuns stores new runs inside tx, a few statements for the lot
// (inChunks), and sets their IDs. The unique key (automation, contact,
// entry) refuses a second run for one entry.
func (db *DB) insertRuns(ctx context.Context, tx *sql.Tx, runs []autocred.Run) error {
	now := db.now().UTC()
	type key struct {
		automation int64
		contact    autocred.ContactID
		entry      int
	}
	index := make(map[key]int, len(runs))
	for i := range runs {
		r := &runs[i]
		r.CreatedAt, r.UpdatedAt = now, now
		if r.Status == "" {
			r.Status = autocred.RunPending
		}
		index[key{r.AutomationID, r.ContactID, r.Entry}] = i
	}
	return inChunks(len(runs), func(lo, hi int) error {
		args := make([]any, 0, 12*(hi-lo))
		for _, r := range runs[lo:hi] {
			contact, err := json.Marshal(r.Contact)
			if err != nil {
				return err
			}
			var finished int64 // a run recorded final (skipped at entry) finished as it entered
			if r.Status.Final() {
				finished = ms(now)
			}
			args = append(args, r.AutomationID, r.ContactID, r.Entry, r.Email, string(contact), r.SearchText(), r.Status, r.LastError, r.ErrorCode, ms(now), ms(now), finished)
		}
		rows, err := db.in(tx).QueryContext(ctx, `INSERT INTO runs (automation_id, contact_id, entry, email, contact, search_text, status, last_error, error_code, created_at, updated_at, finished_at)
		VALUES `+valuesList(hi-lo, "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")+` RETURNING id, automation_id, contact_id, entry`, args...)
		if err != nil {
			return fmt.Errorf("recording the runs of contacts %d to %d: %w", runs[lo].ContactID, runs[hi-1].ContactID, err)
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var k key
			if err := rows.Scan(&id, &k.automation, &k.contact, &k.entry); err != nil {
				return err
			}
			if i, ok := index[k]; ok {
				runs[i].ID = id
			}
		}
		return rows.Err()
	})
}

// Run reads one run.
func (db *DB) Run(ctx context.Context, id int64) (autocred.Run, error) {
	r, err := scanRun(db.pool().QueryRowContext(ctx, `SELECT `+runColumns+` FROM runs WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, autocred.Errorf(autocred.ENOTFOUND, "run %d does not exist", id)
	}
	return r, err
}

// RunAndAutomation reads one run, its automation and the automation's
// Certifier connection, in one query: the issue job needs all three, and
// on PostgreSQL each query is a round trip.
func (db *DB) RunAndAutomation(ctx context.Context, id int64) (autocred.Run, autocred.Automation, autocred.Connection, error) {
	var rs runScan
	var as automationScan
	var cs connectionScan
	row := db.pool().QueryRowContext(ctx, `SELECT `+qualified("r", runColumns)+`, `+qualified("a", automationColumns)+`, `+qualified("c", connectionColumns)+`
		FROM runs r JOIN automations a ON a.id = r.automation_id JOIN connections c ON c.id = a.action_connection_id WHERE r.id = ?`, id)
	if err := row.Scan(append(append(rs.dest(), as.dest()...), cs.dest()...)...); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			err = autocred.Errorf(autocred.ENOTFOUND, "run %d does not exist", id)
		}
		return rs.r, as.a, cs.c, err
	}
	r, err := rs.decode()
	if err != nil {
		return r, as.a, cs.c, err
	}
	a, err := as.decode()
	return r, a, cs.decode(), err
}

// qualified prefixes each of a list of columns with a table's alias.
func qualified(alias, columns string) string {
	list := strings.Split(columns, ",")
	for i, c := range list {
		list[i] = alias + "." + strings.TrimSpace(c)
	}
	return strings.Join(list, ", ")
}

// SaveRun writes a run's progress: status, credential, attempts, error and
// step, and the email and contact its credential is made from. It is
// called before and after every Certifier call, so that a crash at any
// point leaves a record of what may have happened.
func (db *DB) SaveRun(ctx context.Context, r *autocred.Run) error {
	return db.SaveRunWith(ctx, r, RunSave{})
}

// RunSave is what SaveRunWith writes with a run's progress.
type RunSave struct {
	// Row is the run's row as the caller last read or wrote it (RowOf):
	// only the columns that differ from it are written, and it is updated
	// to what was. Most of them are in an index, and SQLite rewrites the
	// entries of every index on a column a statement sets, changed or
	// not: setting them all cost three times a save that sets none (see
	// docs/benchmarks.md, "Where the time goes"). Nil: every column.
	Row *RunRow
	// Events are the lines of the run's log recorded since it was last
	// written, each with its own time.
	Events []autocred.RunEvent
	// Release is the lease the caller's job holds on the run, given up
	// with this write when the job is done with the run.
	Release *Lease
}

// RunRow is the stored form of a run's progress (the columns SaveRun
// writes), to compare a run with: RowOf.
type RunRow struct {
	known  bool
	values [len(runProgress)]any
}

// runProgress are the columns SaveRun writes, updated_at aside.
var runProgress = [...]string{"email", "contact", "search_text", "status", "credential_id", "public_link", "attempts",
	"last_error", "error_code", "step", "step_started_at"}

// RowOf is the stored form of a run's progress.
func RowOf(r *autocred.Run) (RunRow, error) {
	contact, err := json.Marshal(r.Contact)
	if err != nil {
		return RunRow{}, fmt.Errorf("run %d: %w", r.ID, err)
	}
	return RunRow{known: true, values: [...]any{r.Email, string(contact), r.SearchText(), string(r.Status), r.CredentialID, r.PublicLink, r.Attempts,
		r.LastError, string(r.ErrorCode), string(r.Step), ms(r.StepStartedAt)}}, nil
}

// SaveRunWith writes a run's progress as SaveRun does, only the columns
// that changed when it knows the row (with.Row), with the lines of its log
// recorded since it was last written and, for a run whose job is done with
// it, the release of the job's lease on it, in one transaction: one commit
// where there were one per line, one for the run and one for the lease
// (see docs/benchmarks.md, "Where the time goes").
func (db *DB) SaveRunWith(ctx context.Context, r *autocred.Run, with RunSave) error {
	row, err := RowOf(r)
	if err != nil {
		return fmt.Errorf("saving run %d: %w", r.ID, err)
	}
	r.UpdatedAt = db.now().UTC()
	var set strings.Builder
	var args []any
	for i, col := range runProgress {
		if with.Row == nil || !with.Row.known || with.Row.values[i] != row.values[i] {
			set.WriteString(col + " = ?, ")
			args = append(args, row.values[i])
		}
	}
	// finished_at: when the run became final, kept while it stays final
	// (a later save, a resend, does not move it), 0 while it is pending.
	// The chart of runs finished per day counts by it (RunsPerDay).
	var final int64
	if r.Status.Final() {
		final = 1
	}
	args = append(args, final, ms(r.UpdatedAt), ms(r.UpdatedAt), r.ID)
	update := `UPDATE runs SET ` + set.String() + `finished_at = CASE WHEN ? = 0 THEN 0 WHEN finished_at = 0 THEN ? ELSE finished_at END, updated_at = ? WHERE id = ?`
	save := func(q querier) error {
		_, err := q.ExecContext(ctx, update, args...)
		return err
	}
	switch {
	case len(with.Events) == 0 && with.Release == nil:
		err = save(db.pool())
	case db.postgres:
		err = db.saveRunInOneStatement(ctx, r.ID, update, args, with)
	default:
		err = db.tx(ctx, func(tx *sql.Tx) error {
			if err := save(db.in(tx)); err != nil {
				return err
			}
			if err := db.addRunEvents(ctx, tx, r.ID, with.Events); err != nil {
				return err
			}
			if with.Release != nil {
				return db.releaseLease(ctx, db.in(tx), with.Release.Key, with.Release.Holder)
			}
			return nil
		})
	}
	if err != nil {
		return fmt.Errorf("saving run %d: %w", r.ID, err)
	}
	if with.Row != nil {
		*with.Row = row
	}
	return nil
}

// saveRunInOneStatement writes a run (update, with its args), the lines
// of its log and the release of its lease as one PostgreSQL statement:
// a statement is atomic, and where a transaction of three statements is
// five round trips (BEGIN and COMMIT with them), this is one.
func (db *DB) saveRunInOneStatement(ctx context.Context, runID int64, update string, args []any, with RunSave) error {
	query := `WITH saved AS (` + update + ` RETURNING id)`
	if len(with.Events) > 0 {
		query += `, logged AS (INSERT INTO run_events (run_id, at, message) VALUES ` + valuesList(len(with.Events), "(?, ?, ?)") + `)`
		for _, e := range with.Events {
			args = append(args, runID, ms(e.At), e.Message)
		}
	}
	if with.Release != nil {
		query += `, released AS (DELETE FROM leases WHERE key = ? AND holder = ?)`
		args = append(args, with.Release.Key, with.Release.Holder)
	}
	_, err := db.pool().ExecContext(ctx, query+` SELECT count(*) FROM saved`, args...)
	return err
}

// AddRunEvent appends a line to a run's log.
func (db *DB) AddRunEvent(ctx context.Context, runID int64, message string) error {
	return db.AddRunEvents(ctx, runID, []autocred.RunEvent{{At: db.now(), Message: message}})
}

// addRunEvent appends a line to a run's log inside tx, for a line that
// must be written with the change it records (who asked for a retry).
func (db *DB) addRunEvent(ctx context.Context, tx *sql.Tx, runID int64, message string) error {
	return db.addRunEvents(ctx, tx, runID, []autocred.RunEvent{{At: db.now(), Message: message}})
}

// AddRunEvents appends lines to a run's log, each with its own time, in
// one transaction. A line in a run's log records a change to the run (a
// resend of its email, who asked for it), so the run's updated_at becomes
// the last line's time if it is earlier: the run's Updated never says
// that nothing happened since an earlier time than its log shows.
// (SaveRunWith writes lines with the run, whose updated_at it sets.)
func (db *DB) AddRunEvents(ctx context.Context, runID int64, events []autocred.RunEvent) error {
	if len(events) == 0 {
		return nil
	}
	last := ms(events[0].At)
	for _, e := range events[1:] {
		last = max(last, ms(e.At))
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.addRunEvents(ctx, tx, runID, events); err != nil {
			return err
		}
		_, err := db.in(tx).ExecContext(ctx, `UPDATE runs SET updated_at = ? WHERE id = ? AND updated_at < ?`, last, runID, last)
		return err
	})
}

// addRunEvents appends lines to a run's log inside tx, in one statement.
func (db *DB) addRunEvents(ctx context.Context, tx *sql.Tx, runID int64, events []autocred.RunEvent) error {
	if len(events) == 0 {
		return nil
	}
	args := make([]any, 0, 3*len(events))
	for _, e := range events {
		args = append(args, runID, ms(e.At), e.Message)
	}
	values := strings.Repeat(", (?, ?, ?)", len(events))[2:]
	_, err := db.in(tx).ExecContext(ctx, `INSERT INTO run_events (run_id, at, message) VALUES `+values, args...)
	return err
}

// RunsEndingWith returns the ids of the runs whose log's last line begins
// with prefix (which must hold no % or _) and was written at or after
// since, at most limit, lowest first: the runs that an interrupted piece of
// work (a resend when the process died) left without its outcome. It
// reads the lines since since, so since bounds its cost.
func (db *DB) RunsEndingWith(ctx context.Context, prefix string, since time.Time, limit int) ([]int64, error) {
	return queryAll(ctx, db.pool(), func(row rowScanner) (int64, error) {
		var id int64
		return id, row.Scan(&id)
	}, `SELECT e.run_id FROM run_events e WHERE e.at >= ? AND e.message LIKE ?
		AND e.id = (SELECT max(f.id) FROM run_events f WHERE f.run_id = e.run_id)
		ORDER BY e.run_id LIMIT ?`, ms(since), prefix+"%", limit)
}

// RunEvents reads a run's log, oldest first.
func (db *DB) RunEvents(ctx context.Context, runID int64) ([]autocred.RunEvent, error) {
	return queryAll(ctx, db.pool(), func(row rowScanner) (autocred.RunEvent, error) {
		var e autocred.RunEvent
		var at int64
		err := row.Scan(&e.ID, &at, &e.Message)
		e.At = fromMS(at)
		return e, err
	}, `SELECT id, at, message FROM run_events WHERE run_id = ? ORDER BY id`, runID)
}

// SetRunEventMessage rewrites one line of a run's log: a wait that
// repeats counts itself on its line (autocred.WaitLine) instead of adding
// one line per try, so that a long outage does not grow the log.
func (db *DB) SetRunEventMessage(ctx context.Context, runID, eventID int64, message string) error {
	if _, err := db.pool().ExecContext(ctx, `UPDATE run_events SET message = ? WHERE id = ? AND run_id = ?`, message, eventID, runID); err != nil {
		return fmt.Errorf("rewriting line %d of run %d's log: %w", eventID, runID, err)
	}
	return nil
}

// Runs lists the runs of an automation, or of all automations when f
// names none, newest first, and the cursor of the next page (0 when there
// is none). With f.Before (and no f.After), the page is
// the runs just newer than f.Before: the page before, going back.
func (db *DB) Runs(ctx context.Context, f autocred.RunFilter) ([]autocred.Run, int64, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 500)
	if f.After <= 0 && f.Before > 0 {
		return db.newerRuns(ctx, f, limit)
	}
	cursor := ""
	if f.After > 0 {
		cursor = `id < ?`
	}
	query, args := runsPageQuery(f, cursor, f.After, "DESC", limit+1)
	out, err := queryAll(ctx, db.pool(), scanRun, query, args...)
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

// runsPageQuery is the query of a page of Runs: the limit runs of f
// beyond a cursor (cursor, "id < ?" or "id > ?", with cursorArg; "" for
// none), in the order of their ids (order, "DESC" or "ASC"). A search by
// name or email across automations first finds the page's ids in the
// narrow (id, search_text) index (migration 0019), which it may read
// whole for a person with few runs, and then reads only their rows;
// within one automation the (automation_id, id) index narrows the rows
// read, as before.
func runsPageQuery(f autocred.RunFilter, cursor string, cursorArg int64, order string, limit int) (string, []any) {
	where, args := runsWhere(f)
	if f.AutomationID == 0 && len(f.SearchWords()) > 0 {
		// The cursor is a filter (+id), not a range: given a range of
		// ids, SQLite reads it by the primary key, every row of it,
		// instead of the narrow index. The index's entries past the
		// cursor are read for nothing, at most all of them: what one
		// search without a cursor reads anyway.
		if cursor != "" {
			where += ` AND +` + cursor
			args = append(args, cursorArg)
		}
		args = append(args, limit)
		return `SELECT ` + runColumns + ` FROM runs WHERE id IN (SELECT id FROM runs WHERE ` + where + ` ORDER BY id ` + order + ` LIMIT ?) ORDER BY id ` + order, args
	}
	if cursor != "" {
		where += ` AND ` + cursor
		args = append(args, cursorArg)
	}
	return `SELECT ` + runColumns + ` FROM runs WHERE ` + where + ` ORDER BY id ` + order + ` LIMIT ?`, append(args, limit)
}

// newerRuns is the page of Runs with a cursor back: the limit runs of f
// just newer than f.Before, newest first, and the cursor of the page
// after it (older), 0 when there is no older run.
func (db *DB) newerRuns(ctx context.Context, f autocred.RunFilter, limit int) ([]autocred.Run, int64, error) {
	query, args := runsPageQuery(f, `id > ?`, f.Before, "ASC", limit)
	out, err := queryAll(ctx, db.pool(), scanRun, query, args...)
	if err != nil || len(out) == 0 {
		return out, 0, err
	}
	slices.Reverse(out)
	last := out[len(out)-1].ID
	where, args := runsWhere(f)
	older, err := queryAll(ctx, db.pool(), scanID, `SELECT id FROM runs WHERE `+where+` AND id < ? ORDER BY id DESC LIMIT 1`, append(args, last)...)
	if err != nil || len(older) == 0 {
		return out, 0, err
	}
	return out, last, nil
}

// CountRuns counts the runs f selects, on every page (f.After and f.Limit
// are ignored): the "1,204 runs match" of the runs list. It reads indexes
// only where it can (see migration 0017), as it runs on each page load and
// live refresh.
func (db *DB) CountRuns(ctx context.Context, f autocred.RunFilter) (int, error) {
	query, args := countRunsQuery(f)
	var n int
	err := db.pool().QueryRowContext(ctx, query, args...).Scan(&n)
	if err != nil {
		if f.AutomationID == 0 {
			return 0, fmt.Errorf("counting the runs of every automation: %w", err)
		}
		return 0, fmt.Errorf("counting the runs of automation %d: %w", f.AutomationID, err)
	}
	return n, nil
}

// countRunsQuery is the query of CountRuns.
func countRunsQuery(f autocred.RunFilter) (string, []any) {
	where, args := runsWhere(f)
	return `SELECT count(*) FROM runs WHERE ` + where, args
}

// runsWhere is the condition of the runs f selects, without its cursor,
// in the same SQL for both databases: those of one automation, or of
// every automation when f names none; a contact id matches exactly; any
// other text is taken word by word (SearchWords), each word a substring
// of the search_text column (names and email), in any order, lower-cased
// in Go on both sides, so that case never depends on the database's
// lower() or LIKE.
func runsWhere(f autocred.RunFilter) (string, []any) {
	var conds []string
	var args []any
	add := func(cond string, arg any) {
		conds = append(conds, cond)
		args = append(args, arg)
	}
	if f.AutomationID != 0 {
		add(`automation_id = ?`, f.AutomationID)
	}
	if f.Status != "" {
		add(`status = ?`, f.Status)
	}
	if f.ErrorCode != "" {
		add(`error_code = ?`, f.ErrorCode)
	}
	if id, ok := f.ContactID(); ok {
		add(`contact_id = ?`, id)
	} else if f.SearchesNothing() {
		conds = append(conds, `1 = 0`) // a search with no word in it finds nobody
	} else {
		for _, w := range f.SearchWords() {
			add(`search_text LIKE ? ESCAPE '\'`, "%"+likeEscaper.Replace(w)+"%")
		}
	}
	if !f.EnteredFrom.IsZero() {
		add(`created_at >= ?`, ms(f.EnteredFrom))
	}
	if !f.EnteredBefore.IsZero() {
		add(`created_at < ?`, ms(f.EnteredBefore))
	}
	if len(conds) == 0 {
		return `1 = 1`, nil
	}
	return strings.Join(conds, ` AND `), args
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// RunCounts counts an automation's runs by status, the runs pruned from
// its history (see PruneRuns) included.
func (db *DB) RunCounts(ctx context.Context, automationID int64) (map[autocred.RunStatus]int, error) {
	rows, err := db.pool().QueryContext(ctx, `SELECT status, CAST(sum(n) AS BIGINT) FROM (
		SELECT status, count(*) AS n FROM runs WHERE automation_id = ? GROUP BY status
		UNION ALL SELECT status, runs AS n FROM pruned_runs WHERE automation_id = ?) AS c GROUP BY status`, automationID, automationID)
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

// CredentialClaimed tells whether a run holds this credential, or held it
// before it was pruned or its history deleted, so that reconciling an
// unknown outcome never adopts another run's credential (two automations
// may issue from one group to one person, and one contact may enter
// again).
func (db *DB) CredentialClaimed(ctx context.Context, credentialID string) (bool, error) {
	var n int
	err := db.pool().QueryRowContext(ctx, `SELECT (SELECT count(*) FROM runs WHERE credential_id = ?)
		+ (SELECT count(*) FROM deleted_run_credentials WHERE credential_id = ?)`, credentialID, credentialID).Scan(&n)
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
	return db.retryAll(ctx, automationID, note, autocred.RunFailed, "")
}

// RetryStoppedEntrants retries, in one transaction, the skipped run of
// everyone who entered the segment while the automation was stopped and
// got nothing because it was resumed with Start fresh
// (autocred.RunCodeEnteredWhilePaused): issuing to them after all, on
// purpose. It notes note in each run's log and says how many.
func (db *DB) RetryStoppedEntrants(ctx context.Context, automationID int64, note string) (int, error) {
	return db.retryAll(ctx, automationID, note, autocred.RunSkipped, autocred.RunCodeEnteredWhilePaused)
}

// retryAll retries every run of an automation with a status (and, unless
// "", an error code) in one transaction.
func (db *DB) retryAll(ctx context.Context, automationID int64, note string, status autocred.RunStatus, code autocred.RunErrorCode) (int, error) {
	n := 0
	err := db.tx(ctx, func(tx *sql.Tx) error {
		a, err := getAutomation(ctx, db.in(tx), automationID)
		if err != nil {
			return err
		}
		if why := a.RetryBlocked(); why != "" {
			return autocred.Errorf(autocred.ECONFLICT, "%s", why)
		}
		ids, err := db.runIDs(ctx, tx, automationID, status, code)
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

// QueueResends enqueues, in one transaction, a resend job for every run of
// an automation whose email is unconfirmed (send_unconfirmed, with a
// credential), and says how many (queued), and how many such runs it left
// out: those whose own resend may have gone out already
// (autocred.RunCodeResendUnconfirmed), which Resend email to all would
// not send, and which are resent one by one from their runs. by is who
// asked; each job records it in its run's log when it sends.
func (db *DB) QueueResends(ctx context.Context, automationID int64, by string) (queued, leftOut int, err error) {
	if db.jobs.Queue == nil || db.jobs.Resend == nil {
		return 0, 0, errNoJobs
	}
	err = db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := getAutomation(ctx, db.in(tx), automationID); err != nil {
			return err
		}
		ids, err := queryAll(ctx, db.in(tx), scanID, `SELECT id FROM runs WHERE automation_id = ? AND status = ? AND credential_id <> '' AND error_code <> ? ORDER BY id`,
			automationID, autocred.RunSendUnconfirmed, autocred.RunCodeResendUnconfirmed)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if _, err := db.jobs.Queue.InsertTx(ctx, tx, db.jobs.Resend(id, by), nil); err != nil {
				return fmt.Errorf("enqueueing the resend of run %d: %w", id, err)
			}
		}
		if err := db.in(tx).QueryRowContext(ctx, `SELECT count(*) FROM runs WHERE automation_id = ? AND status = ? AND error_code = ?`,
			automationID, autocred.RunSendUnconfirmed, autocred.RunCodeResendUnconfirmed).Scan(&leftOut); err != nil {
			return fmt.Errorf("counting the runs left out of Resend email to all: %w", err)
		}
		queued = len(ids)
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	return queued, leftOut, nil
}

// retryRun makes a run pending again and enqueues its job, noting note in
// its log. It is refused while the run's automation does not watch its
// segment (autocred.Automation.RetryBlocked): nothing would work the run,
// and "Retry queued" would be a promise nobody keeps.
func (db *DB) retryRun(ctx context.Context, tx *sql.Tx, id int64, note string, batch bool) error {
	var automationID int64
	err := db.in(tx).QueryRowContext(ctx, `SELECT automation_id FROM runs WHERE id = ?`, id).Scan(&automationID)
	if errors.Is(err, sql.ErrNoRows) {
		return autocred.Errorf(autocred.ENOTFOUND, "run %d does not exist", id)
	}
	if err != nil {
		return err
	}
	a, err := getAutomation(ctx, db.in(tx), automationID)
	if err != nil {
		return err
	}
	if why := a.RetryBlocked(); why != "" {
		return autocred.Errorf(autocred.ECONFLICT, "%s", why)
	}
	res, err := db.in(tx).ExecContext(ctx, `UPDATE runs SET status = ?, last_error = '', error_code = '', finished_at = 0, updated_at = ?
		WHERE id = ? AND (status IN `+sqlRetryable+` OR status IN `+sqlPending+` AND last_error <> '')`,
		autocred.RunPending, ms(db.now()), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		var status autocred.RunStatus
		if err := db.in(tx).QueryRowContext(ctx, `SELECT status FROM runs WHERE id = ?`, id).Scan(&status); err != nil {
			return err
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
	ids, err := db.runIDs(ctx, tx, automationID, autocred.RunPending, "")
	if err != nil {
		return err
	}
	return db.enqueueIssues(ctx, tx, ids, time.Time{}, len(ids) > BatchRuns)
}

// runIDs lists the ids of an automation's runs with a status.
func (db *DB) runIDs(ctx context.Context, tx *sql.Tx, automationID int64, status autocred.RunStatus, code autocred.RunErrorCode) ([]int64, error) {
	if code != "" {
		// error_code <> '' lets the partial index runs_by_error_code serve
		// it (SQLite uses it only for a query that says so).
		return queryAll(ctx, db.in(tx), scanID, `SELECT id FROM runs WHERE automation_id = ? AND error_code = ? AND error_code <> '' AND status = ? ORDER BY id`,
			automationID, code, status)
	}
	return queryAll(ctx, db.in(tx), scanID, `SELECT id FROM runs WHERE automation_id = ? AND status = ? ORDER BY id`, automationID, status)
}

// PendingRuns counts the runs waiting for their credential, over all
// automations: the depth of the issuing queue as users see it.
func (db *DB) PendingRuns(ctx context.Context) (int, error) {
	var n int
	err := db.pool().QueryRowContext(ctx, `SELECT count(*) FROM runs WHERE status IN `+sqlPending).Scan(&n)
	return n, err
}

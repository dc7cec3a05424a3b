package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/autocred/autocred"
)

// Pruning the run history (issue 16, serve --run-retention): the runs
// that finished longer ago than the retention are deleted with their
// logs, a small batch per transaction, so that the engine's own writes
// wait for one batch at most (SQLite has one writer at a time). What
// stays:
//   - the ledger (memberships), always: it is what keeps a contact who is
//     in from being taken for new (DESIGN §3), whether its run is kept
//     or not; and it marks, in the same transaction, the contacts whose
//     run deleted had given them a credential (credited_pruned, migration
//     0025), so that a resume with Start fresh still counts them among
//     those who had one (recordFreshStart);
//   - the counts: every run deleted is added, in the same transaction, to
//     pruned_runs (migration 0018), which RunCounts and RunsPerDay add to
//     the runs still kept, so that an automation's page shows the same
//     numbers before and after.

// sqlPrunable are the statuses in which a run may be pruned: the final
// ones, except send_unconfirmed, whose email may never have gone out and
// which waits for a user to decide whether to resend it. A pending run
// (new, retrying, or waiting to confirm with Certifier) is work in
// progress, and is never pruned however old.
var sqlPrunable = sqlList(autocred.RunIssued, autocred.RunDraft, autocred.RunSkipped, autocred.RunFailed)

// prunedSlicesKept is how long the runs pruned are counted by the quarter
// hour in which they finished, for the runs-per-day chart; older ones are
// folded into one count per automation and status (FoldPrunedCounts).
// A month and a few days: any chart of up to a month, in any time zone.
const prunedSlicesKept = 35 * 24 * time.Hour

// quarterHour is the slice of time pruned runs are counted by. Every time
// zone's offset from UTC is a whole number of quarter hours, so each
// slice falls within one calendar day in any zone.
const quarterHour = int64(15 * time.Minute / time.Millisecond)

// PruneStep is what one transaction of PruneRuns did.
type PruneStep struct {
	Pruned int   // runs deleted, with their logs, and added to the counts
	Next   int64 // the largest run id looked at: the next step starts after it
	Done   bool  // no run after Next can be old enough: the pass is over
}

// PruneRuns deletes, in one transaction, the runs with ids after `after`
// (up to limit of them, in id order) that finished before `before`, in a
// status that may be pruned (sqlPrunable), with their logs, and adds them
// to the automations' counts of pruned runs. A pass starts at after = 0
// and calls it again from Next until Done.
func (db *DB) PruneRuns(ctx context.Context, before time.Time, after int64, limit int) (PruneStep, error) {
	var step PruneStep
	err := db.tx(ctx, func(tx *sql.Tx) error {
		step = PruneStep{Next: after}
		upto, done, err := db.pruneWindow(ctx, tx, before, after, limit)
		if err != nil {
			return err
		}
		step.Done = done
		if upto == after {
			return nil
		}
		step.Next = upto
		pruned, err := db.deleteFinishedRuns(ctx, tx, before, after, upto)
		if err != nil {
			return err
		}
		step.Pruned = len(pruned)
		claims := make([]string, len(pruned))
		for i, r := range pruned {
			claims[i] = r.credentialID
		}
		if err := keepClaims(ctx, db.in(tx), claims); err != nil {
			return err
		}
		if err := markCredited(ctx, db.in(tx), pruned); err != nil {
			return err
		}
		return db.countPruned(ctx, tx, pruned)
	})
	if err != nil {
		return PruneStep{Next: after}, fmt.Errorf("pruning runs after run %d: %w", after, err)
	}
	return step, nil
}

// pruneWindow finds the runs one step looks at: up to limit runs after the
// id `after`, in id order, up to the last one before the first run that
// entered at or after `before`. A run gets its id and its entry time when
// it is inserted, so ids grow with entry times, and no run after that one
// can have finished before `before` (it entered later): the pass is done
// there. A pass thus reads the old end of the table only, by its primary
// key, with no index on when runs finished (which every save of a run
// would have to update).
func (db *DB) pruneWindow(ctx context.Context, tx *sql.Tx, before time.Time, after int64, limit int) (upto int64, done bool, err error) {
	rows, err := db.in(tx).QueryContext(ctx, `SELECT id, created_at FROM runs WHERE id > ? ORDER BY id LIMIT ?`, after, limit)
	if err != nil {
		return after, false, err
	}
	defer rows.Close()
	upto, n := after, 0
	for rows.Next() {
		var id, created int64
		if err := rows.Scan(&id, &created); err != nil {
			return after, false, err
		}
		if created >= ms(before) {
			return upto, true, nil
		}
		upto, n = id, n+1
	}
	return upto, n < limit, rows.Err()
}

// prunedRun is a run deleted by pruning, as its counts need it.
type prunedRun struct {
	automationID int64
	contactID    autocred.ContactID
	status       autocred.RunStatus
	finishedAt   int64  // ms
	credentialID string // "" when it made none
}

// deleteFinishedRuns deletes the runs with ids in (after, upto] that
// finished before `before` in a status that may be pruned, and their logs
// (run_events go with their run: ON DELETE CASCADE). The conditions are
// in the DELETE itself, not only in a read before it: on PostgreSQL a run
// retried by another node meanwhile (pending again, changed now) is
// checked again as it is locked, and kept.
func (db *DB) deleteFinishedRuns(ctx context.Context, tx *sql.Tx, before time.Time, after, upto int64) ([]prunedRun, error) {
	return queryAll(ctx, db.in(tx), func(row rowScanner) (prunedRun, error) {
		var r prunedRun
		err := row.Scan(&r.automationID, &r.contactID, &r.status, &r.finishedAt, &r.credentialID)
		return r, err
	}, `DELETE FROM runs WHERE id > ? AND id <= ? AND status IN `+sqlPrunable+` AND updated_at < ?
		RETURNING automation_id, contact_id, status, CASE WHEN finished_at > 0 THEN finished_at ELSE updated_at END, credential_id`, after, upto, ms(before))
}

// keepClaims records the credentials of runs about to be deleted, or just
// deleted, as still claimed (CredentialClaimed): a run reconciling a lost
// answer later must not adopt one of them as its own.
func keepClaims(ctx context.Context, q querier, credentialIDs []string) error {
	for _, id := range credentialIDs {
		if id == "" {
			continue
		}
		if _, err := q.ExecContext(ctx, `INSERT INTO deleted_run_credentials (credential_id) VALUES (?) ON CONFLICT DO NOTHING`, id); err != nil {
			return fmt.Errorf("keeping the claim on credential %s: %w", id, err)
		}
	}
	return nil
}

// sqlCredited are the statuses of a run that gave its contact a
// credential, or made one (a draft): what recordFreshStart counts as
// "already had a credential from this automation", with pending runs
// (never deleted).
var sqlCredited = sqlList(autocred.RunIssued, autocred.RunSendUnconfirmed, autocred.RunDraft)

// givesCredential tells whether a run in this status gave its contact a
// credential (sqlCredited).
func givesCredential(s autocred.RunStatus) bool {
	return s == autocred.RunIssued || s == autocred.RunSendUnconfirmed || s == autocred.RunDraft
}

// markCredited marks in the ledger (credited_pruned) the contacts of runs
// just deleted that had given them a credential: the run no longer says
// so, and a resume with Start fresh must still count them among those
// who had one (recordFreshStart), not among those who got nothing. The
// ledger row is there: a run is recorded with its contact's entry.
func markCredited(ctx context.Context, q querier, runs []prunedRun) error {
	byAutomation := map[int64][]any{}
	for _, r := range runs {
		if givesCredential(r.status) {
			byAutomation[r.automationID] = append(byAutomation[r.automationID], r.contactID)
		}
	}
	for automationID, contacts := range byAutomation {
		for start := 0; start < len(contacts); start += batch {
			chunk := contacts[start:min(start+batch, len(contacts))]
			if _, err := q.ExecContext(ctx, `UPDATE memberships SET credited_pruned = 1 WHERE automation_id = ? AND credited_pruned = 0 AND contact_id IN (`+
				placeholders(len(chunk))+`)`, append([]any{automationID}, chunk...)...); err != nil {
				return fmt.Errorf("marking in the ledger of automation %d who had a credential from the runs pruned: %w", automationID, err)
			}
		}
	}
	return nil
}

// prunedKey is one row of pruned_runs.
type prunedKey struct {
	automationID int64
	status       autocred.RunStatus
	finishedAt   int64 // the quarter hour, or 0 (see migration 0018)
}

// countPruned adds runs just deleted to pruned_runs: by the quarter hour
// in which each finished while a chart may show it, else in the row of
// its automation and status with finished_at 0.
func (db *DB) countPruned(ctx context.Context, tx *sql.Tx, runs []prunedRun) error {
	charted := ms(db.now().Add(-prunedSlicesKept))
	counts := map[prunedKey]int{}
	for _, r := range runs {
		k := prunedKey{automationID: r.automationID, status: r.status}
		if r.finishedAt >= charted {
			k.finishedAt = r.finishedAt - r.finishedAt%quarterHour
		}
		counts[k]++
	}
	for k, n := range counts {
		if err := addPruned(ctx, db.in(tx), k, n); err != nil {
			return err
		}
	}
	return nil
}

func addPruned(ctx context.Context, q querier, k prunedKey, n int) error {
	_, err := q.ExecContext(ctx, `INSERT INTO pruned_runs (automation_id, status, finished_at, runs) VALUES (?, ?, ?, ?)
		ON CONFLICT (automation_id, status, finished_at) DO UPDATE SET runs = pruned_runs.runs + excluded.runs`,
		k.automationID, k.status, k.finishedAt, n)
	if err != nil {
		return fmt.Errorf("counting the pruned runs of automation %d: %w", k.automationID, err)
	}
	return nil
}

// FoldPrunedCounts folds the quarter-hour counts of pruned runs that no
// chart shows any more into one count per automation and status, so that
// pruned_runs stays small whatever the retention: at most a few thousand
// rows per automation, and those only when the retention is under 35
// days. The totals do not change.
func (db *DB) FoldPrunedCounts(ctx context.Context) error {
	cut := ms(db.now().Add(-prunedSlicesKept))
	return db.tx(ctx, func(tx *sql.Tx) error {
		// WHERE before ON CONFLICT: SQLite needs it to parse an upsert
		// whose rows come from a SELECT (https://sqlite.org/lang_upsert.html).
		_, err := db.in(tx).ExecContext(ctx, `INSERT INTO pruned_runs (automation_id, status, finished_at, runs)
			SELECT automation_id, status, 0, sum(runs) FROM pruned_runs WHERE finished_at > 0 AND finished_at < ?
			GROUP BY automation_id, status
			ON CONFLICT (automation_id, status, finished_at) DO UPDATE SET runs = pruned_runs.runs + excluded.runs`, cut)
		if err != nil {
			return fmt.Errorf("folding the counts of pruned runs: %w", err)
		}
		_, err = db.in(tx).ExecContext(ctx, `DELETE FROM pruned_runs WHERE finished_at > 0 AND finished_at < ?`, cut)
		return err
	})
}

// PrunedRunCounts counts by status the runs pruned from an automation's
// history: RunCounts includes them, and no list shows them any more.
func (db *DB) PrunedRunCounts(ctx context.Context, automationID int64) (map[autocred.RunStatus]int, error) {
	rows, err := db.pool().QueryContext(ctx, `SELECT status, CAST(sum(runs) AS BIGINT) FROM pruned_runs WHERE automation_id = ? GROUP BY status`, automationID)
	if err != nil {
		return nil, fmt.Errorf("counting the pruned runs of automation %d: %w", automationID, err)
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

// deletePrunedCounts deletes an automation's counts of pruned runs, for
// DeleteRunHistory, and says how many runs they counted.
func (db *DB) deletePrunedCounts(ctx context.Context, tx *sql.Tx, automationID int64) (int, error) {
	var n int
	if err := db.in(tx).QueryRowContext(ctx, `SELECT CAST(coalesce(sum(runs), 0) AS BIGINT) FROM pruned_runs WHERE automation_id = ?`, automationID).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting the pruned runs of automation %d: %w", automationID, err)
	}
	if _, err := db.in(tx).ExecContext(ctx, `DELETE FROM pruned_runs WHERE automation_id = ?`, automationID); err != nil {
		return 0, fmt.Errorf("deleting the counts of pruned runs of automation %d: %w", automationID, err)
	}
	return n, nil
}

// RunsRemoved tells whether runs are gone from the lists of runs: pruned
// by the run retention (pruned_runs), or deleted with an automation's
// history. A search for a person that finds nothing then does not mean
// they got nothing (issue 16).
func (db *DB) RunsRemoved(ctx context.Context) (bool, error) {
	var n int
	err := db.pool().QueryRowContext(ctx, `SELECT CASE WHEN EXISTS (SELECT 1 FROM pruned_runs)
		OR EXISTS (SELECT 1 FROM automations WHERE history_deleted_runs > 0) THEN 1 ELSE 0 END`).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("reading whether runs were pruned: %w", err)
	}
	return n == 1, nil
}

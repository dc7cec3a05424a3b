package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/autocred/autocred"
)

// Jobs is what the store needs to enqueue the engine's jobs in the
// transactions it opens itself.
//
// The store owns its transactions (as benbjohnson/wtf's sqlite package
// does): no exported method takes a *sql.Tx, and no caller opens one. But
// rules R1 and R9 rest on a row and the job about it committing together:
// an entry's ledger mark, its run and its issue job; a retried run and its
// job; an activated automation and its first sync. So each such write is
// one store method (RecordEntries, RetryRun, ActivateAutomation, …) that
// opens the transaction, writes the rows, and inserts the jobs in it.
//
// The jobs themselves are the engine's: their kinds, queues and workers
// live there, and the engine imports the store, not the other way round.
// So the engine hands the store, once, River's client (built over
// RiverDriver, so that it inserts in the store's transactions) and the
// jobs the store enqueues, as constructors from the ids the store knows
// only inside the transaction (a new run's id). The other ways were
// worse: a callback taking the *sql.Tx leaves the transaction's shape in
// the engine, and a job maker on every call repeats the same functions
// at a dozen call sites.
type Jobs struct {
	// Queue inserts a job in a transaction: River's client.
	Queue JobQueue
	// Issue is the job that makes the credential of a run; contactReadAt
	// is when the run's contact was read, for the job of a new entry, and
	// zero for any other (a retry, a resume). batch: the run is one of
	// more than BatchRuns enqueued together (an import, a retry of every
	// failed run), whose jobs are taken after those of runs that come
	// alone, so that one account's batch never queues another's single
	// entry behind it.
	Issue func(runID int64, contactReadAt time.Time, batch bool) river.JobArgs
	// Sync is the job that reads one segment of one connection; due is
	// when the periodic sync it makes was due (zero for one asked for: a
	// user's "sync now", an activation, a hint that needs a whole read).
	Sync func(connectionID int64, segmentID string, due time.Time) river.JobArgs
	// Resend is the job that sends again the email of a run whose send is
	// unconfirmed; by is who asked (Resend email to all).
	Resend func(runID int64, by string) river.JobArgs
}

// JobQueue is River's client, as the store uses it.
type JobQueue interface {
	InsertTx(ctx context.Context, tx *sql.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	InsertManyTx(ctx context.Context, tx *sql.Tx, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
}

// SetJobs gives the store the engine's jobs. The engine calls it once, when
// it is built, before any job runs.
func (db *DB) SetJobs(j Jobs) { db.jobs = j }

// errNoJobs: a write that enqueues a job was asked of a store that no
// engine was built on.
var errNoJobs = errors.New("no job queue: the engine is not built on this store")

// BatchRuns is the most runs enqueued together that are not a batch (see
// Jobs.Issue): one chunk of entries.
const BatchRuns = 100

// enqueueIssue enqueues the issue job of a run in tx; batch: see Jobs.Issue.
func (db *DB) enqueueIssue(ctx context.Context, tx *sql.Tx, runID int64, contactReadAt time.Time, batch bool) error {
	if db.jobs.Queue == nil {
		return errNoJobs
	}
	if _, err := db.jobs.Queue.InsertTx(ctx, tx, db.jobs.Issue(runID, contactReadAt, batch), nil); err != nil {
		return fmt.Errorf("enqueueing run %d: %w", runID, err)
	}
	return nil
}

// enqueueIssues enqueues the issue jobs of runs in tx, in one insert: a
// statement per job cost more than the rest of recording an entry. batch:
// see Jobs.Issue.
func (db *DB) enqueueIssues(ctx context.Context, tx *sql.Tx, runIDs []int64, contactReadAt time.Time, batch bool) error {
	if len(runIDs) == 0 {
		return nil
	}
	if db.jobs.Queue == nil {
		return errNoJobs
	}
	params := make([]river.InsertManyParams, len(runIDs))
	for i, id := range runIDs {
		params[i] = river.InsertManyParams{Args: db.jobs.Issue(id, contactReadAt, batch)}
	}
	if _, err := db.jobs.Queue.InsertManyTx(ctx, tx, params); err != nil {
		return fmt.Errorf("enqueueing runs %d to %d: %w", runIDs[0], runIDs[len(runIDs)-1], err)
	}
	return nil
}

// enqueueSync enqueues a sync of one segment in tx; due is when a periodic
// sync was due (zero for one asked for).
func (db *DB) enqueueSync(ctx context.Context, tx *sql.Tx, connectionID int64, segmentID string, due time.Time) error {
	if db.jobs.Queue == nil {
		return errNoJobs
	}
	if _, err := db.jobs.Queue.InsertTx(ctx, tx, db.jobs.Sync(connectionID, segmentID, due), nil); err != nil {
		return fmt.Errorf("enqueueing sync: %w", err)
	}
	return nil
}

// EnqueueSyncs enqueues a sync of each segment, in one transaction: syncs
// asked for (an activation, a user's "sync now", a hint that needs a whole
// read), whatever the schedule says.
func (db *DB) EnqueueSyncs(ctx context.Context, segments ...autocred.Trigger) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		for _, s := range segments {
			if err := db.enqueueSync(ctx, tx, s.ConnectionID, s.SegmentID, time.Time{}); err != nil {
				return err
			}
		}
		return nil
	})
}

// DueSync is a periodic sync of one segment that the schedule found due:
// when it was due (the earliest next-sync time of its automations), and
// the schedule's claim on each of its due automations.
type DueSync struct {
	autocred.Trigger
	Due    time.Time
	Claims []NextSync
}

// NextSync is the schedule's claim on an automation's periodic sync: the
// next-sync time it read (Was), and the one it moves it to (At) when it
// enqueues the sync, which holds until the sync records its own.
type NextSync struct {
	AutomationID int64
	Was, At      time.Time
}

// SyncLease names the lease that a sync of one segment holds while it
// runs (the engine takes it): while it is live, the segment's sync is not
// enqueued again.
func SyncLease(connectionID int64, segmentID string) string {
	return "sync:" + strconv.FormatInt(connectionID, 10) + ":" + segmentID
}

// sqlSyncRunning is true for an automation whose segment's sync holds its
// lease (SyncLease) at the time of the query's one parameter.
const sqlSyncRunning = `EXISTS (SELECT 1 FROM leases
	WHERE leases.key = 'sync:' || automations.trigger_connection_id || ':' || automations.segment_id AND leases.until >= ?)`

// ScheduleSyncs enqueues the periodic syncs the schedule found due, in one
// transaction with its claims. A sync is enqueued only when every claim on
// its automations holds: the automation's next sync is still the time the
// schedule read, and its segment's sync is not running. Otherwise someone
// else has answered it since the schedule read it: another node's schedule
// running at the same moment (it enqueued the sync), or a sync that has
// started or recorded its next time. Enqueueing it again would read the
// segment twice in a row: the second job, created after the first sync
// started, is not answered by it. A sync whose node died is replaced once
// its lease has run out. On PostgreSQL an automation whose row another
// transaction holds is left to the next pass instead of waited for, and
// with it the sync of its segment.
func (db *DB) ScheduleSyncs(ctx context.Context, segments []DueSync) error {
	var claims []NextSync
	for _, s := range segments {
		claims = append(claims, s.Claims...)
	}
	// In the order of the automations, so that two passes' claims meet in
	// the same order.
	slices.SortFunc(claims, func(a, b NextSync) int { return cmp.Compare(a.AutomationID, b.AutomationID) })
	claim := `UPDATE automations SET next_sync_at = ?
		WHERE id = ? AND next_sync_at = ? AND NOT ` + sqlSyncRunning
	if db.postgres {
		// A row another transaction holds is skipped, not waited for: its
		// holder is the automation's own sync (entries, progress, its
		// next time), a hint recording entries, another schedule's claim
		// or an edit, and each of them either answers the claim or is
		// over in a moment, when the next pass (ScheduleEvery) claims it.
		// Waiting, one claim after another in one transaction, took the
		// schedule half a second to a whole one of every second on a
		// saturated server (docs/benchmarks.md, session 10).
		claim = `UPDATE automations SET next_sync_at = ? WHERE id = (SELECT id FROM automations
			WHERE id = ? AND next_sync_at = ? AND NOT ` + sqlSyncRunning + ` FOR NO KEY UPDATE SKIP LOCKED)`
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		lost := map[int64]bool{}
		now := ms(db.now())
		for _, c := range claims {
			res, err := db.in(tx).ExecContext(ctx, claim, ms(c.At), c.AutomationID, ms(c.Was), now)
			if err != nil {
				return fmt.Errorf("claiming the sync of automation %d: %w", c.AutomationID, err)
			}
			if n, err := res.RowsAffected(); err != nil || n == 0 {
				lost[c.AutomationID] = true
			}
		}
		// One insert for every sync of this pass.
		var params []river.InsertManyParams
		for _, s := range segments {
			if slices.ContainsFunc(s.Claims, func(c NextSync) bool { return lost[c.AutomationID] }) {
				continue
			}
			params = append(params, river.InsertManyParams{Args: db.jobs.Sync(s.ConnectionID, s.SegmentID, s.Due)})
		}
		if len(params) == 0 {
			return nil
		}
		if db.jobs.Queue == nil {
			return errNoJobs
		}
		if _, err := db.jobs.Queue.InsertManyTx(ctx, tx, params); err != nil {
			return fmt.Errorf("enqueueing %d syncs: %w", len(params), err)
		}
		return nil
	})
}

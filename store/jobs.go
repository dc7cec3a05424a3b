package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
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

// EnqueueSyncs enqueues a sync of each segment, in one transaction.
func (db *DB) EnqueueSyncs(ctx context.Context, segments ...autocred.Trigger) error {
	due := make([]DueSync, len(segments))
	for i, s := range segments {
		due[i] = DueSync{Trigger: s}
	}
	return db.ScheduleSyncs(ctx, nil, due)
}

// DueSync is a sync of one segment and when it was due: the earliest
// next-sync time of the automations that share it (zero for a sync asked
// for rather than scheduled).
type DueSync struct {
	autocred.Trigger
	Due time.Time
}

// NextSync is when an automation's next periodic sync is due.
type NextSync struct {
	AutomationID int64
	At           time.Time
}

// ScheduleSyncs moves the next sync of automations to the times given and
// enqueues a sync of each segment, in one transaction: the schedule's
// guard against enqueueing a segment again before its sync has run is
// written with the sync it guards.
func (db *DB) ScheduleSyncs(ctx context.Context, next []NextSync, segments []DueSync) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		for _, n := range next {
			if err := db.setNextSync(ctx, tx, n.AutomationID, n.At); err != nil {
				return err
			}
		}
		for _, s := range segments {
			if err := db.enqueueSync(ctx, tx, s.ConnectionID, s.SegmentID, s.Due); err != nil {
				return err
			}
		}
		return nil
	})
}

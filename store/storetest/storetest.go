// Package storetest gives tests what the store does for tests only: runs
// stored as given, in any state and dated in the past, without the entry
// that makes a run in autocred (store.RecordEntries) and without an issue
// job; the query planner's statistics refreshed at once; and passwords
// hashed at a low bcrypt cost. The store keeps these off its public surface
// (store/internal/testfixtures says how).
package storetest

import (
	"context"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/store"
	"github.com/autocred/autocred/store/internal/testfixtures"
)

// InsertRun stores one run as given, in its own transaction, and sets its
// ID. It enqueues no job.
func InsertRun(ctx context.Context, db *store.DB, r *autocred.Run) error {
	return InsertRuns(ctx, db, []*autocred.Run{r})
}

// InsertRuns stores runs as given, in one transaction, and sets their IDs.
// A non-zero CreatedAt is kept, for lists and filters by entry date; a
// non-zero UpdatedAt too, and a final run finished then (the chart of runs
// finished per day). It enqueues no job.
func InsertRuns(ctx context.Context, db *store.DB, runs []*autocred.Run) error {
	return testfixtures.InsertRuns(ctx, db, runs)
}

// Analyze refreshes the query planner's statistics of the runs table, as
// PostgreSQL's autovacuum does on a table in use and SQLite's
// PRAGMA optimize does: for benchmarks that fill the table at once.
func Analyze(ctx context.Context, db *store.DB) error { return testfixtures.Analyze(ctx, db) }

// SetPasswordCost makes new password hashes, and the comparison of an
// unknown email, use bcrypt cost cost instead of bcrypt.DefaultCost: the
// sign-in limit tests make about a hundred comparisons, which at the
// default cost under the race detector took minutes. Call it before the
// store is used.
func SetPasswordCost(db *store.DB, cost int) { testfixtures.SetPasswordCost(db, cost) }

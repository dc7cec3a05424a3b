package store

import (
	"context"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/store/internal/testfixtures"
)

// The store's test fixtures, which tests reach through package storetest
// (store/internal/testfixtures says why this way): runs stored as given,
// the planner's statistics refreshed, passwords hashed cheaply. Nothing in
// autocred calls them.
func init() {
	testfixtures.InsertRuns = func(ctx context.Context, db any, runs []*autocred.Run) error {
		return db.(*DB).insertRunsAsGiven(ctx, runs)
	}
	testfixtures.Analyze = func(ctx context.Context, db any) error { return db.(*DB).analyze(ctx) }
	testfixtures.SetPasswordCost = func(db any, cost int) { db.(*DB).setPasswordCost(cost) }
}

// analyze refreshes the query planner's statistics of the runs table.
func (db *DB) analyze(ctx context.Context) error {
	_, err := db.pool().ExecContext(ctx, `ANALYZE runs`)
	return err
}

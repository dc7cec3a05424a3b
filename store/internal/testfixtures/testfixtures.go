// Package testfixtures carries the store's test fixtures from package
// store to package storetest, the one package that calls them.
//
// Only tests may write a run as given (in any state, dated in the past),
// refresh the planner's statistics at once, or hash passwords cheaply, so
// none of that is on the store's public surface. Yet it needs the store's
// insides (its transactions, its run insert, its bcrypt cost). So package
// store sets these functions when it is initialised, taking its *store.DB
// as db (this package cannot name the type: store imports it), and
// storetest gives them their types back. Being internal to store/, this
// package can be imported by store and the packages under it only.
package testfixtures

import (
	"context"

	"github.com/autocred/autocred"
)

var (
	// InsertRuns stores runs as given, in one transaction, and sets their
	// IDs; a non-zero CreatedAt is kept.
	InsertRuns func(ctx context.Context, db any, runs []*autocred.Run) error
	// Analyze refreshes the query planner's statistics of the runs table.
	Analyze func(ctx context.Context, db any) error
	// SetPasswordCost makes the store hash passwords at bcrypt cost cost.
	SetPasswordCost func(db any, cost int)
)

package store

import (
	"context"
	"sync"
	"testing"
	"time"
)

// A node told to open at most 4 connections to PostgreSQL never holds more,
// however many requests come at once: the sum over every node is what the
// server's max_connections must hold. Too few is refused.
func TestSetMaxConnsCapsTheConnections(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		if err := db.SetMaxConns(MinMaxConns - 1); err == nil {
			t.Errorf("SetMaxConns(%d) accepted", MinMaxConns-1)
		}
		if err := db.SetMaxConns(MinMaxConns); err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				// Each holds its connection a moment, so that the 20
				// would need 20 at once.
				if _, err := db.sql.ExecContext(ctx, sleepQuery(db)); err != nil {
					t.Error(err)
				}
			})
		}
		peak := 0
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		for waiting := true; waiting; {
			select {
			case <-done:
				waiting = false
			case <-time.After(time.Millisecond):
			}
			peak = max(peak, db.sql.Stats().OpenConnections)
		}
		if db.postgres && peak > MinMaxConns {
			t.Errorf("%d connections open at once, want at most %d", peak, MinMaxConns)
		}
	})
}

// sleepQuery holds a connection for 50 ms on PostgreSQL.
func sleepQuery(db *DB) string {
	if db.postgres {
		return `SELECT pg_sleep(0.05)`
	}
	return `SELECT 1`
}

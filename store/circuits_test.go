package store

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/autocred/autocred"
)

// The circuit is one row per connection that every node reads and changes
// under a lock: failures counted at once from many callers all count, and
// when the probe time comes exactly one of many callers gets to probe.
func TestCircuitSharedByCallers(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		a := fixture(t, db)
		conn := a.Action.ConnectionID
		if c, err := db.Circuit(ctx, conn); err != nil || c.Open || c.ConnectionID != conn {
			t.Fatalf("a connection that never failed: %+v, %v", c, err)
		}
		p := autocred.DefaultCircuitPolicy(autocred.CircuitPolicy{Threshold: 8, FirstProbe: time.Hour})
		now := time.Now()

		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				_, err := db.UpdateCircuit(ctx, conn, func(c *autocred.Circuit) bool {
					return p.Record(c, fmt.Sprint("job-", i), autocred.OutcomeDown, "certifier: 500", now)
				})
				if err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		c, err := db.Circuit(ctx, conn)
		if err != nil || !c.Open || c.Failures != 8 || c.Reason != autocred.CircuitOutage || c.Message != "certifier: 500" {
			t.Fatalf("after 8 failures at once: %+v, %v", c, err)
		}
		if open, err := db.OpenCircuits(ctx); err != nil || len(open) != 1 || open[0].ConnectionID != conn {
			t.Fatalf("OpenCircuits = %+v, %v", open, err)
		}

		// The probe time has come for everyone at once.
		later := now.Add(2 * time.Hour)
		var mu sync.Mutex
		var probes []string
		for i := range 10 {
			wg.Go(func() {
				holder := fmt.Sprint("job-", i)
				_, err := db.UpdateCircuit(ctx, conn, func(c *autocred.Circuit) bool {
					ok, _, changed := p.Allow(c, holder, later)
					if ok {
						mu.Lock()
						probes = append(probes, holder)
						mu.Unlock()
					}
					return changed
				})
				if err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if len(probes) != 1 {
			t.Fatalf("%d callers got to probe (%v), want exactly one", len(probes), probes)
		}
		c, _ = db.Circuit(ctx, conn)
		if _, err := db.UpdateCircuit(ctx, conn, func(c *autocred.Circuit) bool {
			return p.Record(c, probes[0], autocred.OutcomeAnswered, "", later)
		}); err != nil {
			t.Fatal(err)
		}
		if c, err := db.Circuit(ctx, conn); err != nil || c.Open || c.Failures != 0 {
			t.Fatalf("after a successful probe: %+v, %v", c, err)
		}

		if n, err := db.WaitingRuns(ctx, conn); err != nil || n != 0 {
			t.Errorf("WaitingRuns = %d, %v", n, err)
		}
	})
}

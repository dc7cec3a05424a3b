package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/engine"
	"github.com/autocred/autocred/internal/testenv"
	"github.com/autocred/autocred/store/storetest"
)

// A node killed with SIGKILL during a pruning pass leaves the "prune"
// lease held for up to leaseTTL (30 s). A node started within that time
// (systemd restarts after 5 s) runs its start-up pass and finds the lease
// held: the pass runs once the dead holder's lease has run out. It used
// to do nothing, and the history waited for the next pass, an hour later,
// with nothing logged.
func TestPruneAfterACrashDoesNotWaitAnHour(t *testing.T) {
	forEachDB(t, func(t *testing.T, kind string) {
		h := newHarness(t, testenv.Options{Database: kind, Engine: func(c *engine.Config) {
			c.RunRetention = 24 * time.Hour // PruneEvery stays 1 h, as in serve
			// The node killed mid-pass: its lease outlives it by a few seconds.
			if ok, err := c.Store.AcquireLease(context.Background(), "prune", "dead-node/1", time.Now().Add(3*time.Second)); err != nil || !ok {
				t.Fatalf("taking the dead node's lease: %v %v", ok, err)
			}
		}})
		ctx := context.Background()
		a := h.automation(h.segment("Done", "Done"), nil)
		old := time.Now().Add(-500 * 24 * time.Hour)
		r := autocred.Run{AutomationID: a.ID, ContactID: 42, Entry: 1, Email: "old@example.com", Status: autocred.RunIssued, CreatedAt: old, UpdatedAt: old}
		if err := storetest.InsertRun(ctx, h.store, &r); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(20 * time.Second)
		for len(h.runs(a.ID)) > 0 {
			if time.Now().After(deadline) {
				t.Fatalf("a run 500 days old is still there 20 s after start, though the dead node's lease ran out after 3 s: pruning waits for the next pass, an hour later")
			}
			time.Sleep(200 * time.Millisecond)
		}
	})
}

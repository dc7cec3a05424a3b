package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/engine"
	"github.com/autocred/autocred/internal/metrics"
	"github.com/autocred/autocred/internal/testenv"
	simac "github.com/autocred/autocred/sim/activecampaign"
)

// With a retention, the engine prunes the runs that finished before it,
// and the contacts they were for stay in the ledger: read again and again,
// the segment gives them nothing more (DESIGN §3: pruning must not forget
// who is in). The automation's counts still include the pruned runs, and a
// contact who leaves and comes back still gets a new credential (R2).
func TestPrunedRunsAreNeverIssuedAgain(t *testing.T) {
	forEachDB(t, func(t *testing.T, kind string) {
		h := newHarness(t, testenv.Options{Database: kind, Engine: func(c *engine.Config) {
			c.RunRetention, c.PruneEvery, c.PruneBatch, c.PrunePause = time.Second, 200*time.Millisecond, 2, time.Millisecond
		}})
		ctx := context.Background()
		ids := h.importContacts(
			simac.ContactInput{Email: "ada@example.com", FirstName: "Ada"},
			simac.ContactInput{Email: "bob@example.com", FirstName: "Bob"},
			simac.ContactInput{Email: "cy@example.com", FirstName: "Cy"},
		)
		a := h.automation(h.segment("Done", "Done"), nil)
		h.tag("Done", ids...)
		h.waitFor("three credentials", func() bool { return len(h.cert.Credentials(testenv.CertWorkspace)) == 3 })
		issued := func() int {
			v, err := h.env.Service.Automation(ctx, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			return v.Runs[autocred.RunIssued]
		}
		h.waitFor("the runs to be pruned", func() bool { return len(h.runs(a.ID)) == 0 })
		if n := issued(); n != 3 {
			t.Errorf("the automation counts %d issued after pruning, want 3", n)
		}

		h.settle(a) // the segment read again, twice, with the three in it
		for _, email := range []string{"ada@example.com", "bob@example.com", "cy@example.com"} {
			if n := h.credentialsFor(email); n != 1 {
				t.Errorf("%s has %d credentials after the run was pruned, want 1", email, n)
			}
		}
		if runs := h.runs(a.ID); len(runs) != 0 {
			t.Errorf("runs after the segment was read again: %v, want none", runs)
		}

		h.untag("Done", ids[1])
		h.settle(a) // Bob has left
		h.tag("Done", ids[1])
		h.waitFor("Bob's second credential", func() bool { return h.credentialsFor("bob@example.com") == 2 })
		h.waitFor("the runs to be pruned", func() bool { return len(h.runs(a.ID)) == 0 })
		h.settle(a)
		if n := issued(); n != 4 {
			t.Errorf("the automation counts %d issued, want 4", n)
		}
		if m, _ := h.store.Membership(ctx, a.ID, autocred.ContactID(ids[1])); !m.InSegment || m.Entries != 2 {
			t.Errorf("Bob in the ledger: %+v, want in, entered twice", m)
		}
		if n := h.credentialsFor("ada@example.com") + h.credentialsFor("cy@example.com"); n != 2 {
			t.Errorf("Ada and Cy have %d credentials, want one each", n)
		}
		if n := counted(t, h.env.Metrics, "autocred_runs_pruned_total"); n != 4 {
			t.Errorf("autocred_runs_pruned_total = %v, want 4", n)
		}
	})
}

// counted reads a counter without labels, or the sum of its labelled ones.
func counted(t *testing.T, m *metrics.Metrics, name string) float64 {
	t.Helper()
	families, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var n float64
	for _, f := range families {
		if f.GetName() == name {
			for _, m := range f.GetMetric() {
				n += m.GetCounter().GetValue()
			}
		}
	}
	return n
}

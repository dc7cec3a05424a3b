package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/autocred/autocred/engine"
	"github.com/autocred/autocred/internal/accounts"
	"github.com/autocred/autocred/internal/testenv"
	simac "github.com/autocred/autocred/sim/activecampaign"
)

// An account whose watched segments take more requests to read at their
// interval than its budget allows is read as often as the budget allows,
// and its automations say so in numbers. Here two segments are due every
// second, a request each, and autocred may send the account one request a
// second (three quarters of it for reading segments): each is read about
// every 3 seconds, and still finds its entries.
func TestSegmentsOverTheBudgetAreReadLessOften(t *testing.T) {
	h := newHarness(t, testenv.Options{PollInterval: time.Second,
		Engine:  func(c *engine.Config) { c.ACPerSecond = 1 },
		Clients: func(c *accounts.Config) { c.ACPerSecond = 1 }})
	ids := h.importContacts(simac.ContactInput{Email: "ada@example.com", FirstName: "Ada", LastName: "Lovelace"})
	a := h.automation(h.segment("Completers", "Completed"), nil)
	h.automation(h.segment("Attendees", "Attended"), nil)
	ctx := context.Background()

	h.waitFor("the notice", func() bool {
		got, _ := h.store.Automation(ctx, a.ID)
		return strings.Contains(got.SyncNotice, "every 3 seconds")
	})
	got, _ := h.store.Automation(ctx, a.ID)
	want := "Reading the 2 segments watched on this ActiveCampaign account every second takes about 120 requests a minute; " +
		"autocred may spend 45 a minute of the account's budget on reading segments"
	if !strings.HasPrefix(got.SyncNotice, want) {
		t.Errorf("notice %q, want it to begin %q", got.SyncNotice, want)
	}
	// Syncs about 3 s apart, not 1 s.
	var starts []time.Time
	for len(starts) < 3 {
		now, _ := h.store.Automation(ctx, a.ID)
		if len(starts) == 0 || now.LastSyncAt.After(starts[len(starts)-1]) {
			starts = append(starts, now.LastSyncAt)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for i := 1; i < len(starts); i++ {
		if gap := starts[i].Sub(starts[i-1]); gap < 2500*time.Millisecond {
			t.Errorf("syncs %s apart, want about 3 s (the interval stretched to the budget)", gap)
		}
	}
	h.tag("Completed", ids[0])
	h.waitFor("the entry's credential", func() bool { return h.credentialsFor("ada@example.com") == 1 })
}

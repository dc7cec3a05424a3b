package engine_test

import (
	"context"
	"testing"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/testenv"
	simac "github.com/autocred/autocred/sim/activecampaign"
)

// A learner who completes while a user has paused the automation gets no
// credential when it is resumed as by default (Start fresh), but is not
// lost: a skipped run, with their name and email, says why; the baseline's
// members get nothing; retrying the run issues one credential.
func TestStartFreshLeavesWhoEnteredWhilePausedARunToRetry(t *testing.T) {
	forEachDB(t, func(t *testing.T, kind string) {
		h := newHarness(t, testenv.Options{Database: kind})
		ctx := context.Background()
		ids := h.importContacts(
			simac.ContactInput{Email: "old@example.com", FirstName: "Old", Tags: []string{"Done"}},
			simac.ContactInput{Email: "zoe@example.com", FirstName: "Zoë", LastName: "Kim"},
		)
		a := h.automation(h.segment("Done", "Done"), nil)
		if err := h.env.Service.Pause(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		h.tag("Done", ids[1])
		if err := h.env.Service.Resume(ctx, a.ID, nil, false); err != nil { // a user's pause: Start fresh
			t.Fatal(err)
		}
		h.waitFor("the new baseline", func() bool {
			got, _ := h.store.Automation(ctx, a.ID)
			return got.Status == autocred.AutomationActive
		})
		h.settle(a)
		skipped := h.runs(a.ID)[autocred.RunSkipped]
		if len(skipped) != 1 || skipped[0].Email != "zoe@example.com" || skipped[0].Name() != "Zoë Kim" ||
			skipped[0].ErrorCode != autocred.RunCodeEnteredWhilePaused {
			t.Fatalf("skipped runs = %+v, want Zoë's, entered while paused", skipped)
		}
		if got, _ := h.env.Service.Automation(ctx, a.ID); got.PausedEntrants != 1 || got.Baseline.Total != 1 {
			t.Errorf("automation counts %d entered while paused and a baseline of %d, want 1 and 1", got.PausedEntrants, got.Baseline.Total)
		}
		if n := h.credentialsFor("zoe@example.com") + h.credentialsFor("old@example.com"); n != 0 {
			t.Fatalf("%d credentials issued by Start fresh, want none", n)
		}

		if _, err := h.env.Service.RetryRun(ctx, skipped[0].ID, "ops@example.com"); err != nil {
			t.Fatal(err)
		}
		h.waitFor("Zoë's credential", func() bool { return len(h.runs(a.ID)[autocred.RunIssued]) == 1 })
		h.settle(a)
		if n := h.credentialsFor("zoe@example.com"); n != 1 {
			t.Errorf("Zoë has %d credentials after the retry, want 1", n)
		}
		if n := len(h.runs(a.ID)[autocred.RunSkipped]); n != 0 {
			t.Errorf("%d skipped runs left", n)
		}
		// Retried and issued, Zoë is no longer one to retry: the count
		// says what is left.
		if got, _ := h.env.Service.Automation(ctx, a.ID); got.PausedEntrants != 0 {
			t.Errorf("the automation still counts %d entered while stopped with nothing, after the only one was retried and issued", got.PausedEntrants)
		}
	})
}

package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/testenv"
	simac "github.com/autocred/autocred/sim/activecampaign"
	"github.com/autocred/autocred/sim/traffic"
	"github.com/autocred/autocred/store/storetest"
)

// A run whose job is due or under way is tried now, and NextAttempts says
// so. A tester saw 34 runs still say "Certifier is not answering: this run
// waits without calling it", with no time, after the outage had ended:
// their jobs were due (waiting for a free worker) or running, and only
// jobs scheduled for later had a time. A waiting message must say when the
// next attempt is.
func TestNextAttemptOfARunBeingTriedIsNow(t *testing.T) {
	h := newHarness(t, testenv.Options{})
	ctx := context.Background()
	ids := h.importContacts(simac.ContactInput{Email: "ana@example.com", FirstName: "Ana", LastName: "Lima"})
	a := h.automation(h.segment("Done", "Done"), nil)
	cid := autocred.ContactID(ids[0])
	run := autocred.Run{AutomationID: a.ID, ContactID: cid, Entry: 1, Email: "ana@example.com", LastError: "Certifier is not answering: this run waits without calling it.",
		ErrorCode: autocred.RunCodeWaitingOutage, Contact: autocred.Contact{ID: cid, Email: "ana@example.com", FirstName: "Ana", LastName: "Lima"}}
	if err := storetest.InsertRun(ctx, h.store, &run); err != nil {
		t.Fatal(err)
	}
	// Certifier is slow to answer: the job stays under way a while.
	if err := h.cert.Gate().SetRules([]traffic.Rule{{Endpoint: "*", Latency: traffic.Duration(4 * time.Second)}}); err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	if err := h.engine.EnqueueIssue(ctx, run.ID, 1); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the run's job to be under way", func() bool {
		jobs, err := h.engine.Jobs(ctx, "issue", rivertype.JobStateRunning)
		return err == nil && len(jobs) == 1
	})
	next, err := h.engine.NextAttempts(ctx, []int64{run.ID})
	if err != nil {
		t.Fatal(err)
	}
	at, ok := next[run.ID]
	if !ok || at.Before(before) || at.After(time.Now()) {
		t.Errorf("next attempt of a run being tried: %v (known: %t); want now", at, ok)
	}
}

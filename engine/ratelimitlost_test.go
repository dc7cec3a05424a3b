package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/engine"
	"github.com/autocred/autocred/internal/testenv"
	simac "github.com/autocred/autocred/sim/activecampaign"
	"github.com/autocred/autocred/sim/traffic"
	"github.com/autocred/autocred/store/storetest"
)

// Certifier answers every call 429, without Retry-After (as it documents),
// for longer than an issue job may wait. A tester saw such runs say
// "Certifier's answer to attempt 1 was lost (context deadline exceeded):
// the credential may have been created", with no time for the next
// attempt: the client's in-place backoff outlived the job's context, and
// the cut wait read as a lost answer. A 429 made nothing: the run must say
// that Certifier asked autocred to slow down, count no attempt, keep no
// create to reconcile, and snooze its job (which gives the page its next
// attempt's time).
func TestRateLimitOutlivingTheJobIsNotALostAnswer(t *testing.T) {
	h := newHarness(t, testenv.Options{})
	ids := h.importContacts(simac.ContactInput{Email: "ana@example.com", FirstName: "Ana", LastName: "Lima"})
	a := h.automation(h.segment("Done", "Done"), nil)
	cid := autocred.ContactID(ids[0])
	run := autocred.Run{AutomationID: a.ID, ContactID: cid, Entry: 1, Email: "ana@example.com",
		Contact: autocred.Contact{ID: cid, Email: "ana@example.com", FirstName: "Ana", LastName: "Lima"}}
	if err := storetest.InsertRun(context.Background(), h.store, &run); err != nil {
		t.Fatal(err)
	}
	if err := h.cert.Gate().SetRules([]traffic.Rule{{Endpoint: "*", RateLimitRate: 1}}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(engine.WithCallHolder(context.Background(), "job-1"), 3*time.Second)
	defer cancel()
	err := h.engine.Issue(ctx, &run, a, false, false)
	var snooze *river.JobSnoozeError
	if !errors.As(err, &snooze) {
		r, _ := h.store.Run(context.Background(), run.ID)
		t.Fatalf("Issue = %v (run %s: %q); want the job snoozed until Certifier lets requests through", err, r.Status, r.LastError)
	}
	got, err := h.store.Run(context.Background(), run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got.LastError, "Certifier asked autocred to slow down") || got.Attempts != 0 || got.Step != autocred.StepNone ||
		got.ErrorCode != autocred.RunCodeRetrying {
		t.Errorf("run says %q (code %q), %d attempts, step %q; want a rate limit, no attempt, nothing to reconcile",
			got.LastError, got.ErrorCode, got.Attempts, got.Step)
	}
	events, err := h.store.RunEvents(context.Background(), run.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range events {
		if strings.Contains(ev.Message, "may have been created") || strings.Contains(ev.Message, "was lost") {
			t.Errorf("the log says %q after 429s only", ev.Message)
		}
	}
}

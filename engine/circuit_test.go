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
	"github.com/autocred/autocred/store/storetest"
)

// A call the open circuit refuses is not made, is no attempt and changes
// nothing the run knows: a run whose create had an unknown outcome still
// has to reconcile it, a fresh run has made no attempt. Its job is
// snoozed until the probe time, and the run's log says why once, however
// often it wakes.
func TestOpenCircuitIsNoAttempt(t *testing.T) {
	p := autocred.CircuitPolicy{Threshold: 2, FirstProbe: time.Hour}
	h := newHarness(t, testenv.Options{Engine: func(cfg *engine.Config) {
		cfg.Circuits = engine.NewCircuits(cfg.Store, p, nil, nil)
	}})
	a := h.automation(h.segment("Done", "Done"), nil)
	ctx := engine.WithCallHolder(context.Background(), "job-1")
	for range p.Threshold {
		if _, err := h.store.UpdateCircuit(ctx, h.crtConn, func(c *autocred.Circuit) bool {
			return p.Record(c, "other", autocred.OutcomeDown, "certifier POST /credentials/create-issue-send: 500", time.Now())
		}); err != nil {
			t.Fatal(err)
		}
	}
	started := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	unknown := autocred.Run{AutomationID: a.ID, ContactID: 1, Entry: 1, Email: "ana@example.com", Attempts: 3,
		Step: autocred.StepCreate, StepStartedAt: started, Contact: autocred.Contact{ID: 1, Email: "ana@example.com", FirstName: "Ana"}}
	fresh := autocred.Run{AutomationID: a.ID, ContactID: 2, Entry: 1, Email: "bo@example.com",
		Contact: autocred.Contact{ID: 2, Email: "bo@example.com", FirstName: "Bo"}}
	for _, r := range []*autocred.Run{&unknown, &fresh} {
		if err := storetest.InsertRun(ctx, h.store, r); err != nil {
			t.Fatal(err)
		}
	}
	// storetest.InsertRun writes only what a new run has.
	unknown.Status = autocred.RunPending
	if err := h.store.SaveRun(ctx, &unknown); err != nil {
		t.Fatal(err)
	}

	before := h.cert.Gate().Stats().Requests
	for _, want := range []autocred.Run{unknown, fresh} {
		for range 3 { // the job wakes three times while it is open
			run, err := h.store.Run(ctx, want.ID)
			if err != nil {
				t.Fatal(err)
			}
			err = h.engine.Issue(ctx, &run, a, true, false) // the run's contact was read at entry
			var snooze *river.JobSnoozeError
			if !errors.As(err, &snooze) || snooze.Duration < 50*time.Minute {
				t.Fatalf("run %d: issue = %v, want a snooze until the probe, an hour away", want.ID, err)
			}
		}
		got, _ := h.store.Run(ctx, want.ID)
		if got.ErrorCode != autocred.RunCodeWaitingOutage {
			t.Errorf("run %d waits with code %q, want %q", want.ID, got.ErrorCode, autocred.RunCodeWaitingOutage)
		}
		if got.Status != autocred.RunPending || got.Step != want.Step || !got.StepStartedAt.Equal(want.StepStartedAt) || got.Attempts != want.Attempts {
			t.Errorf("run %d after waiting: %s, step %q since %v, %d attempts; want it as it was: step %q since %v, %d attempts",
				want.ID, got.Status, got.Step, got.StepStartedAt, got.Attempts, want.Step, want.StepStartedAt, want.Attempts)
		}
		events, _ := h.store.RunEvents(ctx, want.ID)
		// One line, counting the three wake-ups, however often it wakes.
		if len(events) != 1 || !strings.HasPrefix(events[0].Message, "Waiting: Certifier is not answering, "+engine.CircuitNote+", 3 times between ") {
			t.Errorf("run %d's log: %+v; want one line saying it waited for Certifier, 3 times", want.ID, events)
		}
		if got.LastError != "Certifier is not answering: this run waits without calling it." {
			t.Errorf("run %d says %q, want a few words (the automation's page says the rest once)", want.ID, got.LastError)
		}
	}
	if n := h.cert.Gate().Stats().Requests - before; n != 0 {
		t.Errorf("%d requests reached Certifier while its circuit was open", n)
	}
}

package engine_test

import (
	"context"
	"errors"
	"fmt"
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

// A run that waits through a Certifier outage reads nothing from
// ActiveCampaign while Certifier's circuit is open, and its log keeps one
// counted line for the wait however often its job wakes (a tester saw a
// 13-minute outage leave 26 alternating lines on one run: "Custom field …
// read for this contact." and the wait, each wake-up a contact read).
func TestOutageWaitReadsNoContact(t *testing.T) {
	p := autocred.CircuitPolicy{Threshold: 2, FirstProbe: time.Hour}
	h := newHarness(t, testenv.Options{Engine: func(cfg *engine.Config) {
		cfg.Circuits = engine.NewCircuits(cfg.Store, p, nil, nil)
	}})
	ids := h.importContacts(simac.ContactInput{Email: "ana@example.com", FirstName: "Ana", LastName: "Lima",
		Fields: map[string]string{"COURSE_NAME": "First Aid"}})
	a := h.automation(h.segment("Done", "Done"), func(a *autocred.Automation) {
		a.Action.CustomAttributes = map[string]string{"custom.course_name": "{{contact.fields.COURSE_NAME}}"}
	})
	cid := autocred.ContactID(ids[0])
	run := autocred.Run{AutomationID: a.ID, ContactID: cid, Entry: 1, Email: "ana@example.com",
		Contact: autocred.Contact{ID: cid, Email: "ana@example.com", FirstName: "Ana", LastName: "Lima"}}
	if err := storetest.InsertRun(context.Background(), h.store, &run); err != nil {
		t.Fatal(err)
	}
	if err := h.cert.Gate().SetRules([]traffic.Rule{{Endpoint: "*", ErrorRate: 1, ErrorStatus: 503}}); err != nil {
		t.Fatal(err)
	}
	ctx := engine.WithCallHolder(context.Background(), "job-1")
	const wakes = 12
	var readsAtOpen int64
	linesAtOpen, opened := 0, 0
	for i := range wakes {
		r, err := h.store.Run(ctx, run.ID)
		if err != nil {
			t.Fatal(err)
		}
		err = h.engine.Issue(ctx, &r, a, false, false)
		if err == nil {
			t.Fatalf("wake-up %d: issued during the outage", i+1)
		}
		var snooze *river.JobSnoozeError
		if errors.As(err, &snooze) && opened == 0 {
			// The circuit has opened (after Threshold failed calls):
			// from here on nothing is read, and the log does not grow.
			opened = i + 1
			readsAtOpen = contactReads(h)
			events, _ := h.store.RunEvents(ctx, run.ID)
			linesAtOpen = len(events)
		}
	}
	if opened == 0 {
		t.Fatal("the circuit never opened")
	}
	if n := contactReads(h) - readsAtOpen; n != 0 {
		t.Errorf("%d requests to ActiveCampaign while Certifier's circuit was open, want none", n)
	}
	events, err := h.store.RunEvents(ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, ev := range events {
		lines = append(lines, ev.Message)
	}
	last := lines[len(lines)-1]
	want := fmt.Sprintf("Waiting: Certifier is not answering, %s, %d times between ", engine.CircuitNote, wakes-opened+1)
	if len(lines) != linesAtOpen || !strings.HasPrefix(last, want) {
		t.Errorf("after %d wake-ups with the circuit open the run's log has %d lines (%d when it opened), ending %q; want no new line, the last counting the wake-ups (%q…):\n%s",
			wakes-opened+1, len(lines), linesAtOpen, last, want, strings.Join(lines, "\n"))
	}
	// Each attempt that called Certifier read the field once, said once:
	// the wait after it is counted on one line all the same.
	for i, l := range lines {
		if i > 0 && l == lines[i-1] {
			t.Errorf("line %d repeats the one before: %q", i+1, l)
		}
	}
}

// contactReads counts the requests to ActiveCampaign that read a contact
// or its field values (the engine's background syncs read the segment).
func contactReads(h *harness) int64 {
	var n int64
	for endpoint, count := range h.ac.Gate().Stats().ByEndpoint {
		if strings.HasPrefix(endpoint, "GET /api/3/contacts") {
			n += count
		}
	}
	return n
}

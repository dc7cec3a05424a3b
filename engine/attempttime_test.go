package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/engine"
	"github.com/autocred/autocred/internal/testenv"
	simac "github.com/autocred/autocred/sim/activecampaign"
	"github.com/autocred/autocred/sim/traffic"
	"github.com/autocred/autocred/store/storetest"
)

// The log's "Attempt N: asked Certifier to …" line carries the time the
// attempt was sent, the time every later line that names the attempt gives
// ("attempt 2 (02:25:46Z)"), not the time its answer came: a tester saw
// the two differ by the answer's delay and could not tell them for one.
func TestAttemptLineCarriesTheTimeItWasSent(t *testing.T) {
	const latency = 2 * time.Second
	h := newHarness(t, testenv.Options{})
	ids := h.importContacts(simac.ContactInput{Email: "ana@example.com", FirstName: "Ana", LastName: "Lima"})
	a := h.automation(h.segment("Done", "Done"), nil)
	cid := autocred.ContactID(ids[0])
	run := autocred.Run{AutomationID: a.ID, ContactID: cid, Entry: 1, Email: "ana@example.com",
		Contact: autocred.Contact{ID: cid, Email: "ana@example.com", FirstName: "Ana", LastName: "Lima"}}
	if err := storetest.InsertRun(context.Background(), h.store, &run); err != nil {
		t.Fatal(err)
	}
	if err := h.cert.Gate().SetRules([]traffic.Rule{{Endpoint: "*", Latency: traffic.Duration(latency)}}); err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	if err := h.engine.Issue(engine.WithCallHolder(context.Background(), "job-1"), &run, a, false, false); err != nil {
		t.Fatalf("Issue: %v", err)
	}
	events, err := h.store.RunEvents(context.Background(), run.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range autocredDescribe(events) {
		if ev.Sent == nil {
			continue
		}
		if d := ev.At.Sub(before); d < 0 || d >= latency {
			t.Errorf("%q is stamped %s after the attempt began; want the time it was sent (less than the answer's %s delay)", ev.Message, d, latency)
		}
		return
	}
	t.Fatalf("no attempt line in the log: %v", events)
}

func autocredDescribe(events []autocred.RunEvent) []autocred.RunEvent {
	out, _ := autocred.DescribeEvents(events)
	return out
}

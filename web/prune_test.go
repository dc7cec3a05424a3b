package web

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/store/storetest"
)

// After the run retention has pruned runs, the automation's page counts
// them still, says why the list below has fewer, and offers to retry only
// the failed runs that are still there.
func TestPrunedRunsAreCountedAndExplained(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	f := u.fixture() // one failed run
	u.addRuns(f.automation, autocred.RunIssued, autocred.RunIssued, autocred.RunFailed)
	ctx := context.Background()
	if step, err := u.env.Store.PruneRuns(ctx, time.Now().Add(time.Minute), 0, 500); err != nil || step.Pruned != 4 {
		t.Fatalf("pruning: %+v %v, want 4 runs pruned", step, err)
	}
	run := autocred.Run{AutomationID: f.automation, ContactID: 99, Entry: 1, Email: "bo@example.com", Status: autocred.RunFailed, LastError: "Certifier refused it."}
	if err := storetest.InsertRun(ctx, u.env.Store, &run); err != nil {
		t.Fatal(err)
	}

	body := u.do("GET", "/automations/"+itoa(f.automation), nil).body
	for _, want := range []string{
		"<dt>Issued</dt><dd>2</dd>", `<dt>Failed</dt><dd class="bad">3</dd>`,
		"These counts include 4 older runs that the run retention removed from the list below",
		"Retry all 1 failed", `href="/runs/` + itoa(run.ID) + `"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the automation page does not say %q", want)
		}
	}
	if strings.Contains(body, `href="/runs/`+itoa(f.run)+`"`) {
		t.Error("the automation page lists a pruned run")
	}
}

// A search for a person whose runs the run retention pruned finds nothing,
// on the automation's page and across automations; it must not read as
// "this person got nothing", or a user may issue them a second credential
// by hand (issue 16): the empty answer says runs were removed. Before
// anything was pruned, it does not.
func TestSearchAfterPruningSaysRunsWereRemoved(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	f := u.fixture() // Ada's failed run, contact 1
	const note = "Runs removed by the run retention or with a deleted history are not searched: check Certifier before issuing a credential by hand."
	paths := []string{"/runs?q=ada%40example.com", "/automations/" + itoa(f.automation) + "?q=ada%40example.com"}
	for _, path := range paths {
		if body := u.do("GET", strings.Replace(path, "ada", "bob", 1), nil).body; strings.Contains(body, note) {
			t.Errorf("%s before pruning says runs were removed", path)
		}
	}
	if step, err := u.env.Store.PruneRuns(context.Background(), time.Now().Add(time.Minute), 0, 500); err != nil || step.Pruned != 1 {
		t.Fatalf("pruning: %+v %v, want 1 run pruned", step, err)
	}
	for _, path := range paths {
		body := u.do("GET", path, nil).body
		if !strings.Contains(body, "matches this filter") || !strings.Contains(body, note) {
			t.Errorf("%s after pruning Ada's run does not say that removed runs are not searched", path)
		}
	}
	// A search that finds a run still kept says it too: Ada's other runs,
	// in this automation or another, may be among those removed.
	run := autocred.Run{AutomationID: f.automation, ContactID: 1, Entry: 2, Email: "ada@example.com", Status: autocred.RunFailed, LastError: "Certifier refused it."}
	if err := storetest.InsertRun(context.Background(), u.env.Store, &run); err != nil {
		t.Fatal(err)
	}
	for _, path := range paths {
		body := u.do("GET", path, nil).body
		if !strings.Contains(body, "1 run matches the filter") || !strings.Contains(body, note) {
			t.Errorf("%s finds a kept run of Ada's after pruning another, and does not say that removed runs are not searched", path)
		}
	}
}

package api

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/testenv"
	"github.com/autocred/autocred/sim/traffic"
)

// sentTo counts the emails the Certifier sandbox sent to an address.
func (a *apiTest) sentTo(email string) int {
	n := 0
	for _, e := range a.env.Certifier.Outbox(testenv.CertWorkspace) {
		if strings.EqualFold(e.To, email) {
			n++
		}
	}
	return n
}

func hasEvent(run runJSON, text string) bool {
	for _, e := range run.Events {
		if strings.Contains(e.Message, text) {
			return true
		}
	}
	return false
}

// Resending a credential's email is a deliberate, recorded action: it
// sends once, the run's log says who asked, and a second request (one
// after the other, or two at once) sends nothing more. A run without an
// issued credential is refused with a message that says why.
func TestResendEmail(t *testing.T) {
	t.Parallel()
	a := newAPITest(t)
	f := a.fixture()
	auto := a.createAutomation(f.automation())
	path := fmt.Sprintf("/api/v1/automations/%d", auto.ID)
	a.call("POST", path+"/activate", nil).ok(t, http.StatusAccepted, nil)
	a.waitStatus(auto.ID, "active")
	a.enter("ivy@example.com", "jay@example.com", "kim@nowhere")
	a.waitRuns(auto.ID, "issued", 2)
	a.waitRuns(auto.ID, "skipped", 1)
	ivy := a.runs(auto.ID, "contact=ivy").Runs[0]
	if n := a.sentTo("ivy@example.com"); n != 1 {
		t.Fatalf("%d emails to ivy before the resend, want 1", n)
	}

	t.Run("sends once and records who asked", func(t *testing.T) {
		var run runJSON
		a.call("POST", fmt.Sprintf("/api/v1/runs/%d/resend", ivy.ID), nil).ok(t, http.StatusOK, &run)
		if n := a.sentTo("ivy@example.com"); n != 2 {
			t.Errorf("%d emails to ivy after one resend, want 2", n)
		}
		if !hasEvent(run, `Email resent by API token "tests" to ivy@example.com.`) {
			t.Errorf("the log does not say who resent it: %+v", run.Events)
		}
		if run.Status != "issued" {
			t.Errorf("status %q after a resend", run.Status)
		}
		// A resend is a recorded change to the run: updated_at says when.
		if last := run.Events[len(run.Events)-1]; run.UpdatedAt.Before(last.At) || !run.UpdatedAt.After(ivy.UpdatedAt) {
			t.Errorf("updated_at %s after a resend at %s (before it: %s): want the resend's time", run.UpdatedAt, last.At, ivy.UpdatedAt)
		}
	})

	t.Run("a second request is refused", func(t *testing.T) {
		e := a.call("POST", fmt.Sprintf("/api/v1/runs/%d/resend", ivy.ID), nil).fails(t, http.StatusConflict, autocred.ECONFLICT, "")
		if !strings.Contains(e.Message, "The email was resent") || !strings.Contains(e.Message, `API token "tests"`) {
			t.Errorf("message %q does not say it was just resent, and by whom", e.Message)
		}
		if n := a.sentTo("ivy@example.com"); n != 2 {
			t.Errorf("%d emails to ivy after a refused resend, want 2", n)
		}
	})

	t.Run("two requests at once send one email", func(t *testing.T) {
		jay := a.runs(auto.ID, "contact=jay").Runs[0]
		statuses := make([]int, 2)
		var wg sync.WaitGroup
		for i := range statuses {
			wg.Go(func() {
				statuses[i] = a.call("POST", fmt.Sprintf("/api/v1/runs/%d/resend", jay.ID), nil).status
			})
		}
		wg.Wait()
		if n := a.sentTo("jay@example.com"); n != 2 {
			t.Errorf("%d emails to jay after two resends at once, want 2 (the first, and one resend)", n)
		}
		ok, refused := 0, 0
		for _, s := range statuses {
			switch s {
			case http.StatusOK:
				ok++
			case http.StatusConflict:
				refused++
			}
		}
		if ok != 1 || refused != 1 {
			t.Errorf("statuses %v, want one 200 and one 409", statuses)
		}
	})

	t.Run("a run without a credential is refused", func(t *testing.T) {
		kim := a.runs(auto.ID, "status=skipped").Runs[0]
		e := a.call("POST", fmt.Sprintf("/api/v1/runs/%d/resend", kim.ID), nil).fails(t, http.StatusConflict, autocred.ECONFLICT, "")
		if !strings.Contains(e.Message, "no issued credential") || !strings.Contains(e.Message, "skipped") {
			t.Errorf("message %q does not say why", e.Message)
		}
		a.call("POST", "/api/v1/runs/999/resend", nil).fails(t, http.StatusNotFound, autocred.ENOTFOUND, "")
	})
}

// Resend email to all sends again, once each, the email of every run whose
// send is unconfirmed, recording who asked in each run's log; a run whose
// own resend may have gone out (its answer was lost) has the code
// resend_unconfirmed, is left out and counted apart in the answer
// (left_out), so that what is queued is what is sent; issued runs are not
// touched.
func TestResendUnconfirmed(t *testing.T) {
	t.Parallel()
	a := newAPITest(t)
	f := a.fixture()
	auto := a.createAutomation(f.automation())
	path := fmt.Sprintf("/api/v1/automations/%d", auto.ID)
	a.call("POST", path+"/activate", nil).ok(t, http.StatusAccepted, nil)
	a.waitStatus(auto.ID, "active")
	gate := a.env.Certifier.Gate()
	a.enter("ida@example.com")
	a.waitRuns(auto.ID, "issued", 1)
	// Certifier makes and emails each credential, and its answer is lost.
	if err := gate.SetRules([]traffic.Rule{{Endpoint: "POST /v1/credentials/create-issue-send", DropAfterRate: 1}}); err != nil {
		t.Fatal(err)
	}
	a.enter("amy@example.com", "ben@example.com", "cal@example.com")
	a.waitRuns(auto.ID, "send_unconfirmed", 3)
	// Cal's email is resent on its own, and that answer is lost too: it
	// may have gone out, so the window stands and the run stays
	// unconfirmed.
	if err := gate.SetRules([]traffic.Rule{{Endpoint: "POST /v1/credentials/{id}/send", DropAfterRate: 1}}); err != nil {
		t.Fatal(err)
	}
	cal := a.runs(auto.ID, "contact=cal").Runs[0]
	a.call("POST", fmt.Sprintf("/api/v1/runs/%d/resend", cal.ID), nil).fails(t, http.StatusBadGateway, autocred.EUPSTREAM, "")
	if err := gate.SetRules(nil); err != nil {
		t.Fatal(err)
	}
	for _, e := range []string{"ida@example.com", "amy@example.com", "ben@example.com"} {
		if n := a.sentTo(e); n != 1 {
			t.Fatalf("%d emails to %s before Resend email to all, want 1", n, e)
		}
	}

	if c := a.runs(auto.ID, "contact=cal").Runs[0]; c.ErrorCode != "resend_unconfirmed" {
		t.Errorf("cal's run, whose resend got no answer, has code %q, want resend_unconfirmed", c.ErrorCode)
	}

	// Cal is left out, and the answer says so: what it queues is what it
	// sends (a tester was told 20 and 0 went out).
	var queued struct {
		Queued  int  `json:"queued"`
		LeftOut *int `json:"left_out"`
	}
	a.call("POST", path+"/resend-unconfirmed", nil).ok(t, http.StatusAccepted, &queued)
	if queued.Queued != 2 || queued.LeftOut == nil || *queued.LeftOut != 1 {
		t.Errorf("queued %d resends, left out %v; want 2 (amy, ben) and 1 (cal)", queued.Queued, queued.LeftOut)
	}
	a.waitRuns(auto.ID, "issued", 3)
	for email, want := range map[string]int{"ida@example.com": 1, "amy@example.com": 2, "ben@example.com": 2, "cal@example.com": 2} {
		if n := a.sentTo(email); n != want {
			t.Errorf("%d emails to %s, want %d", n, email, want)
		}
	}
	var amy runJSON
	a.call("GET", fmt.Sprintf("/api/v1/runs/%d", a.runs(auto.ID, "contact=amy").Runs[0].ID), nil).ok(t, http.StatusOK, &amy)
	if amy.Status != "issued" || !hasEvent(amy, `Email resent by API token "tests" (Resend email to all) to amy@example.com.`) {
		t.Errorf("amy's run is %s; its log does not say who resent it: %+v", amy.Status, amy.Events)
	}
	if c := a.runs(auto.ID, "contact=cal").Runs[0]; c.Status != "send_unconfirmed" {
		t.Errorf("cal's run is %s, want still send_unconfirmed", c.Status)
	}
	a.call("POST", "/api/v1/automations/999/resend-unconfirmed", nil).fails(t, http.StatusNotFound, autocred.ENOTFOUND, "")
}

package web

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/autocred/autocred"
	simac "github.com/autocred/autocred/sim/activecampaign"
)

// follow reads the page a form's redirect leads to, as a browser would.
func (u *uiTest) follow(p page) page {
	u.t.Helper()
	if p.status != http.StatusSeeOther || p.location == "" {
		u.t.Fatalf("the form answered %d (location %q), want a redirect (303) to a page:\n%.1500s", p.status, p.location, p.body)
	}
	return u.do("GET", p.location, nil)
}

// Every form answers with a redirect, a refusal too (Post/Redirect/Get):
// a refused resend returns to the run's page, which says why once; a
// reload of that page is a GET, which sends no email and no longer shows
// the refusal; nothing ever reloads a POST.
func TestRefusedResendIsRedirected(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	f := u.fixture()
	u.activate(f)
	run := u.enterRun(f, simac.ContactInput{Email: "lin@example.com", FirstName: "Lin"}, autocred.RunIssued)
	runPath := "/runs/" + itoa(run.ID)
	emails := func() int { return len(u.env.Certifier.Outbox("acme")) }
	before := emails()
	u.follow(u.do("POST", runPath+"/resend", nil))
	refused := u.do("POST", runPath+"/resend", nil)
	if refused.status != http.StatusSeeOther || refused.location != runPath {
		t.Fatalf("a refused resend answers %d (location %q), want a redirect to the run's page", refused.status, refused.location)
	}
	p := u.follow(refused)
	if !strings.Contains(html.UnescapeString(p.body), "The email was resent less than a minute ago") {
		t.Errorf("the run's page does not say why the resend was refused:\n%s", p.body)
	}
	reload := u.do("GET", refused.location, nil)
	if strings.Contains(reload.body, "The email was resent less than a minute ago") {
		t.Errorf("a reload shows the refusal again")
	}
	if n := emails() - before; n != 1 {
		t.Errorf("%d emails sent by a resend, a refused one and a reload, want 1", n)
	}

	// Activating an active automation, refused: back to its page, once.
	auto := "/automations/" + itoa(f.automation)
	refused = u.do("POST", auto+"/activate", url.Values{})
	if refused.status != http.StatusSeeOther || refused.location != auto {
		t.Fatalf("a refused Activate answers %d (location %q), want a redirect to the automation", refused.status, refused.location)
	}
	top := `<p class="alert" role="alert">`
	if p := u.follow(refused); !strings.Contains(p.body, top) {
		t.Errorf("the automation's page does not say why Activate was refused:\n%s", p.body)
	}
	if p := u.do("GET", auto, nil); strings.Contains(p.body, top) {
		t.Errorf("a reload shows the refusal again")
	}
}

// Retry pressed twice on a run (a double click, two tabs) queues it once
// and says "Retry queued." both times, the second finding the run the
// first queued; from a filtered list it returns to that list, filtered.
func TestRetryTwiceIsRetryQueued(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	f := u.fixture()
	auto := "/automations/" + itoa(f.automation)
	want := auto + "?done=retried&status=failed"
	form := url.Values{"back": {"automation"}, "back_query": {"status=failed"}}
	for i := range 2 {
		p := u.do("POST", "/runs/"+itoa(f.run)+"/retry", form)
		if p.status != http.StatusSeeOther || withoutAt(p.location) != want {
			t.Fatalf("retry %d answers %d (location %q), want a redirect to %s:\n%.1500s", i+1, p.status, p.location, want, p.body)
		}
		if page := u.follow(p); !strings.Contains(page.body, "Retry queued.") || strings.Contains(page.body, "can be retried") {
			t.Errorf("retry %d does not say Retry queued., or says the run cannot be retried", i+1)
		}
	}
	r, err := u.env.Service.Run(context.Background(), f.run)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range r.Events {
		if strings.HasPrefix(e.Message, "Retry requested by") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("two Retries of one run logged %d retries, want 1", n)
	}
}

// A refusal is shown by the page it belongs to only: another page opened
// before it does not show it, nor take it away.
func TestRefusalShownOnItsPageOnly(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	f := u.fixture()
	u.activate(f)
	auto := "/automations/" + itoa(f.automation)
	refused := u.do("POST", auto+"/activate", url.Values{})
	top := `<p class="alert" role="alert">`
	if p := u.do("GET", "/runs/"+itoa(f.run), nil); strings.Contains(p.body, top) {
		t.Errorf("a run's page shows the automation's refusal")
	}
	if p := u.follow(refused); !strings.Contains(p.body, top) {
		t.Errorf("the automation's page does not show its refusal after another page was opened")
	}
}

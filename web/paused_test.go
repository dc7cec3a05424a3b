package web

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/testenv"
	simac "github.com/autocred/autocred/sim/activecampaign"
)

// Pausing warns, in plain words, what becomes of who enters meanwhile; the
// Resume form says what each choice does to them; resumed with Start
// fresh, the automation counts who entered while it was paused, apart
// from the baseline, and links to their skipped runs.
func TestPauseAndStartFreshSayWhatBecomesOfWhoEntersMeanwhile(t *testing.T) {
	u := newUITest(t)
	u.signIn()
	f := u.fixture()
	ctx := context.Background()
	auto := "/automations/" + itoa(f.automation)
	if err := u.env.Service.Activate(ctx, f.automation, false); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the baseline", func() bool {
		a, _ := u.env.Store.Automation(ctx, f.automation)
		return a.Status == autocred.AutomationActive
	})

	page := html.UnescapeString(u.do("GET", auto, nil).body)
	if !strings.Contains(page, "While it is paused, nothing is issued. Contacts who enter the segment meanwhile get their credential only if you resume with Catch up") {
		t.Errorf("Pause asks for no confirmation that says what pausing does")
	}
	if p := u.do("POST", auto+"/pause", url.Values{}); p.status != http.StatusSeeOther {
		t.Fatalf("pause: %d", p.status)
	}
	if _, err := u.env.AC.Import(testenv.ACAccount, []simac.ContactInput{
		{Email: "zoe@example.com", FirstName: "Zoë", LastName: "Kim", Tags: []string{"done"}},
		{Email: "sam@example.com", FirstName: "Sam", Tags: []string{"done"}},
	}); err != nil {
		t.Fatal(err)
	}
	page = html.UnescapeString(u.do("GET", auto, nil).body)
	if !strings.Contains(page, "Whoever entered while it was stopped gets no credential; each is listed as a skipped run you can retry") {
		t.Errorf("the Resume form does not say what Start fresh does to who entered meanwhile")
	}
	if p := u.do("POST", auto+"/resume", url.Values{"catch_up": {"no"}}); p.status != http.StatusSeeOther {
		t.Fatalf("resume: %d", p.status)
	}
	eventually(t, "the new baseline", func() bool {
		a, _ := u.env.Store.Automation(ctx, f.automation)
		return a.Status == autocred.AutomationActive
	})
	page = html.UnescapeString(u.do("GET", auto, nil).body)
	for _, want := range []string{
		"2 contacts entered while it was paused and got nothing, because it was resumed with Start fresh.",
		`href="` + auto + `?status=skipped&error_code=entered_while_paused">See the skipped runs</a>`,
		"1 contact was already in this segment", // Ada: the two are not folded into the baseline
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the automation page does not say %q", want)
		}
	}
	runs := html.UnescapeString(u.do("GET", auto+"?status=skipped&error_code=entered_while_paused", nil).body)
	if !strings.Contains(runs, "zoe@example.com") || !strings.Contains(runs, "sam@example.com") {
		t.Errorf("the skipped runs of who entered while paused are not listed")
	}
}

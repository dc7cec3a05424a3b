package web

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/testenv"
	"github.com/autocred/autocred/service"
	simac "github.com/autocred/autocred/sim/activecampaign"
)

// Pausing warns, in plain words, what becomes of who enters meanwhile; the
// Resume form says what each choice does to them; resumed with Start
// fresh, the automation counts who entered while it was paused, apart
// from the baseline, and links to their skipped runs.
func TestPauseAndStartFreshSayWhatBecomesOfWhoEntersMeanwhile(t *testing.T) {
	t.Parallel()
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
		"2 contacts entered while the automation was stopped and got nothing, because it was resumed with Start fresh.",
		`href="` + auto + `?status=skipped&error_code=entered_while_paused">See the skipped runs</a>`,
		"1 contact was in this segment from before it stopped and got nothing", // Ada: the two are not folded into the baseline
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the automation page does not say %q", want)
		}
	}
	runs := html.UnescapeString(u.do("GET", auto+"?status=skipped&error_code=entered_while_paused", nil).body)
	if !strings.Contains(runs, "zoe@example.com") || !strings.Contains(runs, "sam@example.com") {
		t.Errorf("the skipped runs of who entered while paused are not listed")
	}

	// Zoë's run is retried and issued: the count says the one left, as
	// the list of skipped runs it links to shows.
	zoe, _, err := u.env.Service.Runs(ctx, autocred.RunFilter{AutomationID: f.automation, Contact: "zoe@example.com"})
	if err != nil || len(zoe) != 1 {
		t.Fatalf("Zoë's runs: %v %v", zoe, err)
	}
	if p := u.do("POST", "/runs/"+itoa(zoe[0].ID)+"/retry", url.Values{}); p.status != http.StatusSeeOther {
		t.Fatalf("retry: %d", p.status)
	}
	eventually(t, "Zoë's credential", func() bool {
		r, err := u.env.Service.Run(ctx, zoe[0].ID)
		return err == nil && r.Status == autocred.RunIssued
	})
	page = html.UnescapeString(u.do("GET", auto, nil).body)
	if want := "1 contact entered while the automation was stopped and got nothing"; !strings.Contains(page, want) {
		t.Errorf("after Zoë's run was retried and issued, the automation does not say %q", want)
	}
	runs = html.UnescapeString(u.do("GET", auto+"?status=skipped&error_code=entered_while_paused", nil).body)
	if strings.Contains(runs, "zoe@example.com") || !strings.Contains(runs, "sam@example.com") {
		t.Errorf("the skipped runs are not Sam's alone after Zoë's was issued")
	}

	// The rest at once, on purpose, with a confirmation first: Sam gets
	// one, and the line goes.
	if !strings.Contains(page, `action="`+auto+`/retry-stopped-entrants" data-confirm="Issue a credential to 1 contact who entered`) || !strings.Contains(page, ">Issue to them</button>") {
		t.Errorf("the automation page offers no way to issue to who is left, with a confirmation")
	}
	p := u.do("POST", auto+"/retry-stopped-entrants", url.Values{})
	if p.status != http.StatusSeeOther || !strings.Contains(p.location, "done=stopped-entrants-retried") {
		t.Fatalf("issue to them: %d %s", p.status, p.location)
	}
	eventually(t, "Sam's credential", func() bool {
		r, _, err := u.env.Service.Runs(ctx, autocred.RunFilter{AutomationID: f.automation, Contact: "sam@example.com"})
		return err == nil && len(r) == 1 && r[0].Status == autocred.RunIssued
	})
	page = html.UnescapeString(u.do("GET", p.location, nil).body)
	if strings.Contains(page, "entered while the automation was stopped and got nothing") || !strings.Contains(page, "Everyone who entered while the automation was stopped was queued") {
		t.Errorf("after issuing to everyone left, the page still counts them, or does not say it was done")
	}
}

// An automation autocred stopped (here a refused ActiveCampaign key), not
// a user, and resumed with Start fresh once reconnected: who entered
// meanwhile is described in words that are true for it too, "while the
// automation was stopped", and nowhere as having entered while it was
// paused, which nobody did. The code stays entered_while_paused.
func TestStartFreshAfterAutocredStoppedItSaysStopped(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	f := u.fixture()
	ctx := context.Background()
	u.activate(f)
	auto := "/automations/" + itoa(f.automation)
	const newKey = "ac-key-regenerated-000000"
	if err := u.env.AC.SetAPIKey(testenv.ACAccount, newKey); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the refused key to stop the automation", func() bool {
		_ = u.env.Service.SyncNow(ctx, f.automation)
		a, _ := u.env.Service.Automation(ctx, f.automation)
		return a.Status == autocred.AutomationBroken
	})
	if _, err := u.env.AC.Import(testenv.ACAccount, []simac.ContactInput{{Email: "zoe@example.com", FirstName: "Zoë", LastName: "Kim", Tags: []string{"done"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := u.env.Service.ReconnectConnection(ctx, f.acConn, service.NewConnection{App: autocred.AppActiveCampaign, Name: "AC", APIURL: u.env.ACURL, APIKey: newKey}); err != nil {
		t.Fatal(err)
	}
	if p := u.do("POST", auto+"/resume", url.Values{"catch_up": {"no"}}); p.status != http.StatusSeeOther {
		t.Fatalf("resume with Start fresh: %d\n%s", p.status, p.body)
	}
	var run autocred.Run
	eventually(t, "Zoë's skipped run", func() bool {
		runs, _, err := u.env.Service.Runs(ctx, autocred.RunFilter{AutomationID: f.automation, Contact: "zoe@example.com"})
		if err != nil || len(runs) == 0 {
			return false
		}
		run = runs[0]
		return run.Status == autocred.RunSkipped
	})
	if run.ErrorCode != autocred.RunCodeEnteredWhilePaused {
		t.Errorf("Zoë's run has the code %q, want %q kept", run.ErrorCode, autocred.RunCodeEnteredWhilePaused)
	}
	pages := map[string]string{
		"the automation":   auto,
		"its skipped runs": auto + "?status=skipped&error_code=entered_while_paused",
		"the run":          "/runs/" + itoa(run.ID),
		"Health":           "/health",
	}
	for name, path := range pages {
		page := html.UnescapeString(u.do("GET", path, nil).body)
		if strings.Contains(strings.ToLower(page), "while paused") || strings.Contains(page, "while it was paused") ||
			strings.Contains(page, "while the automation was paused") {
			t.Errorf("%s says Zoë entered while it was paused, which nobody did:\n%s", name, page)
		}
		if name != "Health" && !strings.Contains(page, "while the automation was stopped") && !strings.Contains(page, "Entered while stopped") {
			t.Errorf("%s does not say Zoë entered while the automation was stopped", name)
		}
	}
	page := html.UnescapeString(u.do("GET", auto, nil).body)
	if want := "1 contact entered while the automation was stopped and got nothing, because it was resumed with Start fresh."; !strings.Contains(page, want) {
		t.Errorf("the automation does not count Zoë as %q", want)
	}
}

// After a Start fresh, the baseline's sentence says what is true of the
// new one: when it was taken, how many contacts were in the segment then,
// how many of them had got their credential from this automation before
// (Bob, who entered while it was active), and that only the others (Ada,
// of the first baseline) got nothing. The API says the same numbers. The
// first baseline's sentence stays as it was.
func TestStartFreshCountsWhoHadTheirCredentialAlready(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	f := u.fixture()
	ctx := context.Background()
	auto := "/automations/" + itoa(f.automation)
	u.activate(f)
	first := "1 contact was already in this segment when autocred started watching it and gets nothing; only contacts who newly enter get a credential."
	if page := html.UnescapeString(u.do("GET", auto, nil).body); !strings.Contains(page, first) {
		t.Errorf("after the first baseline, the page does not say %q", first)
	}
	if _, err := u.env.AC.Import(testenv.ACAccount, []simac.ContactInput{{Email: "bob@example.com", FirstName: "Bob", Tags: []string{"done"}}}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "Bob's credential", func() bool {
		_ = u.env.Service.SyncNow(ctx, f.automation)
		r, _, err := u.env.Service.Runs(ctx, autocred.RunFilter{AutomationID: f.automation, Contact: "bob@example.com"})
		return err == nil && len(r) == 1 && r[0].Status == autocred.RunIssued
	})
	if p := u.do("POST", auto+"/pause", url.Values{}); p.status != http.StatusSeeOther {
		t.Fatalf("pause: %d", p.status)
	}
	if _, err := u.env.AC.Import(testenv.ACAccount, []simac.ContactInput{{Email: "carl@example.com", FirstName: "Carl", Tags: []string{"done"}}}); err != nil {
		t.Fatal(err)
	}
	if p := u.do("POST", auto+"/resume", url.Values{"catch_up": {"no"}}); p.status != http.StatusSeeOther {
		t.Fatalf("resume with Start fresh: %d", p.status)
	}
	eventually(t, "the new baseline", func() bool {
		a, _ := u.env.Store.Automation(ctx, f.automation)
		return a.Status == autocred.AutomationActive
	})
	page := html.UnescapeString(u.do("GET", auto, nil).body)
	for _, want := range []string{
		"When autocred started fresh (<time datetime=",
		// Ada and Bob, from before the stop; Carl, who entered while it was
		// stopped, only in the sentence of his own: 2 + 1 are the 3
		// contacts in the segment, nobody counted twice (tester 4, finding 4).
		"2 contacts were in this segment from before it stopped: 1 already had a credential from this automation, or one on its way; the other 1 got nothing. Only contacts who newly enter get a credential. Whoever entered while it was stopped is counted apart.",
		"1 contact entered while the automation was stopped and got nothing", // Carl, apart
	} {
		if !strings.Contains(page, want) {
			t.Errorf("after Start fresh, the automation page does not say %q", want)
		}
	}
	if strings.Contains(page, "already in this segment when autocred started watching it") {
		t.Errorf("after Start fresh, the page still says everyone in the segment got nothing")
	}

	v, err := u.env.Service.Automation(ctx, f.automation)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(v)
	var got struct {
		Baseline   autocred.Progress `json:"baseline"`
		FreshStart *struct {
			At       string `json:"at"`
			Credited int    `json:"credited"`
		} `json:"fresh_start"`
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if got.FreshStart == nil || got.FreshStart.Credited != 1 || got.FreshStart.At == "" || got.Baseline.Total != 2 {
		t.Errorf("the automation's JSON says baseline %+v, fresh_start %+v; want a total of 2, of whom 1 already issued, and when", got.Baseline, got.FreshStart)
	}
}

package web

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/autocred/autocred"
)

// secondAutomation stores another automation on the fixture's
// connections, named name.
func (u *uiTest) secondAutomation(f fixture, name string) int64 {
	u.t.Helper()
	a := autocred.Automation{Name: name, Trigger: autocred.Trigger{ConnectionID: f.acConn, SegmentID: "2", SegmentName: "Workshop"},
		Action: autocred.Action{ConnectionID: f.certConn, GroupID: f.group, GroupName: "Workshop badge", RecipientName: "{{contact.firstName}}",
			RecipientEmail: "{{contact.email}}", Issue: true}}
	if err := u.env.Store.CreateAutomation(context.Background(), &a); err != nil {
		u.t.Fatal(err)
	}
	return a.ID
}

// An operator finds a learner without knowing which automation gave the
// credential: the box at the top of every page searches the runs of
// every automation by name in either order, email or contact id, and
// lists each with its automation, status and time, linked to its page.
func TestFindAPersonInEveryAutomation(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	f := u.fixture()
	workshop := u.secondAutomation(f, "Workshop badges")
	march := time.Date(2026, 3, 10, 9, 30, 0, 0, time.UTC)
	course := u.addRun(f.automation, 7, "Rosa", "Kim", "rkim@example.com", autocred.RunIssued, march)
	badge := u.addRun(workshop, 7, "Rosa", "Kim", "rkim@example.com", autocred.RunFailed, march.Add(time.Hour))
	grace := u.addRun(workshop, 8, "Grace", "Hopper", "grace@example.com", autocred.RunFailed, march)

	for _, path := range []string{"/automations", "/automations/" + itoa(f.automation), "/runs/" + itoa(course.ID), "/health", "/connections"} {
		if p := u.do("GET", path, nil); !strings.Contains(p.body, `<form method="get" action="/runs" class="find" role="search">`) {
			t.Errorf("%s has no search box for every automation", path)
		}
	}

	for _, tc := range []struct {
		query, total string
		found        []autocred.Run
	}{
		{"q=kim+rosa", "2 runs match the filter, in every automation.", []autocred.Run{badge, course}},
		{"q=Rosa+Kim", "2 runs match the filter, in every automation.", []autocred.Run{badge, course}},
		{"q=rkim%40example", "2 runs match the filter, in every automation.", []autocred.Run{badge, course}},
		{"q=7", "2 runs match the filter, in every automation.", []autocred.Run{badge, course}},
		{"q=kim&status=failed", "1 run matches the filter, in every automation.", []autocred.Run{badge}},
		{"", "4 runs in all automations.", []autocred.Run{badge, course}},
	} {
		p := u.do("GET", "/runs?"+tc.query, nil)
		if p.status != http.StatusOK || !strings.Contains(p.body, tc.total) {
			t.Errorf("%s: %d, the page does not say %q", tc.query, p.status, tc.total)
		}
		for _, r := range tc.found {
			if !strings.Contains(p.body, `<a href="/runs/`+itoa(r.ID)+`">#`+itoa(r.ID)+`</a>`) {
				t.Errorf("%s: run %d is not listed with a link to its page", tc.query, r.ID)
			}
		}
		if tc.query != "" && strings.Contains(p.body, "Grace Hopper") {
			t.Errorf("%s: Grace Hopper is listed", tc.query)
		}
	}

	p := u.do("GET", "/runs?q=kim+rosa", nil)
	for _, want := range []string{
		`<td data-label="Automation" class="wrap"><a href="/automations/` + itoa(f.automation) + `">Certificates</a></td>`,
		`<td data-label="Automation" class="wrap"><a href="/automations/` + itoa(workshop) + `">Workshop badges</a></td>`,
		`<time datetime="2026-03-10T09:30:00Z" title="2026-03-10 09:30:00 UTC">`,
		`<span class="badge run-failed">`,
		`value="kim rosa"`,
	} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the search's page does not show %q", want)
		}
	}

	// Retry from the search comes back to it.
	p = u.do("POST", "/runs/"+itoa(badge.ID)+"/retry", url.Values{"back": {"runs"}, "back_query": {"q=kim+rosa&status=failed"}})
	if loc, _ := url.Parse(p.location); p.status != http.StatusSeeOther || loc.Path != "/runs" || loc.Query().Get("q") != "kim rosa" ||
		loc.Query().Get("status") != "failed" || loc.Query().Get("done") != "retried" {
		t.Errorf("retry from the search: %d to %q, want back to the search", p.status, p.location)
	}
	// An address smuggled into the way back is not followed.
	if p := u.do("POST", "/runs/"+itoa(grace.ID)+"/retry", url.Values{"back": {"runs"}, "back_query": {"//evil.example/"}}); !strings.HasPrefix(p.location, "/runs?") {
		t.Errorf("retry with a strange way back goes to %q", p.location)
	}
}

// The search across automations is paged as an automation's runs are:
// Older, Newer and Newest keep the search.
func TestEveryAutomationsRunsArePaged(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	f := u.fixture()
	workshop := u.secondAutomation(f, "Workshop badges")
	for i := int64(1); i <= 60; i++ {
		automation := f.automation
		if i%2 == 0 {
			automation = workshop
		}
		u.addRun(automation, autocred.ContactID(100+i), "Person", itoa(i), "p"+itoa(i)+"@example.com", autocred.RunIssued, time.Now())
	}
	link := func(p page, text string) string {
		t.Helper()
		m := regexp.MustCompile(`href="(/runs(?:\?[^"]*)?)"[^>]*>` + regexp.QuoteMeta(text)).FindStringSubmatch(p.body)
		if m == nil {
			return ""
		}
		return html.UnescapeString(m[1])
	}
	p := u.do("GET", "/runs?q=person", nil)
	if !strings.Contains(p.body, "60 runs match the filter") || !strings.Contains(p.body, "Person 60</strong>") || strings.Contains(p.body, "Person 10</strong>") {
		t.Fatalf("the first page does not hold the newest 50 of 60")
	}
	older := link(p, "Older runs →")
	if !strings.Contains(older, "q=person") || !strings.Contains(older, "after=") {
		t.Fatalf("Older runs links to %q", older)
	}
	p2 := u.do("GET", older, nil)
	if !strings.Contains(p2.body, "Person 10</strong>") || !strings.Contains(p2.body, "Person 1</strong>") || strings.Contains(p2.body, "Person 11</strong>") {
		t.Errorf("the second page does not hold runs 10 to 1")
	}
	if newest := link(p2, "« Newest"); newest != "/runs?q=person" {
		t.Errorf("Newest links to %q", newest)
	}
}

// A table that shows no run says why: a filter that matches nothing is
// not an automation without runs, and offers to clear the filter.
func TestEmptyRunTablesSayWhy(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	f := u.fixture()
	empty := u.secondAutomation(f, "Workshop badges")
	auto := "/automations/" + itoa(f.automation)
	for _, tc := range []struct {
		path, want string
		not        []string
	}{
		{auto + "?q=nobody", `No run of this automation matches this filter. Every word you search for must be part of the name or the email, in any order; a contact id must be whole. <a href="` + auto + `">Clear the filter</a>.`, []string{"A run appears"}},
		{auto + "?status=skipped", `No run matches this filter. <a href="` + auto + `">Clear the filter</a>.`, []string{"A run appears"}},
		{auto + "?after=1", `No runs on this page: the runs it listed are gone. <a href="` + auto + `">Show the newest runs</a>.`, []string{"A run appears"}},
		{"/automations/" + itoa(empty), "No runs yet. A run appears when a contact enters the segment after activation.", []string{"Clear the filter"}},
		{"/runs?q=nobody", `No run of any automation matches this filter. Every word you search for must be part of the name or the email, in any order; a contact id must be whole. <a href="/runs">Clear the filter</a>.`, []string{"A run appears"}},
	} {
		p := u.do("GET", tc.path, nil)
		if !strings.Contains(p.body, tc.want) {
			t.Errorf("%s does not say %q", tc.path, tc.want)
		}
		for _, not := range tc.not {
			if strings.Contains(p.body, not) {
				t.Errorf("%s says %q", tc.path, not)
			}
		}
	}
}

// Each way a table of runs can be empty says its own why, the automation's
// state included: a history deleted or pruned is not "no runs yet".
func TestEmptyRunsFor(t *testing.T) {
	t.Parallel()
	summary := func(status autocred.AutomationStatus, deleted int, pruned map[autocred.RunStatus]int) *automationSummary {
		s := &automationSummary{}
		s.Status, s.HistoryDeleted.Runs, s.PrunedRuns = status, deleted, pruned
		return s
	}
	const path = "/automations/3"
	const gone = " Runs removed by the run retention or with a deleted history are not searched: check Certifier before issuing a credential by hand."
	for _, tc := range []struct {
		name    string
		f       runFilter
		a       *automationSummary
		removed bool
		want    emptyRuns
	}{
		{"a status that matches nothing", runFilter{Status: "failed"}, summary(autocred.AutomationActive, 0, nil), false,
			emptyRuns{Text: "No run matches this filter.", Link: path, LinkText: "Clear the filter"}},
		{"a search in one automation", runFilter{Search: "kim"}, summary(autocred.AutomationActive, 0, nil), false,
			emptyRuns{Text: "No run of this automation matches this filter. Every word you search for must be part of the name or the email, in any order; a contact id must be whole.", Link: path, LinkText: "Clear the filter"}},
		{"a search in every automation", runFilter{Search: "kim"}, nil, false,
			emptyRuns{Text: "No run of any automation matches this filter. Every word you search for must be part of the name or the email, in any order; a contact id must be whole.", Link: path, LinkText: "Clear the filter"}},
		{"a search in one automation with runs pruned", runFilter{Search: "kim"}, summary(autocred.AutomationActive, 0, nil), true,
			emptyRuns{Text: "No run of this automation matches this filter. Every word you search for must be part of the name or the email, in any order; a contact id must be whole." + gone, Link: path, LinkText: "Clear the filter"}},
		{"a search in every automation with runs pruned", runFilter{Search: "kim"}, nil, true,
			emptyRuns{Text: "No run of any automation matches this filter. Every word you search for must be part of the name or the email, in any order; a contact id must be whole." + gone, Link: path, LinkText: "Clear the filter"}},
		{"a page past the last", runFilter{After: 9}, summary(autocred.AutomationActive, 0, nil), false,
			emptyRuns{Text: "No runs on this page: the runs it listed are gone.", Link: path, LinkText: "Show the newest runs"}},
		{"no run in any automation", runFilter{}, nil, false,
			emptyRuns{Text: "No runs yet. A run appears when a contact enters the segment of an active automation.", Link: "/automations", LinkText: "See the automations"}},
		{"a draft", runFilter{}, summary(autocred.AutomationDraft, 0, nil), false,
			emptyRuns{Text: "No runs yet. A run appears when a contact enters the segment after activation."}},
		{"an active automation", runFilter{}, summary(autocred.AutomationActive, 0, nil), false,
			emptyRuns{Text: "No runs yet. A run appears when a contact enters the segment after activation."}},
		{"its history deleted", runFilter{}, summary(autocred.AutomationArchived, 12, nil), false,
			emptyRuns{Text: "No runs: the history of this automation was deleted."}},
		{"every run pruned", runFilter{}, summary(autocred.AutomationActive, 0, map[autocred.RunStatus]int{autocred.RunIssued: 3}), false,
			emptyRuns{Text: "No runs to list: the run retention removed the older runs and their logs (the counts above include them)."}},
		{"archived without a run", runFilter{}, summary(autocred.AutomationArchived, 0, nil), false,
			emptyRuns{Text: "No runs: nobody entered the segment before this automation was deleted."}},
	} {
		if got := emptyRunsFor(tc.f, path, tc.a, tc.removed); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

// A search with no letter, digit or email in it ("😀", "!!") finds
// nobody and says what to type, in the top box and an automation's
// filter alike, and its CSV holds no run (tester 4, finding 8): it once
// matched every run.
func TestASearchWithoutWordsFindsNobody(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	f := u.fixture()
	u.addRun(f.automation, 7, "Rosa", "Kim", "rkim@example.com", autocred.RunIssued, time.Date(2026, 3, 10, 9, 30, 0, 0, time.UTC))
	auto := "/automations/" + itoa(f.automation)
	for _, path := range []string{"/runs?q=" + url.QueryEscape("😀"), auto + "?q=" + url.QueryEscape(" !! ")} {
		p := u.do("GET", path, nil)
		for _, want := range []string{"No run matches: the search has no letter, digit or email in it. Type part of a name or an email, or a contact id.", "0 runs match"} {
			if !strings.Contains(p.body, want) {
				t.Errorf("%s does not say %q", path, want)
			}
		}
		if strings.Contains(p.body, "Rosa Kim") {
			t.Errorf("%s lists Rosa Kim", path)
		}
	}
	if p := u.do("GET", auto+"/runs.csv?q="+url.QueryEscape("😀"), nil); p.status != http.StatusOK || strings.Contains(p.body, "Rosa") {
		t.Errorf("the CSV of an emoji search: %d, %q", p.status, p.body)
	}
}

package web

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/store/storetest"
)

// addRun stores a run of contact id with a name, entered at the given
// time.
func (u *uiTest) addRun(automation int64, contactID autocred.ContactID, first, last, email string, status autocred.RunStatus, entered time.Time) autocred.Run {
	u.t.Helper()
	ctx := context.Background()
	r := autocred.Run{AutomationID: automation, ContactID: contactID, Entry: 1, Email: email, Status: status,
		Contact: autocred.Contact{Email: email, FirstName: first, LastName: last}, CreatedAt: entered}
	if err := storetest.InsertRun(ctx, u.env.Store, &r); err != nil {
		u.t.Fatal(err)
	}
	return r
}

// An operator finds a learner by name: the runs table shows names, the
// search takes a name, the page says how many runs match, and the
// download takes the same filter.
func TestFindAPersonByName(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	f := u.fixture()
	march := time.Date(2026, 3, 10, 9, 30, 0, 0, time.UTC)
	grace := u.addRun(f.automation, 7, "Grace", "Hopper", "grace@navy.example", autocred.RunIssued, march)
	u.addRun(f.automation, 8, "Alan", "Turing", "alan@example.com", autocred.RunIssued, march.AddDate(0, 1, 0))
	auto := "/automations/" + itoa(f.automation)

	p := u.do("GET", auto, nil)
	for _, want := range []string{"<strong>Grace Hopper</strong>", "grace@navy.example", "<strong>Alan Turing</strong>", "3 runs in all.",
		`<th scope="col" aria-sort="descending">Entered</th>`,
		`<time datetime="2026-03-10T09:30:00Z" title="2026-03-10 09:30:00 UTC">2026-03-10 09:30 UTC</time>`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the runs table does not show %q", want)
		}
	}
	// The sandbox's API URL tells no contact page: the id has no link.
	if !strings.Contains(p.body, "· contact 7</span>") || strings.Contains(p.body, "activehosted.com") {
		t.Errorf("the sandbox contact is linked, or its id is missing")
	}

	for _, tc := range []struct {
		query, total string
		grace, alan  bool
	}{
		{"q=hopper", "1 run matches the filter.", true, false},
		{"q=GRACE+HOPPER", "1 run matches the filter.", true, false},
		{"q=grace%40navy", "1 run matches the filter.", true, false},
		{"q=7", "1 run matches the filter.", true, false},
		{"q=turing&status=failed", "0 runs match the filter.", false, false},
		{"from=2026-04-01", "2 runs match the filter.", false, true}, // Alan, and the fixture's run of today
		{"from=2026-03-10&to=2026-03-10", "1 run matches the filter.", true, false},
		// 09:30 UTC on 10 March is still 9 March in Honolulu (UTC-10).
		{"from=2026-03-10&to=2026-03-10&tz=Pacific/Honolulu", "0 runs match the filter.", false, false},
		{"from=2026-03-09&to=2026-03-09&tz=Pacific/Honolulu", "1 run matches the filter.", true, false},
	} {
		p := u.do("GET", auto+"?"+tc.query, nil)
		if !strings.Contains(p.body, tc.total) {
			t.Errorf("%s: the page does not say %q", tc.query, tc.total)
		}
		if got := strings.Contains(p.body, "Grace Hopper"); got != tc.grace {
			t.Errorf("%s: Grace Hopper listed: %v, want %v", tc.query, got, tc.grace)
		}
		if got := strings.Contains(p.body, "Alan Turing"); got != tc.alan {
			t.Errorf("%s: Alan Turing listed: %v, want %v", tc.query, got, tc.alan)
		}
	}

	// The filter stays in the form, the live refresh and the download.
	p = u.do("GET", auto+"?q=hopper&from=2026-03-01&tz=Europe/Paris", nil)
	if !strings.Contains(p.body, `value="hopper"`) || !strings.Contains(p.body, `id="from" name="from" type="date" value="2026-03-01"`) {
		t.Errorf("the search is not kept in the form")
	}
	if !strings.Contains(p.body, `runs.csv?from=2026-03-01&amp;q=hopper&amp;tz=Europe%2FParis"`) {
		t.Errorf("the download link does not keep the filter")
	}
	csv := u.do("GET", auto+"/runs.csv?q=hopper&from=2026-03-01&tz=Europe/Paris", nil)
	if !strings.Contains(csv.body, "Grace,Hopper,grace@navy.example") || strings.Contains(csv.body, "Turing") {
		t.Errorf("the download of the search:\n%s", csv.body)
	}
	live := u.do("GET", auto+"/live?q=hopper", nil)
	var regions struct {
		Regions map[string]string `json:"regions"`
	}
	if err := json.Unmarshal([]byte(live.body), &regions); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(regions.Regions["runs"], "Grace Hopper") || strings.Contains(regions.Regions["runs"], "Alan Turing") ||
		regions.Regions["total"] != "1 run matches the filter." {
		t.Errorf("live refresh of the search: %q", regions.Regions)
	}

	// A date that is not one says so, and the list is not filtered by it.
	p = u.do("GET", auto+"?from=yesterday", nil)
	if !strings.Contains(p.body, "Entered from") || !strings.Contains(p.body, `&#34;yesterday&#34; is not a date`) || !strings.Contains(p.body, "Grace Hopper") {
		t.Errorf("a bad date gives no message, or hides the runs")
	}

	// The run page names the person too.
	if p := u.do("GET", "/runs/"+itoa(grace.ID), nil); !strings.Contains(p.body, "<strong>Grace Hopper</strong>, grace@navy.example") {
		t.Errorf("the run page does not name the contact")
	}
}

// With an API URL of ActiveCampaign's documented form, a contact links to
// its page in ActiveCampaign, on the runs table and on the run page.
func TestContactLinksToActiveCampaign(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	ctx := context.Background()
	st := u.env.Store
	ac := autocred.Connection{App: autocred.AppActiveCampaign, Name: "Acme", APIURL: "https://acme.api-us1.com", SecretHint: "…abcd"}
	cert := autocred.Connection{App: autocred.AppCertifier, Name: "Cert", APIURL: "https://api.certifier.io/v1", SecretHint: "…wxyz"}
	for _, c := range []*autocred.Connection{&ac, &cert} {
		if err := st.CreateConnection(ctx, c, u.env.Box.Seal("key-0123456789abcdef")); err != nil {
			t.Fatal(err)
		}
	}
	a := autocred.Automation{Name: "Certificates", Trigger: autocred.Trigger{ConnectionID: ac.ID, SegmentID: "1", SegmentName: "Done"},
		Action: autocred.Action{ConnectionID: cert.ID, GroupID: "g", GroupName: "Course", RecipientName: "{{contact.firstName}}", RecipientEmail: "{{contact.email}}", Issue: true}}
	if err := st.CreateAutomation(ctx, &a); err != nil {
		t.Fatal(err)
	}
	run := u.addRun(a.ID, 4242, "Ada", "Lovelace", "ada@example.com", autocred.RunIssued, time.Now())
	link := `<a href="https://acme.activehosted.com/app/contacts/4242" target="_blank" rel="noopener" title="Open this contact in ActiveCampaign">contact 4242</a>`
	if p := u.do("GET", "/automations/"+itoa(a.ID), nil); !strings.Contains(p.body, link) {
		t.Errorf("the runs table does not link the contact to ActiveCampaign")
	}
	if p := u.do("GET", "/runs/"+itoa(run.ID), nil); p.status != http.StatusOK || !strings.Contains(p.body, link) {
		t.Errorf("the run page does not link the contact to ActiveCampaign (%d)", p.status)
	}
}

// "Older runs" reaches the runs past the first 50, with and without a
// filter (the issue saw its query escaped into the path), and "Newer
// runs" and "Newest" come back, keeping the filter.
func TestRunsArePagedBothWays(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	f := u.fixture()
	for i := int64(2); i <= 120; i++ {
		u.addRun(f.automation, autocred.ContactID(100+i), "Person", itoa(i), "p"+itoa(i)+"@example.com", autocred.RunIssued, time.Now())
	}
	auto := "/automations/" + itoa(f.automation)
	link := func(p page, text string) string {
		t.Helper()
		m := regexp.MustCompile(`href="(/automations/\d+(?:\?[^"]*)?)"[^>]*>` + regexp.QuoteMeta(text)).FindStringSubmatch(p.body)
		if m == nil {
			return ""
		}
		return html.UnescapeString(m[1])
	}
	shows := func(p page, first, last string) bool {
		return strings.Contains(p.body, "Person "+first+"</strong>") && strings.Contains(p.body, "Person "+last+"</strong>")
	}
	p := u.do("GET", auto, nil)
	if link(p, "← Newer runs") != "" || link(p, "« Newest") != "" {
		t.Errorf("the first page links to newer runs")
	}
	older := link(p, "Older runs →")
	if !regexp.MustCompile(`^/automations/\d+\?after=\d+$`).MatchString(older) {
		t.Fatalf("the link to older runs is %q", older)
	}
	p2 := u.do("GET", older, nil)
	if !shows(p2, "70", "21") || strings.Contains(p2.body, "Person 71<") {
		t.Errorf("the second page does not hold runs 70 to 21")
	}
	p3 := u.do("GET", link(p2, "Older runs →"), nil)
	if !shows(p3, "20", "2") || !strings.Contains(p3.body, `href="/runs/`+itoa(f.run)+`"`) || link(p3, "Older runs →") != "" {
		t.Errorf("the last page does not hold runs 20 to 1, or links further")
	}
	back := u.do("GET", link(p3, "← Newer runs"), nil)
	if !shows(back, "70", "21") || strings.Contains(back.body, "Person 20<") || link(back, "Older runs →") == "" {
		t.Errorf("back from the last page does not show runs 70 to 21, with older runs after them")
	}
	if newest := link(back, "« Newest"); newest != auto {
		t.Errorf("Newest links to %q, want %q", newest, auto)
	}
	top := u.do("GET", link(back, "← Newer runs"), nil)
	if !shows(top, "120", "71") || link(top, "← Newer runs") != "" {
		t.Errorf("back again does not reach the newest runs, or still links to newer ones")
	}

	// With a filter, every link keeps it.
	p = u.do("GET", auto+"?q=person", nil)
	p2 = u.do("GET", link(p, "Older runs →"), nil)
	for _, text := range []string{"← Newer runs", "« Newest", "Older runs →"} {
		if l := link(p2, text); !strings.Contains(l, "q=person") {
			t.Errorf("%s on a filtered page links to %q, without the filter", text, l)
		}
	}
}

// The download's times are in the zone the page shows them in: the link
// carries it (the script sets the browser's), the file's time columns name
// it; without one (no script), UTC, named as such.
func TestDownloadTimesInThePagesZone(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	f := u.fixture()
	u.addRun(f.automation, 7, "Grace", "Hopper", "grace@example.com", autocred.RunIssued, time.Date(2026, 3, 10, 20, 0, 0, 0, time.UTC))
	auto := "/automations/" + itoa(f.automation)
	if p := u.do("GET", auto+"?q=grace&tz=Asia/Tokyo", nil); !strings.Contains(p.body, `runs.csv?q=grace&amp;tz=Asia%2FTokyo" download data-browser-zone-link>`) {
		t.Errorf("the download link does not carry the page's zone")
	}
	for _, tc := range []struct{ query, header, entered string }{
		{"?q=grace&tz=Asia/Tokyo", "entered_at (Asia/Tokyo)", "2026-03-11T05:00:00+09:00"},
		{"?q=grace", "entered_at (UTC)", "2026-03-10T20:00:00Z"},
		{"?q=grace&tz=Not/AZone", "entered_at (UTC)", "2026-03-10T20:00:00Z"},
	} {
		rows, err := csv.NewReader(strings.NewReader(u.do("GET", auto+"/runs.csv"+tc.query, nil).body)).ReadAll()
		if err != nil || len(rows) != 2 {
			t.Fatalf("%s: %d rows, %v", tc.query, len(rows), err)
		}
		if rows[0][1] != tc.header || rows[1][1] != tc.entered {
			t.Errorf("%s: %q holds %q, want %q holding %q", tc.query, rows[0][1], rows[1][1], tc.header, tc.entered)
		}
	}
}

// A link with entered days but no tz (bookmarked, shared) reads its days
// in the browser's zone, the one the page shows its times in, when the
// browser's cookie says it, and says which zone it used; without the
// cookie (no script) it reads them in UTC and says so. The CSV follows
// (tester 4, finding 7: "0 runs match" beside runs the page showed on
// that very day).
func TestDaysWithoutAZoneAreTheBrowsers(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	f := u.fixture()
	// 02:20 UTC on 11 March is 19:20 on 10 March in Los Angeles.
	u.addRun(f.automation, 7, "Grace", "Hopper", "grace@navy.example", autocred.RunIssued, time.Date(2026, 3, 11, 2, 20, 0, 0, time.UTC))
	auto := "/automations/" + itoa(f.automation)
	const la = "tz=America%2FLos_Angeles"
	for _, tc := range []struct {
		name, query, cookie, total, says string
		grace                            bool
	}{
		{"the browser's zone from its cookie", "from=2026-03-10&to=2026-03-10", la, "1 run matches the filter.",
			"Entered days are read in America/Los_Angeles, your browser's time zone.", true},
		{"no zone known: UTC, said", "from=2026-03-10&to=2026-03-10", "", "0 runs match the filter.",
			"Entered days are read in UTC: this address names no time zone.", false},
		{"the link's own zone wins", "from=2026-03-11&to=2026-03-11&tz=UTC", la, "1 run matches the filter.",
			"Entered days are read in UTC.", true},
	} {
		var header []string
		if tc.cookie != "" {
			header = []string{"Cookie", tc.cookie}
		}
		p := u.do("GET", auto+"?"+tc.query, nil, header...)
		if !strings.Contains(p.body, tc.total) || !strings.Contains(p.body, tc.says) {
			t.Errorf("%s: the page does not say %q and %q", tc.name, tc.total, tc.says)
		}
		if got := strings.Contains(p.body, "Grace Hopper"); got != tc.grace {
			t.Errorf("%s: Grace listed %v, want %v", tc.name, got, tc.grace)
		}
		csv := u.do("GET", auto+"/runs.csv?"+tc.query, nil, header...)
		if got := strings.Contains(csv.body, "Grace,Hopper"); got != tc.grace {
			t.Errorf("%s: Grace in the CSV %v, want %v", tc.name, got, tc.grace)
		}
	}
	// Links the page makes keep the zone it read the days in.
	p := u.do("GET", auto+"?from=2026-03-10", nil, "Cookie", la)
	if !strings.Contains(p.body, `runs.csv?from=2026-03-10&amp;tz=America%2FLos_Angeles"`) {
		t.Errorf("the download link does not name the zone the days were read in")
	}
	// No days, no line about them.
	if p := u.do("GET", auto+"?q=grace", nil, "Cookie", la); strings.Contains(p.body, "Entered days are read in") {
		t.Errorf("a filter without days speaks of their zone")
	}
}

package web

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/testenv"
	"github.com/autocred/autocred/service"
	"github.com/autocred/autocred/store/storetest"
)

// addRuns gives an automation finished runs, one per status listed.
func (u *uiTest) addRuns(automationID int64, statuses ...autocred.RunStatus) {
	u.t.Helper()
	ctx := context.Background()
	for i, s := range statuses {
		run := autocred.Run{AutomationID: automationID, ContactID: autocred.ContactID(automationID*1000 + int64(i) + 10), Entry: 1, Email: "x@example.com", Status: s}
		if err := storetest.InsertRun(ctx, u.env.Store, &run); err != nil {
			u.t.Fatal(err)
		}
	}
}

// svgChart is one chart of a page: its scale's top and, per series, the
// heights of its bars, oldest day first.
type svgChart struct {
	top     int
	heights map[string][]float64
	texts   []string
}

var (
	chartRe = regexp.MustCompile(`(?s)<svg class="chart ([a-z-]+)"[^>]*data-top="(\d+)">(.*?)</svg>`)
	barRe   = regexp.MustCompile(`<rect class="bar ([a-z]+)" [^>]*height="([\d.]+)"`)
	textRe  = regexp.MustCompile(`<text class="axis ([xy])"[^>]*>([^<]*)</text>`)
)

func charts(body, class string) []svgChart {
	var out []svgChart
	for _, m := range chartRe.FindAllStringSubmatch(body, -1) {
		if m[1] != class {
			continue
		}
		c := svgChart{heights: map[string][]float64{}}
		c.top, _ = strconv.Atoi(m[2])
		for _, b := range barRe.FindAllStringSubmatch(m[3], -1) {
			h, _ := strconv.ParseFloat(b[2], 64)
			c.heights[b[1]] = append(c.heights[b[1]], h)
		}
		for _, t := range textRe.FindAllStringSubmatch(m[3], -1) {
			c.texts = append(c.texts, t[1]+":"+html.UnescapeString(t[2]))
		}
		out = append(out, c)
	}
	return out
}

// The list draws every automation's runs per day on one scale, with the
// dates along the bottom and the counts up the side, in the days of a
// zone it names.
func TestListChartsShareOneScale(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	f := u.fixture()
	ctx := context.Background()
	other, err := u.env.Service.CreateAutomation(ctx, service.AutomationInput{Name: "Diplomas", AllowDuplicate: true,
		Trigger: autocred.Trigger{ConnectionID: f.acConn, SegmentID: f.segment},
		Action:  autocred.Action{ConnectionID: f.certConn, GroupID: f.group, RecipientName: "{{contact.firstName}}", RecipientEmail: "{{contact.email}}", Issue: true, Send: true}})
	if err != nil {
		t.Fatal(err)
	}
	// The fixture's automation: 4 issued and 1 skipped today, besides
	// its failed run; the other: 2 issued.
	u.addRuns(f.automation, autocred.RunIssued, autocred.RunIssued, autocred.RunSendUnconfirmed, autocred.RunIssued, autocred.RunSkipped)
	u.addRuns(other.ID, autocred.RunIssued, autocred.RunIssued)

	p := u.do("GET", "/automations", nil)
	rows := charts(p.body, "chart-small")
	if len(rows) != 2 {
		t.Fatalf("%d charts in the list, want 2:\n%s", len(rows), p.body)
	}
	// Rows are listed newest first or by name: find each by its bars.
	big, small := rows[0], rows[1]
	if len(big.heights["issued"]) == 0 || len(small.heights["issued"]) == 0 {
		t.Fatalf("no issued bars: %+v", rows)
	}
	if len(small.heights["failed"]) > 0 {
		big, small = small, big
	}
	if big.top != small.top || big.top < 6 {
		t.Errorf("scales: %d and %d, want one scale for both rows, up to at least the busiest day's 6 runs", big.top, small.top)
	}
	hb, hs := big.heights["issued"][0], small.heights["issued"][0]
	if hs <= 0 || hb/hs < 1.99 || hb/hs > 2.01 {
		t.Errorf("issued bars %.2f and %.2f high, want 4 issued twice as high as 2 on the shared scale", hb, hs)
	}
	if len(big.heights["skipped"]) != 1 || len(big.heights["failed"]) != 1 {
		t.Errorf("the busy row's bars: %v, want issued, skipped and failed", big.heights)
	}
	// Without the browser's zone (no script), the page shows UTC, and so
	// do its charts' days (TestChartDaysInTheBrowsersZone).
	today := time.Now().UTC()
	first := today.AddDate(0, 0, 1-chartDays)
	for _, want := range []string{"y:0", "y:" + strconv.Itoa(big.top), "x:" + today.Format("Jan 2"), "x:" + first.Format("Jan 2")} {
		if !strings.Contains(strings.Join(big.texts, "|"), want) {
			t.Errorf("the chart's axes %q lack %q", big.texts, want)
		}
	}
	for _, want := range []string{"one scale for every row", "days in UTC, as the times on these pages", "issued", "skipped", "failed",
		"In all: 4 issued, 1 skipped, 1 failed"} {
		if !strings.Contains(html.UnescapeString(p.body), want) {
			t.Errorf("the list does not say %q", want)
		}
	}

	// The live refresh draws the same rows on the same scale.
	var live struct{ Regions map[string]string }
	if err := json.Unmarshal([]byte(u.do("GET", "/automations/live", nil).body), &live); err != nil {
		t.Fatal(err)
	}
	if got := charts(live.Regions["automations"], "chart-small"); len(got) != 2 || got[0].top != big.top {
		t.Errorf("live rows: %d charts, want 2 on the scale of %d", len(got), big.top)
	}

	// The automation's page draws it larger, for a wide screen and a
	// phone, on its own scale, with the numbers in a table.
	p = u.do("GET", "/automations/"+itoa(other.ID), nil)
	large, phone := charts(p.body, "chart-large"), charts(p.body, "chart-phone")
	if len(large) != 1 || len(phone) != 1 || large[0].top != 2 || len(large[0].heights["issued"]) != 1 {
		t.Fatalf("the automation's page: %d large and %d phone charts, %+v", len(large), len(phone), large)
	}
	if !strings.Contains(p.body, "<td>"+today.Format("Mon Jan 2")+`</td><td class="num">2</td>`) {
		t.Errorf("the numbers table does not give today's 2 issued")
	}
}

// After the baseline, the automation's page says how many contacts were
// already in the segment and get nothing, and that nothing in autocred
// issues to them yet (no button that does nothing).
func TestBaselineExplained(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	f := u.fixture()
	auto := "/automations/" + itoa(f.automation)
	if p := u.do("GET", auto, nil); strings.Contains(p.body, "already in this segment") {
		t.Errorf("a draft says who was already in the segment")
	}
	ctx := context.Background()
	// While it reads, the progress counts the contacts read. (Checked on
	// the summary the page renders: an automation set to baselining by
	// hand is taken by the engine's next sync at once.)
	reading := automationSummary{AutomationView: service.AutomationView{Automation: autocred.Automation{
		Status: autocred.AutomationBaselining, Baseline: autocred.Progress{Done: 1200, Total: 5000}}}}
	if got, want := reading.ProgressLabel(), "Reading who is in the segment now: 1,200 of 5,000 contacts (they will get nothing)"; got != want {
		t.Errorf("while the baseline reads, the page says %q, want %q", got, want)
	}
	if got := reading.BaselineLabel(); got != "" {
		t.Errorf("while the baseline reads, the page says %q, as if it were done", got)
	}
	if err := u.env.Service.Activate(ctx, f.automation, false); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		a, err := u.env.Service.Automation(ctx, f.automation)
		if err != nil {
			t.Fatal(err)
		}
		if a.Status == autocred.AutomationActive {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the automation is still %s", a.Status)
		}
		time.Sleep(50 * time.Millisecond)
	}
	p := u.do("GET", auto, nil)
	if p.status != http.StatusOK {
		t.Fatalf("GET %s: %d", auto, p.status)
	}
	body := html.UnescapeString(p.body)
	for _, want := range []string{
		"1 contact was already in this segment when autocred started watching it and gets nothing; only contacts who newly enter get a credential.",
		"autocred cannot issue to them on purpose yet",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the automation's page does not say %q", want)
		}
	}
	// The live refresh keeps it.
	if live := u.do("GET", auto+"/live", nil); !strings.Contains(live.body, "1 contact was already in this segment") {
		t.Errorf("the live summary drops the baseline sentence")
	}
	// A large baseline is written with commas.
	if err := u.env.Store.SetBaselineProgress(ctx, f.automation, autocred.Progress{Done: 1203, Total: 1203}); err != nil {
		t.Fatal(err)
	}
	if p := u.do("GET", auto, nil); !strings.Contains(p.body, "1,203 contacts were already in this segment") {
		t.Errorf("a baseline of 1203 is not said as 1,203 contacts")
	}
}

// First-run setup shows every mistake at once, each beside its input: a
// bad email, a short password and a mismatch together (issue 15).
func TestSetupShowsEveryError(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	p := u.do("POST", "/setup", url.Values{"email": {"boss-at-example"}, "password": {"short"}, "password2": {"shorter"}})
	if p.status != http.StatusUnprocessableEntity {
		t.Errorf("status %d, want 422", p.status)
	}
	for _, c := range []struct{ id, msg string }{
		{"email", "is not a valid email address"},
		{"password", "at least 10 characters"},
		{"password2", "does not match the password"},
	} {
		if !fieldError(p.body, c.id, c.msg) {
			t.Errorf("no %q beside the %s input", c.msg, c.id)
		}
	}
	if !strings.Contains(p.body, `value="boss-at-example"`) {
		t.Error("the email typed is not kept")
	}
	if has, _ := u.env.Auth.HasUsers(context.Background()); has {
		t.Error("a user was created")
	}
}

// The health page says the poll interval the server runs with, not a
// default it may not have, and tells a refused key apart from an API that
// did not answer, with what to do about it (issue 15). A refused key is a
// connection's state, not a count of answers: a wrong key typed while
// connecting (refused at once, nothing saved) is not a connection failing,
// and the line goes once the connection works again.
func TestHealthSaysIntervalAndRefusedKeys(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{PollInterval: 5 * time.Minute})
	srv := httptest.NewServer(New(Config{Service: env.Service, Auth: env.Auth, Metrics: env.Metrics}))
	t.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	u := &uiTest{t: t, env: env, url: srv.URL, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	u.signIn()
	p := u.do("GET", "/health", nil)
	if body := html.UnescapeString(p.body); !strings.Contains(body, "every 5 minutes") || strings.Contains(body, "60 seconds") {
		t.Errorf("the health page does not say the interval of 5 minutes:\n%s", body)
	}
	u.do("POST", "/connections", url.Values{"app": {"activecampaign"}, "name": {"Acme"}, "api_url": {env.ACURL}, "api_key": {"wrong-key-0000000000"}})
	body := html.UnescapeString(u.do("GET", "/health", nil).body)
	if strings.Contains(body, "refused the key") || strings.Contains(body, "key refused") {
		t.Errorf("a wrong key typed while connecting counts as a connection whose key is refused:\n%s", body)
	}
	if strings.Contains(body, "without an answer or with a server error") {
		t.Errorf("a refused key is counted as an API that did not answer")
	}
	// One call, said as one: not "1 request(s)".
	if !strings.Contains(body, "ActiveCampaign:</strong> 1 request,") || strings.Contains(body, "(s)") {
		t.Errorf("the health page does not count in words:\n%s", body)
	}

	f := u.fixture()
	ctx := context.Background()
	if err := env.Store.SetConnectionStatus(ctx, f.acConn, autocred.ConnectionBroken, autocred.KeyRefused(autocred.AppActiveCampaign, "resume its automations")); err != nil {
		t.Fatal(err)
	}
	body = html.UnescapeString(u.do("GET", "/health", nil).body)
	if !strings.Contains(body, "1 connection whose key ActiveCampaign refuses") || !strings.Contains(body, "reconnect") {
		t.Errorf("a connection whose key is refused is not its own line with what to do:\n%s", body)
	}
	if err := env.Store.SetConnectionStatus(ctx, f.acConn, autocred.ConnectionOK, ""); err != nil {
		t.Fatal(err)
	}
	body = html.UnescapeString(u.do("GET", "/health", nil).body)
	if strings.Contains(body, "key ActiveCampaign refuses") || strings.Contains(body, "refused the key") {
		t.Errorf("the refused key is still said once the connection works again:\n%s", body)
	}
}

func TestCount(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		n    int
		want string
	}{{0, "0 credentials"}, {1, "1 credential"}, {2, "2 credentials"}, {1204, "1,204 credentials"}} {
		if got := count(tc.n, "credential", "credentials"); got != tc.want {
			t.Errorf("count(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}

// Step 2 of the form before a segment is picked: the preview says what to
// do in words a person would write, whole, as the form shows it (the
// script shows the note as it comes), and still checks the mapping
// (TestPreviewWithoutASegmentSaysWhatItCan).
func TestPreviewWithoutSegmentSaysPickOne(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	f := u.fixture()
	p := u.do("POST", "/automations/preview", url.Values{"trigger.connection_id": {itoa(f.acConn)}, "action.recipient_name": {"{{contact.firstName}}"}})
	var res struct {
		Note  string
		Error struct{ Message, Field string }
	}
	if err := json.Unmarshal([]byte(p.body), &res); err != nil {
		t.Fatalf("%d %s: %v", p.status, p.body, err)
	}
	const pick = "Pick a segment in step 1 to see each value for one of its members."
	if p.status != http.StatusOK || res.Note != pick {
		t.Errorf("preview without a segment: %d, says %q, want %q", p.status, res.Note, pick)
	}
	// Any other refusal is a whole sentence too, naming what failed.
	p = u.do("POST", "/automations/preview", url.Values{"trigger.connection_id": {itoa(f.certConn)}, "trigger.segment_id": {f.segment}})
	if err := json.Unmarshal([]byte(p.body), &res); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(res.Error.Message, "No preview: ActiveCampaign connection") {
		t.Errorf("preview on a Certifier connection says %q, want a sentence that starts with %q", res.Error.Message, "No preview: ActiveCampaign connection")
	}
}

// An automation read more slowly than asked (an account whose budget
// cannot read all its segments at their interval, or the fallback way) is
// among the automations that need you on the health page, with its notice
// (issue 16).
func TestHealthListsAnAutomationReadMoreSlowly(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	f := u.fixture()
	if p := u.do("GET", "/health", nil); !strings.Contains(p.body, "None: every automation is fine.") {
		t.Fatalf("a fresh automation is listed as needing you:\n%s", p.body)
	}
	notice := "Reading the 5 segments watched on this ActiveCampaign account every minute takes about 500 requests a minute; " +
		"autocred may spend 180 a minute of the account's budget on reading segments."
	if err := u.env.Store.SetSyncNotice(context.Background(), []int64{f.automation}, notice); err != nil {
		t.Fatal(err)
	}
	body := html.UnescapeString(u.do("GET", "/health", nil).body)
	if !strings.Contains(body, "Certificates</a>: "+notice) {
		t.Errorf("the health page does not list the automation with its notice:\n%s", body)
	}
}

// A paused automation is not read, so how its segment is read says
// nothing: a notice from its last read (an account over its budget, the
// slower fallback way) neither stays on its page nor lists it in Health
// as needing you. Before, a paused automation stayed in Health's list
// with "this segment is read about every 2.8 minutes" until resumed.
func TestPausedAutomationDropsItsReadNotice(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	f := u.fixture()
	ctx := context.Background()
	notice := "Reading the 5 segments watched on this ActiveCampaign account every minute takes about 500 requests a minute; " +
		"autocred may spend 180 a minute of the account's budget on reading segments."
	if err := u.env.Store.SetSyncNotice(ctx, []int64{f.automation}, notice); err != nil {
		t.Fatal(err)
	}
	if err := u.env.Store.SetAutomationStatus(ctx, f.automation, autocred.AutomationPaused, ""); err != nil {
		t.Fatal(err)
	}
	if body := html.UnescapeString(u.do("GET", "/health", nil).body); !strings.Contains(body, "None: every automation is fine.") {
		t.Errorf("the health page lists the paused automation as needing you:\n%s", body)
	}
	if body := html.UnescapeString(u.do("GET", "/automations/"+itoa(f.automation), nil).body); strings.Contains(body, notice) {
		t.Errorf("the paused automation's page still says how its segment is read: %q", notice)
	}
}

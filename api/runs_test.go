package api

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/testenv"
	simac "github.com/autocred/autocred/sim/activecampaign"
)

type runJSON struct {
	ID           int64     `json:"id"`
	AutomationID int64     `json:"automation_id"`
	Automation   *string   `json:"automation_name"`
	ContactID    int64     `json:"contact_id"`
	Entry        int       `json:"entry"`
	Email        string    `json:"email"`
	FirstName    string    `json:"first_name"`
	LastName     string    `json:"last_name"`
	ContactURL   *string   `json:"contact_url"`
	Status       string    `json:"status"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	Attempts     int       `json:"attempts"`
	CredentialID string    `json:"credential_id"`
	PublicLink   string    `json:"public_link"`
	Error        string    `json:"error"`
	ErrorCode    string    `json:"error_code"`
	Events       []struct {
		At      time.Time `json:"at"`
		Message string    `json:"message"`
		Sent    *sentJSON `json:"sent"`
	} `json:"events"`
	Sent *sentJSON `json:"sent"`
}

// sentJSON is what a run's create call sent.
type sentJSON struct {
	Attempt          int               `json:"attempt"`
	Call             string            `json:"call"`
	RecipientName    string            `json:"recipient_name"`
	RecipientEmail   string            `json:"recipient_email"`
	IssueDate        string            `json:"issue_date"`
	ExpiryDate       string            `json:"expiry_date"`
	CustomAttributes map[string]string `json:"custom_attributes"`
}

type runPage struct {
	Runs       []runJSON `json:"runs"`
	Total      *int      `json:"total"`
	NextCursor *string   `json:"next_cursor"`
}

func (a *apiTest) runs(automationID int64, query string) runPage {
	a.t.Helper()
	var page runPage
	a.call("GET", fmt.Sprintf("/api/v1/automations/%d/runs?%s", automationID, query), nil).ok(a.t, http.StatusOK, &page)
	return page
}

// enter imports contacts and tags them into the fixture's segment.
func (a *apiTest) enter(emails ...string) {
	a.t.Helper()
	var in []simac.ContactInput
	for _, e := range emails {
		in = append(in, simac.ContactInput{Email: e, FirstName: strings.ToUpper(e[:1]) + e[1:strings.IndexByte(e, '@')], LastName: "Tester"})
	}
	ids, err := a.env.AC.Import(testenv.ACAccount, in)
	if err != nil {
		a.t.Fatal(err)
	}
	if err := a.env.AC.BulkTag(testenv.ACAccount, ids, doneTag, false); err != nil {
		a.t.Fatal(err)
	}
}

func (a *apiTest) waitRuns(automationID int64, status string, n int) {
	a.t.Helper()
	eventually(a.t, fmt.Sprintf("%d runs %s", n, status), func() bool {
		return len(a.runs(automationID, "limit=500&status="+status).Runs) == n
	})
}

func TestRuns(t *testing.T) {
	t.Parallel()
	a := newAPITest(t)
	f := a.fixture()
	a.enter("already@example.com") // in the baseline: gets nothing
	auto := a.createAutomation(f.automation())
	a.call("POST", fmt.Sprintf("/api/v1/automations/%d/activate", auto.ID), nil).ok(t, http.StatusAccepted, nil)
	a.waitStatus(auto.ID, "active")

	emails := []string{"ann@example.com", "bob@example.com", "cy@example.com", "dee@example.com", "eve@example.com"}
	a.enter(emails...)
	a.waitRuns(auto.ID, "issued", len(emails))
	if n := len(a.env.Certifier.Credentials(testenv.CertWorkspace)); n != len(emails) {
		t.Errorf("%d credentials in Certifier, want %d", n, len(emails))
	}
	if got := a.automation(auto.ID).Runs; got["issued"] != len(emails) {
		t.Errorf("run counts %v", got)
	}

	t.Run("pages", func(t *testing.T) {
		seen := map[string]bool{}
		var last int64
		query := "limit=2"
		pages := 0
		for {
			page := a.runs(auto.ID, query)
			pages++
			for _, r := range page.Runs {
				if seen[r.Email] || (last != 0 && r.ID >= last) {
					t.Fatalf("run %d (%s) out of order or twice", r.ID, r.Email)
				}
				seen[r.Email], last = true, r.ID
				if r.Status != "issued" || r.CredentialID == "" || r.PublicLink == "" || r.Entry != 1 || r.AutomationID != auto.ID {
					t.Errorf("run %+v", r)
				}
			}
			if page.NextCursor == nil {
				break
			}
			query = "limit=2&cursor=" + *page.NextCursor
		}
		if pages != 3 || len(seen) != len(emails) || seen["already@example.com"] {
			t.Errorf("%d pages, runs of %v", pages, seen)
		}
	})

	t.Run("filters", func(t *testing.T) {
		today := time.Now().UTC().Format(time.DateOnly)
		tomorrow := time.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly)
		tests := []struct {
			query string
			want  int
		}{
			{"", 5},
			{"status=issued", 5},
			{"status=failed", 0},
			{"contact=bob", 1},
			{"contact=EXAMPLE.COM&status=issued", 5},
			{"contact=nobody", 0},
			{"contact=tester", 5},        // a last name
			{"contact=Bob+Tester", 1},    // a full name
			{"contact=DEE", 1},           // a first name, any case
			{"entered_from=" + today, 5}, // a day: the whole day
			{"entered_to=" + today, 5},   // inclusive
			{"entered_from=" + tomorrow, 0},
			{"entered_from=2020-01-01&entered_to=2020-12-31", 0},
			{"contact=" + url.QueryEscape("😀"), 0}, // no word: nobody, not everybody
			{"contact=" + url.QueryEscape(" ... "), 0},
		}
		for _, tc := range tests {
			page := a.runs(auto.ID, tc.query)
			if len(page.Runs) != tc.want || page.NextCursor != nil || page.Total == nil || *page.Total != tc.want {
				t.Errorf("%q: %d runs, total %v, next %v; want %d", tc.query, len(page.Runs), page.Total, page.NextCursor, tc.want)
			}
		}
		// A day is taken in the zone tz names: the day a run entered in
		// UTC+14 is another day in UTC-11.
		entered := a.runs(auto.ID, "limit=1").Runs[0].CreatedAt
		ahead, _ := time.LoadLocation("Pacific/Kiritimati")
		day := entered.In(ahead).Format(time.DateOnly)
		for tz, want := range map[string]int{"Pacific/Kiritimati": 1, "Pacific/Pago_Pago": 0} {
			q := fmt.Sprintf("limit=1&entered_from=%s&entered_to=%s&tz=%s", day, day, tz)
			if got := a.runs(auto.ID, q).Runs; len(got) != want {
				t.Errorf("%s: %d runs, want %d", q, len(got), want)
			}
		}
		// The answer says the zone its days were read in, UTC when the
		// query names none, and why a search without a word finds nobody.
		for _, tc := range []struct{ query, zone, note string }{
			{"entered_from=" + today, "UTC", ""},
			{"entered_to=" + today + "&tz=Europe/Paris", "Europe/Paris", ""},
			{"contact=bob", "", ""},
			{"contact=" + url.QueryEscape("😀"), "", "no letter, digit or email"},
		} {
			var page struct {
				EnteredZone *string `json:"entered_zone"`
				Note        string  `json:"note"`
			}
			a.call("GET", fmt.Sprintf("/api/v1/automations/%d/runs?%s", auto.ID, tc.query), nil).ok(t, http.StatusOK, &page)
			if got := ""; page.EnteredZone != nil && *page.EnteredZone != tc.zone || page.EnteredZone == nil && tc.zone != "" {
				if page.EnteredZone != nil {
					got = *page.EnteredZone
				}
				t.Errorf("%s: entered_zone %q, want %q", tc.query, got, tc.zone)
			}
			if tc.note == "" && page.Note != "" || !strings.Contains(page.Note, tc.note) {
				t.Errorf("%s: note %q, want one saying %q", tc.query, page.Note, tc.note)
			}
		}
		if r := a.call("GET", fmt.Sprintf("/api/v1/automations/%d/runs.csv?entered_from=%s", auto.ID, today), nil); r.header.Get("X-Entered-Zone") != "UTC" {
			t.Errorf("runs.csv from a day without tz: X-Entered-Zone %q, want UTC", r.header.Get("X-Entered-Zone"))
		}
		if page := a.runs(auto.ID, "limit=2"); len(page.Runs) != 2 || page.Total == nil || *page.Total != 5 {
			t.Errorf("a page of 2: %d runs, total %v; want 2 of 5", len(page.Runs), page.Total)
		}
		// Every run has the contact's names; the sandbox's API URL tells no
		// contact page, so there is no link rather than a wrong one.
		bobRun := a.runs(auto.ID, "contact=bob+tester").Runs[0]
		if bobRun.FirstName != "Bob" || bobRun.LastName != "Tester" || bobRun.ContactURL != nil {
			t.Errorf("names of bob's run: %q %q, contact_url %v; want Bob Tester, no contact_url", bobRun.FirstName, bobRun.LastName, bobRun.ContactURL)
		}
		var detail runJSON
		a.call("GET", fmt.Sprintf("/api/v1/runs/%d", bobRun.ID), nil).ok(t, http.StatusOK, &detail)
		if detail.FirstName != "Bob" || detail.LastName != "Tester" || len(detail.Events) == 0 {
			t.Errorf("bob's run detail: %q %q, %d events", detail.FirstName, detail.LastName, len(detail.Events))
		}
		// The export takes the same filters.
		rows, err := csv.NewReader(bytes.NewReader(a.call("GET", fmt.Sprintf("/api/v1/automations/%d/runs.csv?contact=bob+tester&entered_from=%s", auto.ID, today), nil).body)).ReadAll()
		if err != nil || len(rows) != 2 || rows[1][4] != "Bob" || rows[1][5] != "Tester" {
			t.Errorf("export of a name search: %v, %v", rows, err)
		}
		if rows, _ := csv.NewReader(bytes.NewReader(a.call("GET", fmt.Sprintf("/api/v1/automations/%d/runs.csv?entered_from=%s", auto.ID, tomorrow), nil).body)).ReadAll(); len(rows) != 1 {
			t.Errorf("export from tomorrow: %d rows, want the header alone", len(rows))
		}
		bob := a.runs(auto.ID, "contact=bob").Runs[0]
		if got := a.runs(auto.ID, fmt.Sprintf("contact=%d", bob.ContactID)).Runs; len(got) != 1 || got[0].ID != bob.ID {
			t.Errorf("by contact id: %+v", got)
		}
		if r := a.call("GET", fmt.Sprintf("/api/v1/automations/%d/runs?status=failed", auto.ID), nil); !strings.Contains(string(r.body), `"runs":[]`) {
			t.Errorf("an empty page: %s", r.body)
		}
	})

	t.Run("bad queries", func(t *testing.T) {
		tests := []struct{ query, field, says string }{
			{"status=done", "status", "pending, issued, draft, send_unconfirmed, skipped, failed"},
			{"error_code=bad_email", "error_code", "invalid_email, contact_deleted"},
			{"cursor=abc", "cursor", "next_cursor"},
			{"cursor=-3", "cursor", "next_cursor"},
			{"limit=0", "limit", "1 to 500"},
			{"limit=501", "limit", "1 to 500"},
			{"limit=ten", "limit", "1 to 500"},
			{"contact=" + strings.Repeat("x", 300), "contact", "254"},
			{"entered_from=yesterday", "entered_from", "YYYY-MM-DD"},
			{"entered_to=01/03/2026", "entered_to", "YYYY-MM-DD"},
			{"entered_from=2026-03-02&entered_to=2026-03-01", "entered_to", "before entered_from"},
			{"tz=Mars/Olympus", "tz", "IANA name"},
		}
		for _, tc := range tests {
			e := a.call("GET", fmt.Sprintf("/api/v1/automations/%d/runs?%s", auto.ID, tc.query), nil).fails(t, http.StatusBadRequest, autocred.EINVALID, tc.field)
			if !strings.Contains(e.Message, tc.says) {
				t.Errorf("%s: message %q does not say %q", tc.query, e.Message, tc.says)
			}
		}
		a.call("GET", "/api/v1/automations/999/runs", nil).fails(t, http.StatusNotFound, autocred.ENOTFOUND, "")
	})

	t.Run("detail", func(t *testing.T) {
		first := a.runs(auto.ID, "limit=1").Runs[0]
		var got runJSON
		a.call("GET", fmt.Sprintf("/api/v1/runs/%d", first.ID), nil).ok(t, http.StatusOK, &got)
		if got.ID != first.ID || got.CredentialID != first.CredentialID || len(got.Events) == 0 {
			t.Errorf("run detail %+v", got)
		}
		a.call("GET", "/api/v1/runs/999", nil).fails(t, http.StatusNotFound, autocred.ENOTFOUND, "")
		e := a.call("POST", fmt.Sprintf("/api/v1/runs/%d/retry", first.ID), nil).fails(t, http.StatusConflict, autocred.ECONFLICT, "")
		if !strings.Contains(e.Message, "only failed and skipped runs, and pending runs waiting") {
			t.Errorf("message %q", e.Message)
		}
		a.call("POST", "/api/v1/runs/999/retry", nil).fails(t, http.StatusNotFound, autocred.ENOTFOUND, "")
	})
}

// While its automation is paused, a run cannot be retried, alone or with
// every failed run: nothing would work it. The API refuses with 409 and
// says what to do first, and accepts once the automation is resumed.
func TestRetryIsRefusedWhilePaused(t *testing.T) {
	t.Parallel()
	a := newAPITest(t)
	f := a.fixture()
	auto := a.createAutomation(f.automation())
	path := fmt.Sprintf("/api/v1/automations/%d", auto.ID)
	a.call("PATCH", path, `{"action":{"expiry_date":"2020-01-01"}}`).ok(t, http.StatusOK, nil)
	a.call("POST", path+"/activate", nil).ok(t, http.StatusAccepted, nil)
	a.waitStatus(auto.ID, "active")
	a.enter("fay@example.com")
	a.waitRuns(auto.ID, "failed", 1)
	failed := a.runs(auto.ID, "status=failed").Runs[0]

	a.call("POST", path+"/pause", nil).ok(t, http.StatusAccepted, nil)
	retry := fmt.Sprintf("/api/v1/runs/%d/retry", failed.ID)
	if e := a.call("POST", retry, nil).fails(t, http.StatusConflict, autocred.ECONFLICT, ""); !strings.Contains(e.Message, "paused") || !strings.Contains(e.Message, "resume it first") {
		t.Errorf("retrying a paused automation's run: %q, want it to say to resume first", e.Message)
	}
	if e := a.call("POST", path+"/retry-failed", nil).fails(t, http.StatusConflict, autocred.ECONFLICT, ""); !strings.Contains(e.Message, "resume it first") {
		t.Errorf("retrying a paused automation's failed runs: %q", e.Message)
	}
	a.call("POST", path+"/resume", `{"catch_up":true}`).ok(t, http.StatusAccepted, nil)
	a.call("POST", retry, nil).ok(t, http.StatusAccepted, nil)
}

// A run Certifier refuses fails with its reason; after the mapping is
// fixed, it can be retried alone or with every failed run.
func TestRetry(t *testing.T) {
	t.Parallel()
	a := newAPITest(t)
	f := a.fixture()
	auto := a.createAutomation(f.automation())
	path := fmt.Sprintf("/api/v1/automations/%d", auto.ID)
	// An expiry date before the issue date: Certifier refuses it.
	a.call("PATCH", path, `{"action":{"expiry_date":"2020-01-01"}}`).ok(t, http.StatusOK, nil)
	a.call("POST", path+"/activate", nil).ok(t, http.StatusAccepted, nil)
	a.waitStatus(auto.ID, "active")

	var retried struct {
		Retried int `json:"retried"`
	}
	a.call("POST", path+"/retry-failed", nil).ok(t, http.StatusAccepted, &retried)
	if retried.Retried != 0 {
		t.Errorf("retried %d with nothing failed", retried.Retried)
	}

	a.enter("fay@example.com", "gus@example.com", "hal@example.com")
	a.waitRuns(auto.ID, "failed", 3)
	failed := a.runs(auto.ID, "status=failed").Runs
	if !strings.Contains(failed[0].Error, "expiryDate") || failed[0].ErrorCode != "certifier_validation" {
		t.Errorf("the run does not say why it failed: %q, code %q", failed[0].Error, failed[0].ErrorCode)
	}
	if n := len(a.runs(auto.ID, "error_code=certifier_validation").Runs); n != 3 {
		t.Errorf("%d runs with code certifier_validation, want 3", n)
	}
	if n := len(a.runs(auto.ID, "error_code=invalid_email").Runs); n != 0 {
		t.Errorf("%d runs with code invalid_email, want 0", n)
	}
	csvRows, err := csv.NewReader(bytes.NewReader(a.call("GET", path+"/runs.csv?error_code=certifier_validation", nil).body)).ReadAll()
	if err != nil || len(csvRows) != 4 || csvRows[0][11] != "error_code" || csvRows[1][11] != "certifier_validation" {
		t.Errorf("export by code: %v, %v", csvRows, err)
	}

	// The refused create's run says what it sent.
	var before runJSON
	a.call("GET", fmt.Sprintf("/api/v1/runs/%d", failed[0].ID), nil).ok(t, http.StatusOK, &before)
	if s := before.Sent; s == nil || s.ExpiryDate != "2020-01-01" || s.Call != "create-issue-send" || s.Attempt != 1 ||
		!strings.HasSuffix(s.RecipientName, " Tester") || s.RecipientEmail != before.Email || s.CustomAttributes["custom.course_name"] != "Course completed" {
		t.Errorf("what the failed run sent: %+v", before.Sent)
	}

	a.call("PATCH", path, `{"action":{"expiry_date":""}}`).ok(t, http.StatusOK, nil)
	var run runJSON
	a.call("POST", fmt.Sprintf("/api/v1/runs/%d/retry", failed[0].ID), nil).ok(t, http.StatusAccepted, &run)
	if run.ID != failed[0].ID || run.Error != "" || run.ErrorCode != "" {
		t.Errorf("retried run %+v", run)
	}
	if !hasEvent(run, `Retry requested by API token "tests".`) {
		t.Errorf("the log does not say who retried it: %+v", run.Events)
	}
	a.call("POST", path+"/retry-failed", nil).ok(t, http.StatusAccepted, &retried)
	if retried.Retried != 2 {
		t.Errorf("retried %d, want 2", retried.Retried)
	}
	a.waitRuns(auto.ID, "issued", 3)
	var other runJSON
	a.call("GET", fmt.Sprintf("/api/v1/runs/%d", failed[1].ID), nil).ok(t, http.StatusOK, &other)
	if !hasEvent(other, `Retry requested by API token "tests" (Retry all failed).`) {
		t.Errorf("the log does not say who retried every failed run: %+v", other.Events)
	}
	// Issued, the run says what its credential was made from: the second
	// attempt, without the expiry date the first sent.
	run = runJSON{}
	a.call("GET", fmt.Sprintf("/api/v1/runs/%d", failed[0].ID), nil).ok(t, http.StatusOK, &run)
	if s := run.Sent; s == nil || s.ExpiryDate != "" || s.Attempt != 2 {
		t.Errorf("what the issued run sent: %+v", run.Sent)
	}
	sentLines := 0
	for _, e := range run.Events {
		if e.Sent != nil {
			sentLines++
			if !strings.HasPrefix(e.Message, fmt.Sprintf("Attempt %d: asked Certifier to create, issue and email the credential for ", e.Sent.Attempt)) {
				t.Errorf("a create's line reads %q", e.Message)
			}
		}
	}
	if sentLines != 2 {
		t.Errorf("%d lines say what was sent, want one per create call (2): %+v", sentLines, run.Events)
	}
}

// Deleting an automation archives it (issue 13, point 5): it leaves the
// list, stops issuing, and its runs stay readable and exportable; deleting
// its history removes the runs but not the ledger, so restoring and
// resuming it with catch-up gives nobody a second credential.
func TestDeletedAutomationKeepsItsHistory(t *testing.T) {
	t.Parallel()
	a := newAPITest(t)
	f := a.fixture()
	auto := a.createAutomation(f.automation())
	path := fmt.Sprintf("/api/v1/automations/%d", auto.ID)
	a.call("POST", path+"/activate", nil).ok(t, http.StatusAccepted, nil)
	a.waitStatus(auto.ID, "active")
	a.enter("ann@example.com", "=cmd@example.com")
	a.waitRuns(auto.ID, "issued", 2)
	first := a.runs(auto.ID, "").Runs[0]

	var archived automationJSON
	a.call("DELETE", path, nil).ok(t, http.StatusOK, &archived)
	if archived.Status != "archived" || archived.Runs["issued"] != 2 {
		t.Errorf("archived automation: status %s, runs %v; want archived with its 2 runs", archived.Status, archived.Runs)
	}
	var list, archivedList struct {
		Automations []automationJSON `json:"automations"`
	}
	a.call("GET", "/api/v1/automations", nil).ok(t, http.StatusOK, &list)
	a.call("GET", "/api/v1/automations?archived=true", nil).ok(t, http.StatusOK, &archivedList)
	if len(list.Automations) != 0 || len(archivedList.Automations) != 1 {
		t.Errorf("lists after archiving: %d automations, %d archived; want 0 and 1", len(list.Automations), len(archivedList.Automations))
	}
	a.call("GET", "/api/v1/automations?archived=maybe", nil).fails(t, http.StatusBadRequest, autocred.EINVALID, "archived")
	var run runJSON
	a.call("GET", fmt.Sprintf("/api/v1/runs/%d", first.ID), nil).ok(t, http.StatusOK, &run)
	if run.CredentialID == "" || len(run.Events) == 0 {
		t.Errorf("a run of an archived automation: %+v; want its credential and log", run)
	}
	// An archived automation issues nothing, and cannot be edited.
	a.enter("late@example.com")
	a.call("POST", path+"/sync", nil).fails(t, http.StatusConflict, autocred.ECONFLICT, "")
	a.call("PATCH", path, map[string]any{"name": "Renamed"}).fails(t, http.StatusConflict, autocred.ECONFLICT, "")

	// Exported as CSV: a header and a row per run, formulas defused.
	r := a.call("GET", path+"/runs.csv", nil)
	if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") {
		t.Fatalf("export: %d %s", r.status, r.header.Get("Content-Type"))
	}
	rows, err := csv.NewReader(bytes.NewReader(r.body)).ReadAll()
	if err != nil || len(rows) != 3 || rows[0][0] != "run_id" {
		t.Fatalf("export: %d rows, %v:\n%s", len(rows), err, r.body)
	}
	emails := rows[1][6] + " " + rows[2][6]
	if !strings.Contains(emails, "ann@example.com") || !strings.Contains(emails, "'=cmd@example.com") {
		t.Errorf("exported emails %q; want ann@example.com and '=cmd@example.com (a formula defused)", emails)
	}
	a.call("GET", "/api/v1/automations/999/runs.csv", nil).fails(t, http.StatusNotFound, autocred.ENOTFOUND, "")
	// In a zone: its times with their offset, under headers that name it.
	rows, err = csv.NewReader(bytes.NewReader(a.call("GET", path+"/runs.csv?tz=Asia/Kolkata", nil).body)).ReadAll()
	if err != nil || len(rows) != 3 || rows[0][1] != "entered_at (Asia/Kolkata)" || !strings.HasSuffix(rows[1][1], "+05:30") {
		t.Errorf("export in Asia/Kolkata: %v, %v; want entered_at (Asia/Kolkata) with +05:30 times", rows, err)
	}
	a.call("GET", path+"/runs.csv?tz=Nowhere/Special", nil).fails(t, http.StatusBadRequest, autocred.EINVALID, "tz")

	// A delete for good needs the history deleted first.
	a.call("DELETE", path, nil).fails(t, http.StatusConflict, autocred.ECONFLICT, "")
	var deleted struct {
		HistoryDeleted struct {
			Runs int `json:"runs"`
		} `json:"history_deleted"`
	}
	a.call("DELETE", path+"/runs", nil).ok(t, http.StatusOK, &deleted)
	if deleted.HistoryDeleted.Runs != 2 {
		t.Errorf("history deleted: %d runs, want 2", deleted.HistoryDeleted.Runs)
	}
	a.call("GET", fmt.Sprintf("/api/v1/runs/%d", first.ID), nil).fails(t, http.StatusNotFound, autocred.ENOTFOUND, "")

	// Restored and resumed with catch-up: the ledger still has ann and
	// the other, so only late@ (who entered meanwhile) gets a credential.
	var restored automationJSON
	a.call("POST", path+"/restore", nil).ok(t, http.StatusOK, &restored)
	if restored.Status != "paused" {
		t.Errorf("restored: %s, want paused", restored.Status)
	}
	a.call("POST", path+"/restore", nil).fails(t, http.StatusConflict, autocred.ECONFLICT, "")
	a.call("POST", path+"/resume", `{"catch_up":true}`).ok(t, http.StatusAccepted, nil)
	a.waitRuns(auto.ID, "issued", 1)
	if got := a.runs(auto.ID, "").Runs; len(got) != 1 || got[0].Email != "late@example.com" {
		t.Errorf("runs after restoring: %+v; want late@example.com's only", got)
	}
	if n := len(a.env.Certifier.Credentials(testenv.CertWorkspace)); n != 3 {
		t.Errorf("%d credentials in Certifier, want 3 (none issued twice)", n)
	}
}

// A runs listing with several wrong parameters is refused with every one
// listed, as a save is, so that a client fixes them all at once.
func TestRunsFilterListsEveryMistake(t *testing.T) {
	t.Parallel()
	a := newAPITest(t)
	e := a.call("GET", "/api/v1/runs?status=nope&error_code=zzz&tz=Mars&entered_from=2026-13-01&entered_to=soon&limit=0&cursor=x", nil).
		fails(t, http.StatusBadRequest, autocred.EINVALID, "status")
	var got []string
	for _, item := range e.Errors {
		got = append(got, item.Field)
	}
	if want := "status error_code tz entered_from entered_to cursor limit"; strings.Join(got, " ") != want {
		t.Errorf("errors on %v, want %s", got, want)
	}
}

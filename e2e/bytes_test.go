package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/autocred/autocred/internal/testdb"
	simac "github.com/autocred/autocred/sim/activecampaign"
	"github.com/autocred/autocred/sim/traffic"
)

// Bytes that PostgreSQL's text cannot hold (a NUL; invalid UTF-8) reach
// autocred from ActiveCampaign, Certifier and its own users. Each test runs
// on both databases: what SQLite stores, PostgreSQL refuses, and either
// must give the same outcome (issue 13, point 1).

// One contact whose email holds a NUL is skipped with a clear error (R7);
// the others in the segment are issued, on every sync, and a NUL at the
// end of a name is removed as any control is.
func TestNULInAContactSkipsOnlyThatContact(t *testing.T) {
	t.Parallel()
	for _, database := range testdb.Kinds {
		t.Run(database, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, worldOptions{database: database})
			acConn, certConn := w.connect()
			ids := w.importContacts(
				contact("Ana", "Lee"),
				simac.ContactInput{Email: "bad\x00lee@example.com", FirstName: "Bad", LastName: "Lee"},
				simac.ContactInput{Email: "zoe.ray@example.com", FirstName: "Zoe\x00", LastName: "Ray"},
			)
			a := w.automation(acConn, certConn, w.segment("Completers", "Completed"), w.group("Course"), nil)
			w.tag("Completed", ids...)
			w.waitFor("two issued and one skipped", time.Minute, func() bool {
				s := byStatus(w.runs(a.ID, ""))
				return len(s["issued"]) == 2 && len(s["skipped"]) == 1
			})
			w.settle(a.ID)

			skipped := byStatus(w.runs(a.ID, ""))["skipped"]
			if len(skipped) != 1 || skipped[0].ContactID != ids[1] ||
				!strings.Contains(skipped[0].Error, "null character or bytes that are not text") || !strings.Contains(skipped[0].Error, "retry") ||
				skipped[0].ErrorCode != "invalid_email" {
				t.Errorf("skipped runs = %+v; want Bad Lee's, saying what is wrong with the email and what to do", skipped)
			}
			creds := w.credentials()
			if len(creds["ana.lee@example.com"]) != 1 || len(creds["zoe.ray@example.com"]) != 1 || len(w.cert.Credentials(workspace)) != 2 {
				t.Fatalf("credentials = %+v; want Ana's and Zoe's", creds)
			}
			if name := creds["zoe.ray@example.com"][0].Recipient.Name; name != "Zoe Ray" {
				t.Errorf("Zoe's credential is for %q, want %q", name, "Zoe Ray")
			}
			got := w.automationNow(a.ID)
			if got.LastSyncError != "" {
				t.Errorf("the segment's syncs fail: %q", got.LastSyncError)
			}
		})
	}
}

// A Certifier refusal whose message holds a NUL fails the run once, with
// the message stored (the NUL made a space), and Certifier is not called
// again.
func TestCertifierMessageWithNULFailsTheRunOnce(t *testing.T) {
	t.Parallel()
	const create = "POST /v1/credentials/create-issue-send"
	for _, database := range testdb.Kinds {
		t.Run(database, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, worldOptions{database: database})
			acConn, certConn := w.connect()
			ids := w.importContacts(contact("Ana", "Lee"))
			a := w.automation(acConn, certConn, w.segment("Completers", "Completed"), w.group("Course"), nil)
			w.cert.Gate().SetRules([]traffic.Rule{{Endpoint: create, ErrorRate: 1, ErrorStatus: 400,
				ErrorMessage: "recipient.name has a \x00 in it"}})
			w.tag("Completed", ids[0])
			w.waitFor("the run to fail", time.Minute, func() bool { return len(byStatus(w.runs(a.ID, ""))["failed"]) == 1 })
			w.settle(a.ID)

			runs := w.runs(a.ID, "")
			if len(runs) != 1 || runs[0].Status != "failed" || !strings.Contains(runs[0].Error, "recipient.name has a in it") ||
				runs[0].ErrorCode != "certifier_validation" {
				t.Errorf("runs = %+v; want one failed run with Certifier's message", runs)
			}
			if n := w.cert.Gate().Stats().ByEndpoint[create]; n != 1 {
				t.Errorf("Certifier was asked to create %d times, want 1", n)
			}
		})
	}
}

// Input with a NUL is refused with a 400 that names the field, and stores
// nothing.
func TestNULInInputIsRefusedNamingTheField(t *testing.T) {
	t.Parallel()
	for _, database := range testdb.Kinds {
		t.Run(database, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, worldOptions{database: database})
			acConn, certConn := w.connect()
			a := w.automation(acConn, certConn, w.segment("Completers", "Completed"), w.group("Course"), nil)
			type apiError struct {
				Error struct{ Code, Message, Field string } `json:"error"`
			}
			for _, tc := range []struct {
				name, method, path string
				body               any
				field              string
			}{
				{"a connection's name", "POST", "/api/v1/connections",
					map[string]string{"app": "activecampaign", "name": "Acme\x00", "api_url": w.acURL, "api_key": acKey}, "name"},
				{"an automation's name", "PATCH", fmt.Sprintf("/api/v1/automations/%d", a.ID), map[string]string{"name": "Course\x00"}, "name"},
				{"a recipient name", "PATCH", fmt.Sprintf("/api/v1/automations/%d", a.ID),
					map[string]any{"action": map[string]string{"recipient_name": "{{contact.firstName}}\x00"}}, "action.recipient_name"},
				{"a runs filter", "GET", fmt.Sprintf("/api/v1/automations/%d/runs?contact=ana%%00", a.ID), nil, "contact"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					var e apiError
					if status := w.call(tc.method, tc.path, tc.body, &e); status != 400 || e.Error.Field != tc.field ||
						!strings.Contains(e.Error.Message, "null character (U+0000)") {
						t.Errorf("%s %s: %d %+v; want 400 naming %s", tc.method, tc.path, status, e, tc.field)
					}
				})
			}
			got := w.automationNow(a.ID)
			if strings.ContainsRune(got.Name, 0) {
				t.Errorf("the automation's name was changed to %q", got.Name)
			}
		})
	}
}

package e2e

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	simac "github.com/autocred/autocred/sim/activecampaign"
)

// fixContact changes a contact in ActiveCampaign as a user would, through
// the sandbox's PUT /api/3/contacts/{id} ({"contact": {...}}).
func (w *world) fixContact(id int64, fields map[string]string) {
	w.t.Helper()
	body, err := json.Marshal(map[string]any{"contact": fields})
	must(w.t, err)
	req, err := http.NewRequest("PUT", fmt.Sprintf("%s/api/3/contacts/%d", w.acURL, id), bytes.NewReader(body))
	must(w.t, err)
	req.Header.Set("Api-Token", acKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	must(w.t, err)
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		w.t.Fatalf("updating contact %d in ActiveCampaign: status %d", id, resp.StatusCode)
	}
}

// firstRun connects both accounts, starts the usual automation (a
// credential in the group Course for each contact tagged Completed),
// imports the one contact c and tags it, and returns the automation's id,
// c's id and its run once final.
func (w *world) firstRun(c simac.ContactInput) (automationID, contactID int64, r run) {
	w.t.Helper()
	acConn, certConn := w.connect()
	ids := w.importContacts(c)
	a := w.automation(acConn, certConn, w.segment("Completers", "Completed"), w.group("Course"), nil)
	w.tag("Completed", ids...)
	return a.ID, ids[0], w.finishedRun(a.ID, "the run of "+cmp.Or(c.Email, c.FirstName, "the contact"))
}

// finishedRun waits for an automation's one run to be final and returns it.
func (w *world) finishedRun(automationID int64, what string) run {
	w.t.Helper()
	var r run
	w.waitFor(what, time.Minute, func() bool {
		runs := w.runs(automationID, "")
		if len(runs) != 1 || runs[0].Status == "pending" {
			return false
		}
		r = runs[0]
		return true
	})
	return r
}

// A contact skipped for an invalid email, fixed in ActiveCampaign and
// retried, gets its credential at the fixed address: the retry reads the
// contact again. (Before, the run kept the contact as it entered and was
// skipped again, and since the contact never re-enters the segment the
// person could never get the credential.)
func TestRetryAfterTheEmailIsFixed(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{})
	a, id, r := w.firstRun(simac.ContactInput{Email: "ana.lee@example", FirstName: "Ana", LastName: "Lee"})
	if r.Status != "skipped" || !strings.Contains(r.Error, "email") || r.ErrorCode != "invalid_email" {
		t.Fatalf("run of an invalid email: %s %q (%s), want skipped for its email (invalid_email)", r.Status, r.Error, r.ErrorCode)
	}

	w.fixContact(id, map[string]string{"email": "ana.lee@example.com"})
	w.mustCall("POST", fmt.Sprintf("/api/v1/runs/%d/retry", r.ID), nil, nil, 202)
	r = w.finishedRun(a, "the retried run")
	if r.Status != "issued" || r.Email != "ana.lee@example.com" {
		t.Fatalf("retried run: %s, email %q, error %q; want issued to the fixed address", r.Status, r.Email, r.Error)
	}
	creds := w.credentials()
	if len(creds["ana.lee@example.com"]) != 1 || len(w.cert.Credentials(workspace)) != 1 {
		t.Errorf("credentials by recipient: %v; want one, to the fixed address", creds)
	}
	if n := w.emails()["ana.lee@example.com"]; n != 1 {
		t.Errorf("%d emails to the fixed address, want 1", n)
	}
	if v := w.run(r.ID); !v.says(`email "ana.lee@example.com" (was "ana.lee@example")`) {
		t.Errorf("the run does not say the contact's email changed; events: %+v", v.Events)
	}
}

// The same for a contact skipped for having no name.
func TestRetryAfterTheNameIsFixed(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{})
	a, id, r := w.firstRun(simac.ContactInput{Email: "bea.kim@example.com"})
	if r.Status != "skipped" || !strings.Contains(r.Error, "empty name") || r.ErrorCode != "no_recipient_name" {
		t.Fatalf("run of a contact without a name: %s %q (%s), want skipped for its name (no_recipient_name)", r.Status, r.Error, r.ErrorCode)
	}

	w.fixContact(id, map[string]string{"firstName": "Bea", "lastName": "Kim"})
	w.mustCall("POST", fmt.Sprintf("/api/v1/runs/%d/retry", r.ID), nil, nil, 202)
	r = w.finishedRun(a, "the retried run")
	if r.Status != "issued" {
		t.Fatalf("retried run: %s %q, want issued", r.Status, r.Error)
	}
	creds := w.credentials()["bea.kim@example.com"]
	if len(creds) != 1 || creds[0].Recipient.Name != "Bea Kim" {
		t.Errorf("credentials to bea.kim@example.com: %+v; want one, named Bea Kim", creds)
	}
}

// An email imported with a zero-width space after it is issued to the
// address without it, and the run says what was removed and where.
func TestHiddenCharacterLeavesTheEmail(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{})
	_, _, r := w.firstRun(simac.ContactInput{Email: "zoe.ng@example.com\u200b", FirstName: "Zoe", LastName: "Ng"})
	if r.Status != "issued" || r.Email != "zoe.ng@example.com" {
		t.Fatalf("run: %s, email %+q, error %q; want issued to zoe.ng@example.com", r.Status, r.Email, r.Error)
	}
	for _, c := range w.cert.Credentials(workspace) {
		if c.Recipient.Email != "zoe.ng@example.com" {
			t.Errorf("a credential to %+q; want only the clean address", c.Recipient.Email)
		}
	}
	for _, e := range w.cert.Outbox(workspace) {
		if e.To != "zoe.ng@example.com" {
			t.Errorf("an email sent to %+q; want only the clean address", e.To)
		}
	}
	if n := len(w.cert.Credentials(workspace)); n != 1 {
		t.Errorf("%d credentials, want 1", n)
	}
	if v := w.run(r.ID); !v.says("Removed a zero width space (U+200B) at the end of the email.") {
		t.Errorf("the run does not say what was removed from the email; events: %+v", v.Events)
	}
}

// Retry all failed, after the contacts were fixed in ActiveCampaign: every
// retried run sends the contact as it is now (name and fields), and the
// runs' contact reads are gathered into a few GET /contacts?ids[]= calls,
// not one per run, within autocred's pace for the account.
func TestRetryFailedReadsTheContactsInBulk(t *testing.T) {
	t.Parallel()
	const n = 40
	w := newWorld(t, worldOptions{ac: simac.Options{RatePerSecond: 5}, acRate: 4})
	acConn, certConn := w.connect()
	in := make([]simac.ContactInput, n)
	for i := range in {
		in[i] = contact("Retry", fmt.Sprint("Member", i))
		in[i].Fields = map[string]string{"EXPIRES": "soon"} // not a date: the runs fail
	}
	ids := w.importContacts(in...)
	a := w.automation(acConn, certConn, w.segment("Completers", "Completed"), w.group("Course"),
		map[string]any{"expiry_date": "{{contact.fields.EXPIRES}}"})
	w.tag("Completed", ids...)
	w.waitFor("every run to fail", 2*time.Minute, func() bool { return len(byStatus(w.runs(a.ID, ""))["failed"]) == n })

	// The contacts are fixed by a re-import (it updates contacts by email,
	// and spends none of the account's request budget).
	for i := range in {
		in[i].LastName = fmt.Sprint("Fixed", i)
		in[i].Fields = map[string]string{"EXPIRES": "2030-06-30"}
	}
	w.importContacts(in...)
	w.ac.Gate().Reset()
	var retried struct {
		Retried int `json:"retried"`
	}
	w.mustCall("POST", fmt.Sprintf("/api/v1/automations/%d/retry-failed", a.ID), nil, &retried, 202)
	if retried.Retried != n {
		t.Fatalf("retried %d runs, want %d", retried.Retried, n)
	}
	w.waitFor("every retried run to be issued", 2*time.Minute, func() bool { return len(byStatus(w.runs(a.ID, ""))["issued"]) == n })

	wrong := 0
	all := w.credentials()
	for i := range in {
		email := in[i].Email
		creds := all[email]
		if want := fmt.Sprint("Retry Fixed", i); len(creds) != 1 || creds[0].Recipient.Name != want || creds[0].ExpiryDate != "2030-06-30" {
			if wrong++; wrong == 1 {
				t.Errorf("credentials to %s: %+v; want one, named %q, expiring 2030-06-30", email, creds, want)
			}
		}
	}
	if wrong > 0 {
		t.Errorf("%d of %d retried runs did not send the contact as fixed", wrong, n)
	}
	st := w.ac.Gate().Stats()
	calls := st.ByEndpoint["GET /api/3/contacts"]
	t.Logf("%d runs retried at once: %d GET /api/3/contacts calls, %d GET /api/3/contacts/{id}/fieldValues; ActiveCampaign peak %d requests a second",
		n, calls, st.ByEndpoint["GET /api/3/contacts/{id}/fieldValues"], st.Accounts[acAccount].PeakPerSecond)
	if calls == 0 || calls > n/4 {
		t.Errorf("%d GET /api/3/contacts calls for %d runs retried at once; want their reads gathered (a few calls, not one a run)", calls, n)
	}
	checkPace(t, "ActiveCampaign", st.Accounts[acAccount], 5)
}

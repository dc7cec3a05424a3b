package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	simac "github.com/autocred/autocred/sim/activecampaign"
)

// connectionStatus is a connection's status and its reason.
func (w *world) connectionStatus(id int64) (status, reason string) {
	w.t.Helper()
	var list struct {
		Connections []struct {
			ID           int64  `json:"id"`
			Status       string `json:"status"`
			StatusReason string `json:"status_reason"`
		} `json:"connections"`
	}
	w.mustCall("GET", "/api/v1/connections", nil, &list, 200)
	for _, c := range list.Connections {
		if c.ID == id {
			return c.Status, c.StatusReason
		}
	}
	w.t.Fatalf("no connection %d", id)
	return "", ""
}

// A key whose user may not view segments (403 "You do not have permission
// to view segments") is not a refused key: the connection stays connected,
// the automation says which permission is missing and keeps syncing at its
// pace, and once the permission is granted the entry made meanwhile gets
// its credential.
func TestPermissionDeniedKeepsTheConnection(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{})
	acConn, certConn := w.connect()
	ids := w.importContacts(contact("Ana", "Lee"), contact("Bo", "Diaz"))
	w.tag("Completed", ids[0])
	a := w.automation(acConn, certConn, w.segment("Completers", "Completed"), w.group("Course"), nil)

	must(t, w.ac.Deny(acAccount, simac.PermSegments, false))
	w.tag("Completed", ids[1])
	const said = "'You do not have permission to view segments'"
	w.waitFor("the automation to say which permission is missing", 30*time.Second, func() bool {
		st := w.automationNow(a.ID)
		if st.Status != "active" {
			t.Fatalf("the automation is %s: %q; a missing permission must not stop it", st.Status, st.StatusReason)
		}
		return strings.Contains(st.LastSyncError, said)
	})
	// Two more syncs while it is denied: retried at the automation's pace.
	for range 2 {
		last := w.automationNow(a.ID).LastSyncAt
		w.waitFor("another sync while denied", 30*time.Second, func() bool { return w.automationNow(a.ID).LastSyncAt.After(last) })
	}
	st := w.automationNow(a.ID)
	if status, reason := w.connectionStatus(acConn); status != "ok" || st.Status != "active" {
		t.Fatalf("connection %s (%q), automation %s: want both still working", status, reason, st.Status)
	}
	if !strings.Contains(st.LastSyncError, "Settings → Users → Groups → Permissions") {
		t.Errorf("the message does not say where to grant it: %q", st.LastSyncError)
	}
	if n := len(w.runs(a.ID, "")); n != 0 {
		t.Errorf("%d runs while the segment could not be read, want 0", n)
	}

	must(t, w.ac.Allow(acAccount, simac.PermSegments))
	w.waitFor("Bo's credential once the permission is granted", 30*time.Second, func() bool {
		return len(byStatus(w.runs(a.ID, ""))["issued"]) == 1
	})
	w.waitFor("the message to go", 30*time.Second, func() bool { return w.automationNow(a.ID).LastSyncError == "" })
	if creds := w.credentials(); len(creds) != 1 || len(creds["bo.diaz@example.com"]) != 1 {
		t.Errorf("credentials = %v, want one for Bo", creds)
	}
}

// A key regenerated in ActiveCampaign is refused (401): the connection
// breaks and its automation stops, saying to reconnect.
func TestRefusedKeyBreaksTheConnection(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{})
	acConn, certConn := w.connect()
	a := w.automation(acConn, certConn, w.segment("Completers", "Completed"), w.group("Course"), nil)

	must(t, w.ac.SetAPIKey(acAccount, "regenerated-key-0123456789"))
	w.waitFor("the automation to break", 30*time.Second, func() bool { return w.automationNow(a.ID).Status == "broken" })
	status, reason := w.connectionStatus(acConn)
	if st := w.automationNow(a.ID); status != "broken" || !strings.Contains(reason, "Reconnect") || !strings.Contains(st.StatusReason, "Reconnect") {
		t.Errorf("connection %s (%q), automation reason %q: want broken, saying to reconnect", status, reason, st.StatusReason)
	}
}

// Issuing needs the contact's custom fields. While the key's user may not
// view them, the runs wait and say why, and the connection stays; once
// granted they are issued without anyone retrying them. A contact deleted
// meanwhile, whose fields answer 403 "No Result found for Subscriber", is
// skipped as deleted, as a 404 would be.
func TestPermissionDeniedRunsWaitAndMissingContactIsSkipped(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{})
	acConn, certConn := w.connect()
	must(t, w.cert.AddAttribute(workspace, "custom.course_name", "Course Name"))
	in := []simac.ContactInput{contact("Cy", "Ng"), contact("Di", "Roe")}
	for i := range in {
		in[i].Fields = map[string]string{"COURSE_NAME": "Go 101"}
	}
	ids := w.importContacts(in...)
	a := w.automation(acConn, certConn, w.segment("Completers", "Completed"), w.group("Course"),
		map[string]any{"custom_attributes": map[string]string{"custom.course_name": "{{contact.fields.COURSE_NAME}}"}})

	must(t, w.ac.Deny(acAccount, simac.PermFields, false))
	w.tag("Completed", ids...)
	w.waitFor("both runs to say which permission is missing", 30*time.Second, func() bool {
		if st := w.automationNow(a.ID); st.Status != "active" {
			t.Fatalf("the automation is %s: %q; a missing permission must not stop it", st.Status, st.StatusReason)
		}
		runs := w.runs(a.ID, "")
		n := 0
		for _, r := range runs {
			if r.Status == "pending" && strings.Contains(r.Error, "'You do not have permission to view custom fields'") && r.ErrorCode == "permission_denied" {
				n++
			}
		}
		return n == 2
	})
	if status, reason := w.connectionStatus(acConn); status != "ok" {
		t.Fatalf("connection %s (%q), want ok", status, reason)
	}

	// Di is deleted, and the account answers her missing record with 403.
	req, _ := http.NewRequest("DELETE", fmt.Sprintf("%s/api/3/contacts/%d", w.acURL, ids[1]), nil)
	req.Header.Set("Api-Token", acKey)
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("deleting Di: %d", resp.StatusCode)
	}
	must(t, w.ac.SetForbiddenNoResult(acAccount, "Subscriber"))
	must(t, w.ac.Allow(acAccount, simac.PermFields))

	w.waitFor("Cy issued and Di skipped", 30*time.Second, func() bool {
		by := byStatus(w.runs(a.ID, ""))
		return len(by["issued"]) == 1 && len(by["skipped"]) == 1
	})
	by := byStatus(w.runs(a.ID, ""))
	if by["issued"][0].ContactID != ids[0] || by["skipped"][0].ContactID != ids[1] || !strings.Contains(by["skipped"][0].Error, "deleted") ||
		by["skipped"][0].ErrorCode != "contact_deleted" {
		t.Errorf("runs = %+v", by)
	}
	if status, _ := w.connectionStatus(acConn); status != "ok" {
		t.Errorf("connection %s after a 403 No Result, want ok", status)
	}
}

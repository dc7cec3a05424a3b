package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

// acField creates a custom field of the given type in the ActiveCampaign
// sandbox through its v3 API (POST /api/3/fields), as a user's account has
// them.
func (w *world) acField(title, perstag, typ string) {
	w.t.Helper()
	body, _ := json.Marshal(map[string]any{"field": map[string]string{"title": title, "perstag": perstag, "type": typ}})
	req, _ := http.NewRequest("POST", w.acURL+"/api/3/fields", bytes.NewReader(body))
	req.Header.Set("Api-Token", acKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	must(w.t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		w.t.Fatalf("creating the %s field %s: status %d", typ, perstag, resp.StatusCode)
	}
}

// TestMultiSelectFieldArrivesAsAList: a multi-select field, stored by
// ActiveCampaign as ||Go Basics||Go Advanced||, mapped to a custom
// attribute, reaches Certifier as "Go Basics, Go Advanced" (one option:
// the option alone).
func TestMultiSelectFieldArrivesAsAList(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{})
	acConn, certConn := w.connect()
	w.acField("Courses taken", "COURSES", "multiselect")
	must(t, w.cert.AddAttribute(workspace, "custom.courses", "Courses"))
	a := w.automation(acConn, certConn, w.segment("Completers", "Completed"), w.group("Course"),
		map[string]any{"custom_attributes": map[string]string{"custom.courses": "{{contact.fields.COURSES}}"}})
	two, one := contact("Ana", "Lee"), contact("Bo", "Kim")
	two.Fields = map[string]string{"COURSES": "||Go Basics||Go Advanced||"}
	one.Fields = map[string]string{"COURSES": "||Go Basics||"}
	w.tag("Completed", w.importContacts(two, one)...)
	w.waitFor("two credentials", time.Minute, func() bool { return len(w.cert.Credentials(workspace)) == 2 })
	w.settle(a.ID)
	creds := w.credentials()
	for email, want := range map[string]string{two.Email: "Go Basics, Go Advanced", one.Email: "Go Basics"} {
		if len(creds[email]) != 1 {
			t.Fatalf("%s has %d credentials, want 1", email, len(creds[email]))
		}
		if got := creds[email][0].CustomAttributes["custom.courses"]; got != want {
			t.Errorf("%s: custom.courses = %q, want %q", email, got, want)
		}
	}
}

// TestDatetimeExpiryIsItsDateInTheAutomationsZone: a datetime field mapped
// to the expiry date gives its date in the automation's time zone.
// 2027-01-20T05:30Z is stored by the account (Chicago) as
// 2027-01-19T23:30:00-06:00; in an automation set to America/Chicago the
// credential expires on 2027-01-19 (in UTC it would be the 20th), and in
// one set to Asia/Tokyo on 2027-01-20.
func TestDatetimeExpiryIsItsDateInTheAutomationsZone(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{})
	acConn, certConn := w.connect()
	w.acField("Certificate expires", "CERT_EXPIRES", "datetime")
	seg := w.segment("Completers", "Completed")
	chicago := w.automation(acConn, certConn, seg, w.group("Chicago"),
		map[string]any{"expiry_date": "{{contact.fields.CERT_EXPIRES}}", "time_zone": "America/Chicago"})
	tokyo := w.automation(acConn, certConn, seg, w.group("Tokyo"),
		map[string]any{"expiry_date": "{{contact.fields.CERT_EXPIRES}}", "time_zone": "Asia/Tokyo"})
	c := contact("Ana", "Lee")
	c.Fields = map[string]string{"CERT_EXPIRES": "2027-01-20T05:30:00Z"}
	w.tag("Completed", w.importContacts(c)...)
	w.waitFor("two credentials", time.Minute, func() bool {
		n := 0
		for _, id := range []int64{chicago.ID, tokyo.ID} {
			for _, r := range w.runs(id, "") {
				if r.Status != "pending" {
					n++
				}
			}
		}
		return n == 2
	})
	w.settle(chicago.ID, tokyo.ID)
	for _, id := range []int64{chicago.ID, tokyo.ID} {
		for _, r := range w.runs(id, "") {
			if r.Status != "issued" {
				t.Errorf("automation %d: run %s: %s", id, r.Status, r.Error)
			}
		}
	}
	want := map[string]string{"Chicago": "2027-01-19", "Tokyo": "2027-01-20"}
	creds := w.credentials()[c.Email]
	if len(creds) != 2 {
		t.Fatalf("%d credentials, want 2 (one per automation)", len(creds))
	}
	for _, cr := range creds {
		if cr.ExpiryDate != want[cr.GroupName] {
			t.Errorf("group %s: expiry %q, want %q", cr.GroupName, cr.ExpiryDate, want[cr.GroupName])
		}
	}
}

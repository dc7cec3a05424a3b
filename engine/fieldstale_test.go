package engine_test

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/testdb"
	"github.com/autocred/autocred/internal/testenv"
	simac "github.com/autocred/autocred/sim/activecampaign"
)

// A mapping's {{contact.fields.NAME}} is the field whose personalization
// tag is NAME, else the one whose title is (activecampaign.FieldNamed,
// autocred.Contact.SetField). A field created in ActiveCampaign with that
// tag, after autocred cached GET /fields, is the one a contact read on its
// own uses (ContactFields reads /fields again for a value of a field it
// does not know). A batch's scan must use the same field, not the one the
// stale cache names by its title: else the credential carries the other
// field's value.
func TestABatchScanUsesTheFieldAContactReadWould(t *testing.T) {
	kind := testdb.Kinds[0] // SQLite: the plan is the engine's, not the database's
	h := newHarness(t, testenv.Options{Database: kind})
	// An older field titled "Course" whose tag is not COURSE.
	body := []byte(`{"field":{"type":"text","title":"Course","perstag":"COURSE_OLD"}}`)
	req, err := http.NewRequest("POST", h.env.ACURL+"/api/3/fields", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Api-Token", testenv.ACKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /fields: %s", resp.Status)
	}
	first := h.importContacts(
		simac.ContactInput{Email: "a@example.com", FirstName: "A", LastName: "A", Fields: map[string]string{"COURSE_OLD": "Old"}},
		simac.ContactInput{Email: "b@example.com", FirstName: "B", LastName: "B", Fields: map[string]string{"COURSE_OLD": "Old"}})
	a := h.automation(h.segment("Graduates", "graduated"), func(a *autocred.Automation) {
		a.Action.CustomAttributes = map[string]string{"custom.course_name": "{{contact.fields.course}}"}
	})
	h.tag("graduated", first...)
	h.waitFor("the first entrants issued", func() bool { return len(h.runs(a.ID)[autocred.RunIssued]) == 2 })
	// Now the account gets a field tagged COURSE (imported with the
	// contacts: the sandbox creates it), and, a few seconds later (a user
	// takes more than fieldRefreshAfter to make one), contacts with both
	// enter.
	time.Sleep(6 * time.Second)
	const n = 5
	in := make([]simac.ContactInput, n)
	for i := range in {
		in[i] = simac.ContactInput{Email: fmt.Sprintf("c%d@example.com", i), FirstName: "C", LastName: fmt.Sprint(i),
			Fields: map[string]string{"COURSE_OLD": "Old", "COURSE": fmt.Sprint("New ", i)}}
	}
	ids := h.importContacts(in...)
	h.tag("graduated", ids...)
	h.waitFor("every entrant issued", func() bool { return len(h.runs(a.ID)[autocred.RunIssued]) == 2+n })
	got := h.attributes("custom.course_name")
	for i, c := range in {
		if want := fmt.Sprint("New ", i); got[c.Email] != want {
			t.Errorf("%s: %q, want %q (the value of the field tagged COURSE, as a read of the contact gives)", c.Email, got[c.Email], want)
		}
	}
}

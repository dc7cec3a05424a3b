package engine_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/testenv"
	simac "github.com/autocred/autocred/sim/activecampaign"
)

// A custom field created in ActiveCampaign after autocred last read the
// account's fields (GET /fields, cached for 10 minutes) must not be read
// as empty for contacts that have a value of it.
func TestAFieldCreatedAfterTheFieldsWereReadIsNotReadEmpty(t *testing.T) {
	forEachDB(t, func(t *testing.T, kind string) {
		h := newHarness(t, testenv.Options{Database: kind})
		first := h.importContacts(
			simac.ContactInput{Email: "a@example.com", FirstName: "A", LastName: "A", Fields: map[string]string{"COURSE": "Old"}},
			simac.ContactInput{Email: "b@example.com", FirstName: "B", LastName: "B", Fields: map[string]string{"COURSE": "Old"}})
		a := h.automation(h.segment("Graduates", "graduated"), func(a *autocred.Automation) {
			a.Action.CustomAttributes = map[string]string{"custom.course_name": "{{contact.fields.COURSE}} {{contact.fields.LEVEL}}"}
		})
		h.tag("graduated", first...)
		h.waitFor("the first entrants issued", func() bool { return len(h.runs(a.ID)[autocred.RunIssued]) == 2 })
		// Now the account gets a new field, LEVEL (a user takes more than
		// a few seconds to make one), and contacts with it enter.
		time.Sleep(6 * time.Second)
		const n = 5
		in := make([]simac.ContactInput, n)
		for i := range in {
			in[i] = simac.ContactInput{Email: fmt.Sprintf("c%d@example.com", i), FirstName: "C", LastName: fmt.Sprint(i),
				Fields: map[string]string{"COURSE": "New", "LEVEL": fmt.Sprint("L", i)}}
		}
		ids := h.importContacts(in...)
		h.tag("graduated", ids...)
		h.waitFor("every entrant issued", func() bool { return len(h.runs(a.ID)[autocred.RunIssued]) == 2+n })
		got := h.attributes("custom.course_name")
		for i, c := range in {
			if want := fmt.Sprint("New L", i); got[c.Email] != want {
				t.Errorf("%s: %q, want %q", c.Email, got[c.Email], want)
			}
		}
	})
}

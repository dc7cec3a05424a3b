package engine_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/testenv"
	simac "github.com/autocred/autocred/sim/activecampaign"
)

// A scan of a custom field's values that breaks off (its second page
// refused) costs no credential its value: the entrants its first page
// listed are issued with what it read, every other is read on its own,
// and each run's log says which.
func TestBrokenFieldScanFallsBackToReadsPerContact(t *testing.T) {
	forEachDB(t, func(t *testing.T, kind string) {
		const members, entrants = 50, 250
		h := newHarness(t, testenv.Options{Database: kind,
			WrapAC: func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if strings.HasSuffix(r.URL.Path, "/api/3/fieldValues") && r.URL.Query().Get("offset") != "0" {
						http.Error(w, `{"message":"Bad Request"}`, http.StatusBadRequest)
						return
					}
					next.ServeHTTP(w, r)
				})
			}})
		in := make([]simac.ContactInput, members+entrants)
		for i := range in {
			in[i] = simac.ContactInput{Email: fmt.Sprintf("c%d@example.com", i), FirstName: "C", LastName: fmt.Sprint(i),
				Fields: map[string]string{"COURSE": fmt.Sprint("Course ", i)}}
		}
		ids := h.importContacts(in...)
		h.tag("graduated", ids[:members]...)
		a := h.automation(h.segment("Graduates", "graduated"), func(a *autocred.Automation) {
			a.Action.CustomAttributes = map[string]string{"custom.course_name": "{{contact.fields.COURSE}}"}
		})
		h.ac.Gate().Reset()
		h.tag("graduated", ids[members:]...)
		h.waitFor("every entrant issued", func() bool { return len(h.runs(a.ID)[autocred.RunIssued]) == entrants })

		byEmail := map[string]string{}
		for _, c := range h.cert.Credentials(testenv.CertWorkspace) {
			byEmail[c.Recipient.Email] = c.CustomAttributes["custom.course_name"]
		}
		for i, c := range in[members:] {
			if want := fmt.Sprint("Course ", members+i); byEmail[c.Email] != want {
				t.Errorf("%s: course %q, want %q", c.Email, byEmail[c.Email], want)
			}
		}
		// The first page held the 50 members' values and the first 50
		// entrants'; the second was refused (in front of the sandbox,
		// which counts only the first).
		st := h.ac.Gate().Stats()
		scans, singles := st.ByEndpoint["GET /api/3/fieldValues"], st.ByEndpoint["GET /api/3/contacts/{id}/fieldValues"]
		if scans != 1 || singles != entrants-50 {
			t.Errorf("%d calls of GET /fieldValues, %d of GET /contacts/{id}/fieldValues; want 1 and %d", scans, singles, entrants-50)
		}
		scanned, single := 0, 0
		for _, r := range h.runs(a.ID)[autocred.RunIssued] {
			events, err := h.store.RunEvents(context.Background(), r.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, ev := range events {
				switch ev.Message {
				case `Custom field "COURSE" read by scanning 1 page of its values, with this batch's other entrants.`:
					scanned++
				case `Custom field "COURSE" read for this contact.`:
					single++
				}
			}
		}
		if scanned != 50 || single != entrants-50 {
			t.Errorf("the runs' logs say %d read by the scan and %d read on their own; want 50 and %d", scanned, single, entrants-50)
		}
	})
}

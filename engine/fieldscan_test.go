package engine_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/engine"
	"github.com/autocred/autocred/internal/testenv"
	"github.com/autocred/autocred/internal/testlog"
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
		in := courseContacts(members + entrants)
		ids := h.importContacts(in...)
		h.tag("graduated", ids[:members]...)
		a := h.automation(h.segment("Graduates", "graduated"), courseMapping)
		h.ac.Gate().Reset()
		h.tag("graduated", ids[members:]...)
		h.waitFor("every entrant issued", func() bool { return len(h.runs(a.ID)[autocred.RunIssued]) == entrants })

		byEmail := h.attributes("custom.course_name")
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

// One read of a contact gives every one of its field values, so the
// fields a batch needs are planned together: scanning one field while the
// entrants are read one by one for another spends the scan's calls for
// nothing. Here the mapping uses COURSE (150 values, 2 pages) and CITY
// (3,000 values, 30 pages) for 20 entrants: CITY is read for each entrant,
// so COURSE is too, and no more than the first page of each is read.
func TestFieldsAreScannedTogetherOrNotAtAll(t *testing.T) {
	forEachDB(t, func(t *testing.T, kind string) {
		const contacts, withCourse, entrants = 3000, 150, 20
		h := newHarness(t, testenv.Options{Database: kind})
		if err := h.cert.AddAttribute(testenv.CertWorkspace, "custom.city", "City"); err != nil {
			t.Fatal(err)
		}
		in := make([]simac.ContactInput, contacts)
		for i := range in {
			in[i] = simac.ContactInput{Email: fmt.Sprintf("c%d@example.com", i), FirstName: "C", LastName: fmt.Sprint(i),
				Fields: map[string]string{"CITY": fmt.Sprint("City ", i)}}
			if i < withCourse {
				in[i].Fields["COURSE"] = fmt.Sprint("Course ", i)
			}
		}
		ids := h.importContacts(in...)
		a := h.automation(h.segment("Graduates", "graduated"), func(a *autocred.Automation) {
			a.Action.CustomAttributes = map[string]string{"custom.course_name": "{{contact.fields.COURSE}}", "custom.city": "{{contact.fields.CITY}}"}
		})
		h.ac.Gate().Reset()
		h.tag("graduated", ids[:entrants]...)
		h.waitFor("every entrant issued", func() bool { return len(h.runs(a.ID)[autocred.RunIssued]) == entrants })

		byEmail := map[string]map[string]string{}
		for _, c := range h.cert.Credentials(testenv.CertWorkspace) {
			byEmail[c.Recipient.Email] = c.CustomAttributes
		}
		for i, c := range in[:entrants] {
			got := byEmail[c.Email]
			if got["custom.course_name"] != fmt.Sprint("Course ", i) || got["custom.city"] != fmt.Sprint("City ", i) {
				t.Errorf("%s: course %q and city %q, want Course %d and City %d", c.Email, got["custom.course_name"], got["custom.city"], i, i)
			}
		}
		st := h.ac.Gate().Stats()
		if scans := st.ByEndpoint["GET /api/3/fieldValues"]; scans > 2 {
			t.Errorf("%d calls of GET /fieldValues for a batch whose entrants are read one by one anyway; want at most the two first pages", scans)
		}
		if singles := st.ByEndpoint["GET /api/3/contacts/{id}/fieldValues"]; singles != entrants {
			t.Errorf("%d calls of GET /contacts/{id}/fieldValues, want %d (one per entrant)", singles, entrants)
		}
		for _, r := range h.runs(a.ID)[autocred.RunIssued] {
			events, err := h.store.RunEvents(context.Background(), r.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, ev := range events {
				if strings.Contains(ev.Message, "read by scanning") {
					t.Errorf("run %d: %q; want both fields read for this contact", r.ID, ev.Message)
				}
			}
		}
	})
}

// An optional field (COMPANY, which 5% of the entrants have) costs a scan
// its pages and then a read of each entrant it did not list: here more
// than reading each entrant. The first batch cannot know it and scans;
// the second is planned with the share the first scan did not list, reads
// each entrant on its own (one call each, no scan), and the sync's log
// says why. Every credential carries the entrant's own company, or none.
func TestOptionalFieldIsReadPerContactAfterItsScanMissedMost(t *testing.T) {
	forEachDB(t, func(t *testing.T, kind string) {
		// 500 others have a company, so a scan is 6 pages, fewer than the
		// 60 entrants; but 57 of them have none: 6 + 57 calls, not 60.
		const others, entrants, withCompany = 500, 60, 3
		logs := &testlog.Buffer{}
		h := newHarness(t, testenv.Options{Database: kind, Engine: func(c *engine.Config) {
			c.Logger = slog.New(slog.NewTextHandler(logs, nil))
		}})
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("log:\n%s", logs)
			}
		})
		if err := h.cert.AddAttribute(testenv.CertWorkspace, "custom.company", "Company"); err != nil {
			t.Fatal(err)
		}
		in := make([]simac.ContactInput, 2*entrants+others)
		for i := range in {
			in[i] = simac.ContactInput{Email: fmt.Sprintf("c%d@example.com", i), FirstName: "C", LastName: fmt.Sprint(i)}
			if i%entrants < withCompany || i >= 2*entrants {
				in[i].Fields = map[string]string{"COMPANY": fmt.Sprint("Company ", i)}
			}
		}
		ids := h.importContacts(in...)
		a := h.automation(h.segment("Graduates", "graduated"), func(a *autocred.Automation) {
			a.Action.CustomAttributes = map[string]string{"custom.company": "{{contact.fields.COMPANY}}"}
		})
		calls := func() (scans, singles int64) {
			st := h.ac.Gate().Stats()
			return st.ByEndpoint["GET /api/3/fieldValues"], st.ByEndpoint["GET /api/3/contacts/{id}/fieldValues"]
		}
		for batch := range 2 {
			h.ac.Gate().Reset()
			h.tag("graduated", ids[batch*entrants:(batch+1)*entrants]...)
			h.waitFor(fmt.Sprintf("batch %d issued", batch+1), func() bool {
				return len(h.runs(a.ID)[autocred.RunIssued]) == (batch+1)*entrants
			})
			scans, singles := calls()
			wantScans, wantSingles := int64(6), int64(entrants-withCompany) // the first: scanned, its misses read on their own
			if batch == 1 {
				wantScans, wantSingles = 0, entrants // the second: read for each entrant
			}
			if scans != wantScans || singles != wantSingles {
				t.Errorf("batch %d: %d calls of GET /fieldValues and %d of GET /contacts/{id}/fieldValues; want %d and %d",
					batch+1, scans, singles, wantScans, wantSingles)
			}
		}
		byEmail := h.attributes("custom.company")
		for i, c := range in[:2*entrants] {
			want := ""
			if i%entrants < withCompany {
				want = fmt.Sprint("Company ", i)
			}
			if got, ok := byEmail[c.Email]; !ok || got != want {
				t.Errorf("%s: company %q (issued: %v), want %q", c.Email, got, ok, want)
			}
		}
		log := logs.String()
		if !strings.Contains(log, `msg="custom field read by scanning its values" field=COMPANY entrants=60 pages=6 unlisted=57`) {
			t.Errorf("the first batch's scan is not logged with the 57 entrants it did not list")
		}
		if !strings.Contains(log, `msg="custom fields read for each entrant: scanning their values would cost more" fields=[COMPANY] entrants=60 pages=6 unlisted=57`) {
			t.Errorf("the second batch's choice is not logged with the 57 entrants the last scan did not list")
		}
	})
}

// courseContacts makes n contacts, c0@example.com to c{n-1}@example.com,
// contact i with the custom field COURSE = "Course i".
func courseContacts(n int) []simac.ContactInput {
	in := make([]simac.ContactInput, n)
	for i := range in {
		in[i] = simac.ContactInput{Email: fmt.Sprintf("c%d@example.com", i), FirstName: "C", LastName: fmt.Sprint(i),
			Fields: map[string]string{"COURSE": fmt.Sprint("Course ", i)}}
	}
	return in
}

// courseMapping puts the contact's COURSE field in the credential's
// custom.course_name.
func courseMapping(a *autocred.Automation) {
	a.Action.CustomAttributes = map[string]string{"custom.course_name": "{{contact.fields.COURSE}}"}
}

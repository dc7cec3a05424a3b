package engine_test

import (
	"fmt"
	"testing"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/testdb"
	"github.com/autocred/autocred/internal/testenv"
)

// Two automations watch one segment, and both map a custom field. Read
// for each contact, the field costs a call per run (each run's first
// attempt reads its contact's values), so two per entrant; a scan of the
// field's values serves both automations' runs. The plan must weigh the
// scan against the calls per run, not per contact: here a scan (7 pages)
// is cheaper than 2 × 5 reads, though dearer than 5.
func TestFieldPlanCountsEveryRunOfASharedSegment(t *testing.T) {
	kind := testdb.Kinds[0] // the plan is the engine's, not the database's
	const others, entrants = 650, 5
	h := newHarness(t, testenv.Options{Database: kind})
	ids := h.importContacts(courseContacts(entrants + others)...)
	seg := h.segment("Graduates", "graduated")
	a := h.automation(seg, courseMapping)
	b := h.automation(seg, func(b *autocred.Automation) { courseMapping(b); b.Name = "Second" })
	h.ac.Gate().Reset()
	h.tag("graduated", ids[:entrants]...)
	h.waitFor("every run issued", func() bool {
		return len(h.runs(a.ID)[autocred.RunIssued]) == entrants && len(h.runs(b.ID)[autocred.RunIssued]) == entrants
	})
	st := h.ac.Gate().Stats()
	scans, singles := st.ByEndpoint["GET /api/3/fieldValues"], st.ByEndpoint["GET /api/3/contacts/{id}/fieldValues"]
	// A scan: 7 pages (655 values), no read on its own; reads per run: 10.
	if scans+singles > 7 {
		t.Errorf("the field read in %d calls of GET /fieldValues and %d of GET /contacts/{id}/fieldValues (%d in all); a scan costs 7, reading each run's contact 10",
			scans, singles, scans+singles)
	}
	for _, c := range h.cert.Credentials(testenv.CertWorkspace) {
		var i int
		fmt.Sscanf(c.Recipient.Email, "c%d@", &i)
		if want := fmt.Sprint("Course ", i); c.CustomAttributes["custom.course_name"] != want {
			t.Errorf("%s: %q, want %q", c.Recipient.Email, c.CustomAttributes["custom.course_name"], want)
		}
	}
}

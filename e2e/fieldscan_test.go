package e2e

import (
	"cmp"
	"fmt"
	"testing"
	"time"

	simac "github.com/autocred/autocred/sim/activecampaign"
)

// TestBatchReadsACustomFieldByScanningIt: 500 contacts enter at once, and
// the mapping puts each one's own "Course name" on their credential. Every
// credential carries the right course, and the field is read by scanning
// its values (GET /fieldValues, 100 a call): 7 to 14 calls, not one per
// entrant. Those the scan does not list (20 entrants without a course)
// are read on their own, and issued without one, as before. It holds
// however ActiveCampaign reads filters[fieldid]: exactly, as
// "contains" (field 10's values come too), or not at all (every field's
// values come).
func TestBatchReadsACustomFieldByScanningIt(t *testing.T) {
	t.Parallel()
	for _, filter := range []string{simac.FieldFilterExact, simac.FieldFilterContains, simac.FieldFilterIgnored} {
		t.Run("filter="+cmp.Or(filter, "exact"), func(t *testing.T) {
			t.Parallel()
			checkBatchFieldScan(t, filter)
		})
	}
}

func checkBatchFieldScan(t *testing.T, filter string) {
	const n, members, without = 500, 200, 20
	w := newWorld(t, worldOptions{})
	must(t, w.ac.SetFieldValueFilter(acAccount, simac.FieldValueFilter{FieldID: filter}))
	acConn, certConn := w.connect()
	// COURSE_NAME is field 1; F02 … F10 are fields 2 to 10, and everyone
	// has a value of F10, which a "contains" filter for 1 lets through.
	w.acField("Course name", "COURSE_NAME", "text")
	for f := 2; f <= 10; f++ {
		w.acField(fmt.Sprint("Other ", f), fmt.Sprintf("F%02d", f), "text")
	}
	must(t, w.cert.AddAttribute(workspace, "custom.course", "Course"))
	in := make([]simac.ContactInput, members+n)
	for i := range in {
		in[i] = contact("Batch", fmt.Sprint("Entrant", i))
		if i < members {
			in[i] = contact("Member", fmt.Sprint("Baseline", i))
		}
		in[i].Fields = map[string]string{"F10": "not a course", "COURSE_NAME": courseOf(in[i])}
		if i >= members+n-without {
			delete(in[i].Fields, "COURSE_NAME")
		}
	}
	ids := w.importContacts(in...)
	w.tag("Completed", ids[:members]...)
	a := w.automation(acConn, certConn, w.segment("Completers", "Completed"), w.group("Course"),
		map[string]any{"custom_attributes": map[string]string{"custom.course": "{{contact.fields.Course name}}"}})
	w.ac.Gate().Reset()

	w.tag("Completed", ids[members:]...)
	w.waitFor(fmt.Sprintf("%d credentials", n), 3*time.Minute, func() bool {
		var got automation
		w.mustCall("GET", fmt.Sprintf("/api/v1/automations/%d", a.ID), nil, &got, 200)
		return got.Runs["issued"] == n
	})
	w.settle(a.ID)

	creds := w.credentials()
	for i, c := range in[members:] {
		want := courseOf(c)
		if i >= n-without {
			want = "" // no value: issued without the attribute, as before
		}
		if len(creds[c.Email]) != 1 {
			t.Fatalf("%s has %d credentials, want 1", c.Email, len(creds[c.Email]))
		}
		if got := creds[c.Email][0].CustomAttributes["custom.course"]; got != want {
			t.Errorf("%s: custom.course %q, want %q", c.Email, got, want)
		}
	}
	st := w.ac.Gate().Stats()
	scans, singles := st.ByEndpoint["GET /api/3/fieldValues"], st.ByEndpoint["GET /api/3/contacts/{id}/fieldValues"]
	// 680 values of the course (1,380 of every field when the filter is
	// ignored or loose): 7 to 14 pages, each read once.
	values := members + n - without
	if filter != simac.FieldFilterExact {
		values += members + n // F10's values come too
	}
	if pages := int64((values + 99) / 100); scans != pages || singles != without {
		t.Errorf("read the field in %d calls of GET /fieldValues and %d of GET /contacts/{id}/fieldValues; want %d (the pages of its values) and %d (the entrants it does not list)",
			scans, singles, pages, without)
	}
	t.Logf("filter %q: %d credentials; ActiveCampaign calls: %d in all, %d GET /fieldValues, %d GET /contacts/{id}/fieldValues",
		cmp.Or(filter, "exact"), n, st.Requests, scans, singles)

	// The run log says how its field was read: by the scan, or (for the
	// 20 it did not list) for the contact alone. A sample of the first,
	// all of the others.
	index := map[string]int{}
	for i, c := range in[members:] {
		index[c.Email] = i
	}
	for _, r := range w.runs(a.ID, "") {
		i := index[r.Email]
		want := fmt.Sprintf("Custom field %q read by scanning %d pages of its values", "Course name", (values+99)/100)
		switch {
		case i >= n-without:
			want = fmt.Sprintf("Custom field %q read for this contact.", "Course name")
		case i%50 != 0:
			continue
		}
		if v := w.run(r.ID); !v.says(want) {
			t.Errorf("%s (%s): its log does not say %q", v, r.Email, want)
		}
	}
}

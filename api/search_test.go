package api

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"testing"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/store/storetest"
)

// GET /runs finds a person in every automation, as an automation's runs
// are listed: by name in either order, email or contact id, with the
// other filters, counted, paged, each run naming its automation.
func TestSearchRunsInEveryAutomation(t *testing.T) {
	t.Parallel()
	a := newAPITest(t)
	f := a.fixture()
	ctx := context.Background()
	var autos []autocred.Automation
	for _, name := range []string{"Course certificate", "Workshop badge"} {
		auto := autocred.Automation{Name: name, Trigger: autocred.Trigger{ConnectionID: f.ac, SegmentID: f.segment, SegmentName: f.segName},
			Action: autocred.Action{ConnectionID: f.cert, GroupID: f.group, GroupName: "Course", RecipientName: "{{contact.firstName}}", RecipientEmail: "{{contact.email}}", Issue: true}}
		if err := a.env.Store.CreateAutomation(ctx, &auto); err != nil {
			t.Fatal(err)
		}
		autos = append(autos, auto)
	}
	add := func(auto autocred.Automation, contact autocred.ContactID, first, last, email string, status autocred.RunStatus) autocred.Run {
		r := autocred.Run{AutomationID: auto.ID, ContactID: contact, Entry: 1, Email: email, Status: status,
			Contact: autocred.Contact{ID: contact, Email: email, FirstName: first, LastName: last}}
		if err := storetest.InsertRun(ctx, a.env.Store, &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	course := add(autos[0], 7, "Rosa", "Kim", "rkim@example.com", autocred.RunIssued)
	grace := add(autos[0], 8, "Grace", "Hopper", "grace@example.com", autocred.RunIssued)
	badge := add(autos[1], 7, "Rosa", "Kim", "rkim@example.com", autocred.RunFailed)

	search := func(query string) runPage {
		t.Helper()
		var page runPage
		a.call("GET", "/api/v1/runs?"+query, nil).ok(t, http.StatusOK, &page)
		return page
	}
	ids := func(p runPage) []int64 {
		var out []int64
		for _, r := range p.Runs {
			out = append(out, r.ID)
		}
		return out
	}
	for _, tc := range []struct {
		query string
		want  []int64
	}{
		{"contact=kim+rosa", []int64{badge.ID, course.ID}},
		{"contact=Rosa+Kim", []int64{badge.ID, course.ID}},
		{"contact=rkim%40example", []int64{badge.ID, course.ID}},
		{"contact=7", []int64{badge.ID, course.ID}},
		{"contact=kim&status=failed", []int64{badge.ID}},
		{"contact=grace+kim", nil},
		{"", []int64{badge.ID, grace.ID, course.ID}},
	} {
		p := search(tc.query)
		if got := ids(p); !slices.Equal(got, tc.want) || p.Total == nil || *p.Total != len(tc.want) {
			t.Errorf("%q: runs %v (total %v), want %v", tc.query, got, p.Total, tc.want)
		}
	}

	p := search("contact=kim+rosa")
	for _, r := range p.Runs {
		want := autos[0].Name
		if r.ID == badge.ID {
			want = autos[1].Name
		}
		if r.Automation == nil || *r.Automation != want || r.FirstName != "Rosa" || r.LastName != "Kim" {
			t.Errorf("run %d: automation %v, name %q %q; want %q, Rosa Kim", r.ID, r.Automation, r.FirstName, r.LastName, want)
		}
	}
	// Paged as an automation's list.
	first := search("contact=rosa&limit=1")
	if ids(first)[0] != badge.ID || first.NextCursor == nil {
		t.Fatalf("first page %v, cursor %v", ids(first), first.NextCursor)
	}
	if second := search("contact=rosa&limit=1&cursor=" + *first.NextCursor); !slices.Equal(ids(second), []int64{course.ID}) || second.NextCursor != nil {
		t.Errorf("second page %v, cursor %v", ids(second), second.NextCursor)
	}
	// An automation's list and a run name their automation too.
	if r := a.runs(autos[1].ID, "").Runs; len(r) != 1 || r[0].Automation == nil || *r[0].Automation != "Workshop badge" {
		t.Errorf("an automation's list: %+v", r)
	}
	var one runJSON
	a.call("GET", "/api/v1/runs/"+strconv.FormatInt(course.ID, 10), nil).ok(t, http.StatusOK, &one)
	if one.Automation == nil || *one.Automation != "Course certificate" {
		t.Errorf("a run's automation_name: %v", one.Automation)
	}
	// A bad filter is refused as in an automation's list.
	if r := a.call("GET", "/api/v1/runs?status=lost", nil); r.status != http.StatusBadRequest {
		t.Errorf("a bad status: %d %s", r.status, r.body)
	}
}

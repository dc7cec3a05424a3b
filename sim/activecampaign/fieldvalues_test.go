package activecampaign_test

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"testing"

	simac "github.com/autocred/autocred/sim/activecampaign"
)

// fieldValuesWorld imports 250 contacts: each has COURSE (field 1) =
// "Course <i>", every tenth also F2..F10 (fields 2 to 10, so that field 10
// exists), and contact 7 is deleted. It returns the field ids by perstag.
func fieldValuesWorld(t *testing.T, e *env) map[string]string {
	t.Helper()
	// Created in this order, so that COURSE is field 1 and F10 field 10.
	e.api("POST", "/fields", map[string]any{"field": map[string]string{"title": "Course", "perstag": "COURSE"}}, 201)
	for f := 2; f <= 10; f++ {
		e.api("POST", "/fields", map[string]any{"field": map[string]string{"title": fmt.Sprint("F", f), "perstag": fmt.Sprintf("F%02d", f)}}, 201)
	}
	in := make([]simac.ContactInput, 250)
	for i := range in {
		in[i] = simac.ContactInput{Email: fmt.Sprintf("c%d@example.com", i), Fields: map[string]string{"COURSE": fmt.Sprintf("Course %d", i)}}
		if i%10 == 0 {
			for f := 2; f <= 10; f++ {
				in[i].Fields[fmt.Sprintf("F%02d", f)] = fmt.Sprintf("other %d", i)
			}
		}
	}
	e.importContacts(in...)
	e.api("DELETE", "/contacts/7", nil, 200)
	ids := map[string]string{}
	for _, f := range e.api("GET", "/fields?limit=100", nil, 200)["fields"].([]any) {
		fm := f.(map[string]any)
		ids[fm["perstag"].(string)] = fm["id"].(string)
	}
	return ids
}

// scanField pages GET /fieldValues?filters[fieldid]=id with limit 100 the
// way a client does, and returns contact → value and the pages read.
func scanField(t *testing.T, e *env, id string) (map[string]string, []string, int) {
	t.Helper()
	got, fields := map[string]string{}, []string{}
	pages := 0
	for offset := 0; ; offset += 100 {
		m := e.api("GET", fmt.Sprintf("/fieldValues?filters[fieldid]=%s&limit=100&offset=%d", id, offset), nil, 200)
		pages++
		total, ok := get(m, "meta", "total").(string)
		if !ok {
			t.Fatalf("meta.total %#v, want a string", get(m, "meta", "total"))
		}
		for _, fv := range m["fieldValues"].([]any) {
			fm := fv.(map[string]any)
			if fm["field"] == id {
				got[fm["contact"].(string)] = fm["value"].(string)
			}
			fields = append(fields, fm["field"].(string))
		}
		if n, err := strconv.Atoi(total); err != nil || offset+100 >= n {
			return got, fields, pages
		}
	}
}

// TestFieldValuesOfOneField: GET /fieldValues?filters[fieldid]=N answers
// every live contact's value of field N and nothing else, paged like
// every collection (limit 20 by default, at most 100, offset), with
// meta.total the whole count as a string (spec §3, "Every value of one
// field").
func TestFieldValuesOfOneField(t *testing.T) {
	e := newEnv(t, simac.Options{})
	ids := fieldValuesWorld(t, e)
	course := ids["COURSE"]

	for _, tt := range []struct {
		query string
		want  int
	}{
		{"", 20},
		{"&limit=100", 100},
		{"&limit=500", 100},
		{"&limit=100&offset=200", 49},
		{"&offset=1000", 0},
	} {
		m := e.api("GET", "/fieldValues?filters[fieldid]="+course+tt.query, nil, 200)
		if got := len(m["fieldValues"].([]any)); got != tt.want {
			t.Errorf("%s: %d values, want %d", tt.query, got, tt.want)
		}
		if total := get(m, "meta", "total"); total != "249" {
			t.Errorf("%s: meta.total %#v, want \"249\" (250 contacts, one deleted)", tt.query, total)
		}
	}
	got, fields, pages := scanField(t, e, course)
	if pages != 3 || len(got) != 249 {
		t.Fatalf("scan: %d pages, %d contacts; want 3 and 249", pages, len(got))
	}
	if slices.ContainsFunc(fields, func(f string) bool { return f != course }) {
		t.Errorf("the scan of field %s answered values of other fields", course)
	}
	if got["1"] != "Course 0" || got["250"] != "Course 249" {
		t.Errorf("contact 1 has %q, 250 has %q; want Course 0 and Course 249", got["1"], got["250"])
	}
	if _, ok := got["7"]; ok {
		t.Error("the deleted contact 7 is listed")
	}
	one := e.api("GET", "/fieldValues?filters[fieldid]="+course+"&limit=1", nil, 200)["fieldValues"].([]any)[0].(map[string]any)
	for _, key := range []string{"id", "contact", "field", "value", "cdate", "udate", "owner"} {
		if _, ok := one[key].(string); !ok {
			t.Errorf("a value's %s is %#v, want a string", key, one[key])
		}
	}
	// filters[val] keeps the values equal to it.
	if m := e.api("GET", "/fieldValues?filters[fieldid]="+course+"&filters[val]=Course%2012", nil, 200); get(m, "meta", "total") != "1" {
		t.Errorf("filters[val]=Course 12: meta.total %v, want \"1\"", get(m, "meta", "total"))
	}
	// It needs the fields permission, as /fields does.
	if err := e.srv.Deny("acme", simac.PermFields, false); err != nil {
		t.Fatal(err)
	}
	if r := e.do("GET", "/acme/api/3/fieldValues?filters[fieldid]="+course, nil); r.status != http.StatusForbidden {
		t.Errorf("without the fields permission: status %d, want 403", r.status)
	}
}

// TestFieldValueFilterReadings: the two undocumented readings of
// filters[fieldid] can be switched on per account, through Go and the
// control API: "ignored" answers every field's values (and counts them
// all in meta.total), "contains" every field whose id contains the digits.
func TestFieldValueFilterReadings(t *testing.T) {
	e := newEnv(t, simac.Options{})
	ids := fieldValuesWorld(t, e)
	course := ids["COURSE"] // 1, so "contains" also takes field 10
	if course != "1" || ids["F10"] != "10" {
		t.Fatalf("field ids %v: the test needs COURSE = 1 and F10 = 10", ids)
	}
	for _, tt := range []struct {
		filter    string
		total     string
		wantField map[string]bool
	}{
		{"exact", "249", map[string]bool{"1": true}},
		{simac.FieldFilterContains, "274", map[string]bool{"1": true, "10": true}},
		{simac.FieldFilterIgnored, "474", map[string]bool{"1": true, "2": true, "3": true, "4": true, "5": true, "6": true, "7": true, "8": true, "9": true, "10": true}},
	} {
		if r := e.do("PUT", "/_sandbox/accounts/acme/field-value-filter", map[string]string{"fieldid": tt.filter}); r.status != http.StatusNoContent {
			t.Fatalf("setting %q: status %d %s", tt.filter, r.status, r.body)
		}
		m := e.api("GET", "/fieldValues?filters[fieldid]="+course+"&limit=100", nil, 200)
		if total := get(m, "meta", "total"); total != tt.total {
			t.Errorf("%s: meta.total %v, want %s", tt.filter, total, tt.total)
		}
		_, fields, _ := scanField(t, e, course)
		seen := map[string]bool{}
		for _, f := range fields {
			seen[f] = true
		}
		if fmt.Sprint(seen) != fmt.Sprint(tt.wantField) {
			t.Errorf("%s: fields answered %v, want %v", tt.filter, seen, tt.wantField)
		}
	}
	if r := e.do("PUT", "/_sandbox/accounts/acme/field-value-filter", map[string]string{"fieldid": "fuzzy"}); r.status != http.StatusBadRequest {
		t.Errorf("an unknown reading: status %d, want 400", r.status)
	}
	if err := e.srv.SetFieldValueFilter("acme", simac.FieldValueFilter{FieldID: simac.FieldFilterExact}); err != nil {
		t.Fatal(err)
	}
	if m := e.api("GET", "/fieldValues?filters[fieldid]="+course, nil, 200); get(m, "meta", "total") != "249" {
		t.Errorf("back to exact through Go: meta.total %v, want 249", get(m, "meta", "total"))
	}
}

// TestFieldValuesCountAgainstTheLimit: the route passes the account's rate
// limit like every other API route.
func TestFieldValuesCountAgainstTheLimit(t *testing.T) {
	e := newEnv(t, simac.Options{RatePerSecond: 2})
	e.importContacts(simac.ContactInput{Email: "a@example.com", Fields: map[string]string{"COURSE": "Go"}})
	statuses := map[int]int{}
	for range 4 {
		statuses[e.do("GET", "/acme/api/3/fieldValues?filters[fieldid]=1", nil).status]++
	}
	if statuses[200] != 2 || statuses[429] != 2 {
		t.Errorf("four calls at once with a limit of 2/s: %v, want two 200 and two 429", statuses)
	}
	if n := e.srv.Gate().Stats().ByEndpoint["GET /api/3/fieldValues"]; n != 4 {
		t.Errorf("counted %d calls of GET /api/3/fieldValues, want 4", n)
	}
}

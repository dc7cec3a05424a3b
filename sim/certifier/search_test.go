package certifier

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// searchFixture makes six credentials, one minute apart, from 10:00 on, in
// a sandbox searching in the given mode.
//
//	#  name           email               group   status
//	0  Ada Lovelace   ada@example.org     course  issued
//	1  Ada Lovelace   ada@example.org     vip     draft
//	2  Alan Turing    alan@example.org    course  draft
//	3  Grace Hopper   grace@navy.mil      course  issued
//	4  Grace Hopper   grace@navy.mil      webinar draft
//	5  Bob            (none)              vip     draft
func searchFixture(t *testing.T, mode SearchMode) (*sandbox, []string) {
	clk := &clock{t: time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)}
	sb := newSandbox(t, Options{Now: clk.Now, Search: mode})
	rows := []struct {
		name, email string
		group       Group
		issue       bool
	}{
		{"Ada Lovelace", "ada@example.org", sb.sample.CourseCompletion, true},
		{"Ada Lovelace", "ada@example.org", sb.sample.VIPMember, false},
		{"Alan Turing", "alan@example.org", sb.sample.CourseCompletion, false},
		{"Grace Hopper", "grace@navy.mil", sb.sample.CourseCompletion, true},
		{"Grace Hopper", "grace@navy.mil", sb.sample.WebinarAttendance, false},
		{"Bob", "", sb.sample.VIPMember, false},
	}
	var ids []string
	for i, r := range rows {
		clk.Advance(time.Minute)
		rec := map[string]any{"name": r.name}
		if r.email != "" {
			rec["email"] = r.email
		}
		c := sb.ok(201, "POST", "/credentials", map[string]any{"groupId": r.group.ID, "recipient": rec, "issueDate": fmt.Sprintf("2025-01-%02d", 10-i)})
		id := c["id"].(string)
		if r.issue {
			sb.ok(200, "POST", "/credentials/"+id+"/issue", nil)
		}
		ids = append(ids, id)
	}
	return sb, ids
}

// The lenient mode's filters, the sandbox's extras included.
func TestSearchFilters(t *testing.T) {
	sb, ids := searchFixture(t, SearchLenient)
	course, vip := sb.sample.CourseCompletion.ID, sb.sample.VIPMember.ID
	type m = map[string]any
	for _, tc := range []struct {
		name   string
		filter any
		want   []int // fixture rows, in the default order (newest first)
	}{
		{"no filter", nil, []int{5, 4, 3, 2, 1, 0}},
		{"empty filter", m{}, []int{5, 4, 3, 2, 1, 0}},
		{"spec example: AND of status in, nested email, groupId", m{"AND": []any{
			m{"status": m{"in": []string{"issued", "scheduled"}}},
			m{"recipient": m{"email": m{"equals": "ada@example.org"}}},
			m{"groupId": m{"equals": course}},
		}}, []int{0}},
		{"dotted field", m{"recipient.email": m{"equals": "ada@example.org"}}, []int{1, 0}},
		{"nested field with two sub-fields", m{"recipient": m{"email": m{"equals": "grace@navy.mil"}, "name": m{"startsWith": "Grace"}}}, []int{4, 3}},
		{"keys of one object all hold", m{"recipient.email": m{"equals": "ada@example.org"}, "groupId": m{"equals": vip}}, []int{1}},
		{"OR", m{"OR": []any{m{"recipient.name": m{"equals": "Bob"}}, m{"recipient.email": m{"endsWith": ".mil"}}}}, []int{5, 4, 3}},
		{"NOT as array: none may match", m{"NOT": []any{m{"groupId": m{"equals": course}}, m{"recipient.name": m{"equals": "Bob"}}}}, []int{4, 1}},
		{"NOT as object", m{"NOT": m{"status": m{"equals": "draft"}}}, []int{3, 0}},
		{"nested logic", m{"AND": []any{
			m{"OR": []any{m{"groupId": m{"equals": course}}, m{"groupId": m{"equals": vip}}}},
			m{"NOT": []any{m{"recipient.email": m{"contains": "example"}}}},
		}}, []int{5, 3}},
		{"in on email", m{"recipient.email": m{"in": []string{"alan@example.org", "grace@navy.mil", "nobody@example.org"}}}, []int{4, 3, 2}},
		{"in, empty list", m{"recipient.email": m{"in": []string{}}}, nil},
		{"contains", m{"recipient.name": m{"contains": "Hop"}}, []int{4, 3}},
		{"startsWith", m{"recipient.name": m{"startsWith": "A"}}, []int{2, 1, 0}},
		{"case-sensitive", m{"recipient.email": m{"equals": "ADA@example.org"}}, nil},
		{"two operators on a field", m{"recipient.name": m{"startsWith": "A", "endsWith": "Turing"}}, []int{2}},
		{"missing email matches nothing", m{"recipient.email": m{"contains": ""}}, []int{4, 3, 2, 1, 0}},
		{"id", m{"id": m{"equals": ids[2]}}, []int{2}},
		{"createdAt gte", m{"createdAt": m{"gte": "2025-06-01T10:04:00.000Z"}}, []int{5, 4, 3}},
		{"createdAt gt", m{"createdAt": m{"gt": "2025-06-01T10:04:00Z"}}, []int{5, 4}},
		{"createdAt range", m{"createdAt": m{"gt": "2025-06-01T10:01:00Z", "lte": "2025-06-01T10:03:00+00:00"}}, []int{2, 1}},
		{"recent attempt for one email and group", m{"AND": []any{
			m{"recipient.email": m{"equals": "grace@navy.mil"}},
			m{"groupId": m{"equals": course}},
			m{"createdAt": m{"gte": "2025-06-01T10:03:30Z"}},
		}}, []int{3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := map[string]any{}
			if tc.filter != nil {
				body["filter"] = tc.filter
			}
			data, _, _ := sb.api("POST", "/credentials/search", body).list(t)
			var got []int
			for _, c := range data {
				got = append(got, slices.Index(ids, c["id"].(string)))
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("rows %v, want %v", got, tc.want)
			}
		})
	}
	t.Run("publicId", func(t *testing.T) {
		pub := sb.ok(200, "GET", "/credentials/"+ids[3], nil)["publicId"]
		data, _, _ := sb.api("POST", "/credentials/search", m{"filter": m{"publicId": m{"equals": pub}}}).list(t)
		if len(data) != 1 || data[0]["id"] != ids[3] {
			t.Fatalf("got %v", data)
		}
	})
}

func TestSearchSortAndPagination(t *testing.T) {
	sb, ids := searchFixture(t, SearchLenient)
	search := func(body map[string]any) ([]int, *string, *string) {
		t.Helper()
		data, prev, next := sb.api("POST", "/credentials/search", body).list(t)
		var rows []int
		for _, c := range data {
			rows = append(rows, slices.Index(ids, c["id"].(string)))
		}
		return rows, prev, next
	}
	for _, tc := range []struct {
		sort map[string]any
		want []int
	}{
		{map[string]any{"property": "createdAt", "order": "asc"}, []int{0, 1, 2, 3, 4, 5}},
		{map[string]any{"property": "createdAt", "order": "desc"}, []int{5, 4, 3, 2, 1, 0}},
		{map[string]any{"order": "asc"}, []int{0, 1, 2, 3, 4, 5}},
		{map[string]any{"property": "issueDate", "order": "asc"}, []int{5, 4, 3, 2, 1, 0}}, // issue dates run backwards
		{map[string]any{"property": "issueDate"}, []int{0, 1, 2, 3, 4, 5}},
	} {
		if got, _, _ := search(map[string]any{"sort": tc.sort}); !slices.Equal(got, tc.want) {
			t.Errorf("sort %v: rows %v, want %v", tc.sort, got, tc.want)
		}
	}

	for _, sort := range []map[string]any{{"property": "createdAt", "order": "asc"}, {"property": "issueDate", "order": "desc"}} {
		filter := map[string]any{"recipient.email": map[string]any{"contains": "@"}}
		var all []int
		var cursor any
		for pages := 1; ; pages++ {
			rows, prev, next := search(map[string]any{"filter": filter, "sort": sort, "limit": 2, "cursor": cursor})
			if (pages == 1) != (prev == nil) {
				t.Fatalf("page %d: prev %v", pages, prev)
			}
			all = append(all, rows...)
			if next == nil {
				break
			}
			cursor = *next
			if pages > 3 {
				t.Fatal("pagination does not end")
			}
		}
		if len(all) != 5 || len(slices.Compact(slices.Sorted(slices.Values(all)))) != 5 {
			t.Errorf("sort %v: paged rows %v, want the 5 with an email once each", sort, all)
		}
	}

	// A page stays stable when a credential is created meanwhile.
	first, _, next := search(map[string]any{"limit": 3})
	sb.credential("Late", "late@example.org")
	second, _, _ := search(map[string]any{"limit": 3, "cursor": *next})
	if !slices.Equal(first, []int{5, 4, 3}) || !slices.Equal(second, []int{2, 1, 0}) {
		t.Fatalf("pages %v then %v", first, second)
	}
	// A cursor belongs to its sort.
	wantError(t, sb.api("POST", "/credentials/search", map[string]any{"cursor": *next, "sort": map[string]any{"order": "asc"}}), 400, "validation_error")
}

func TestSearchValidation(t *testing.T) {
	sb, _ := searchFixture(t, SearchLenient)
	type m = map[string]any
	for _, tc := range []struct {
		name   string
		body   any
		inText string
	}{
		{"unknown field", m{"filter": m{"recipient.phone": m{"equals": "1"}}}, "recipient.phone"},
		{"unknown nested field", m{"filter": m{"recipient": m{"phone": m{"equals": "1"}}}}, "recipient.phone"},
		{"unknown top field", m{"filter": m{"email": m{"equals": "a@b.c"}}}, "email"},
		{"unknown operator", m{"filter": m{"recipient.email": m{"like": "a%"}}}, "like"},
		{"contains on status", m{"filter": m{"status": m{"contains": "iss"}}}, "contains"},
		{"unknown status", m{"filter": m{"status": m{"equals": "sent"}}}, "sent"},
		{"range on text", m{"filter": m{"recipient.name": m{"gt": "A"}}}, "gt"},
		{"bare value instead of operators", m{"filter": m{"recipient.email": "ada@example.org"}}, "recipient.email"},
		{"empty operators", m{"filter": m{"groupId": m{}}}, "groupId"},
		{"non-string value", m{"filter": m{"groupId": m{"equals": 5}}}, "equals"},
		{"in not an array", m{"filter": m{"groupId": m{"in": "x"}}}, "in"},
		{"in with numbers", m{"filter": m{"groupId": m{"in": []int{1}}}}, "in"},
		{"bad createdAt", m{"filter": m{"createdAt": m{"gte": "yesterday"}}}, "createdAt"},
		{"date-only createdAt", m{"filter": m{"createdAt": m{"gte": "2025-06-01"}}}, "createdAt"},
		{"AND not an array", m{"filter": m{"AND": m{"groupId": m{"equals": "x"}}}}, "AND"},
		{"OR of non-objects", m{"filter": m{"OR": []any{"x"}}}, "OR[0]"},
		{"filter not an object", m{"filter": []any{}}, "filter"},
		{"sort property", m{"sort": m{"property": "recipient.phone"}}, "sort.property"},
		{"sort order", m{"sort": m{"order": "up"}}, "sort.order"},
		{"limit over 100", m{"limit": 101}, "limit"},
		{"limit zero", m{"limit": 0}, "limit"},
		{"limit not an integer", m{"limit": 2.5}, "limit"},
		{"bad cursor", m{"cursor": "abc"}, "cursor"},
		{"unknown body field", m{"query": "x"}, "query"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := wantError(t, sb.api("POST", "/credentials/search", tc.body), 400, "validation_error")
			if !strings.Contains(msg, tc.inText) {
				t.Errorf("message %q does not name %q", msg, tc.inText)
			}
		})
	}
	deep := map[string]any{"groupId": map[string]any{"equals": "x"}}
	for range 20 {
		deep = map[string]any{"AND": []any{deep}}
	}
	wantError(t, sb.api("POST", "/credentials/search", map[string]any{"filter": deep}), 400, "validation_error")
	wantError(t, sb.api("POST", "/credentials/search", "{"), 400, "invalid_json")
}

// Strict search takes what Certifier's search reference documents and
// refuses everything else with a message naming it.
func TestStrictSearch(t *testing.T) {
	sb, ids := searchFixture(t, SearchStrict)
	course := sb.sample.CourseCompletion.ID
	type m = map[string]any
	search := func(body any) response { return sb.api("POST", "/credentials/search", body) }

	t.Run("accepts the documented", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			body m
			want []int
		}{
			{"no filter", m{}, []int{5, 4, 3, 2, 1, 0}},
			{"email equals, nested", m{"filter": m{"recipient": m{"email": m{"equals": "ada@example.org"}}}}, []int{1, 0}},
			{"email equals, dotted", m{"filter": m{"recipient.email": m{"equals": "grace@navy.mil"}}}, []int{4, 3}},
			{"email in", m{"filter": m{"recipient.email": m{"in": []string{"alan@example.org", "grace@navy.mil"}}}}, []int{4, 3, 2}},
			{"email contains", m{"filter": m{"recipient.email": m{"contains": "navy"}}}, []int{4, 3}},
			{"email startsWith", m{"filter": m{"recipient.email": m{"startsWith": "al"}}}, []int{2}},
			{"email endsWith", m{"filter": m{"recipient.email": m{"endsWith": ".mil"}}}, []int{4, 3}},
			{"name equals", m{"filter": m{"recipient.name": m{"equals": "Bob"}}}, []int{5}},
			{"status equals", m{"filter": m{"status": m{"equals": "issued"}}}, []int{3, 0}},
			{"status in", m{"filter": m{"status": m{"in": []string{"issued", "scheduled"}}}}, []int{3, 0}},
			{"AND, OR, NOT", m{"filter": m{"AND": []any{
				m{"OR": []any{m{"recipient.email": m{"equals": "ada@example.org"}}, m{"recipient.email": m{"equals": "grace@navy.mil"}}}},
				m{"NOT": []any{m{"status": m{"equals": "draft"}}}},
			}}}, []int{3, 0}},
			{"sort createdAt asc", m{"filter": m{"recipient.email": m{"equals": "ada@example.org"}}, "sort": m{"property": "createdAt", "order": "asc"}}, []int{0, 1}},
			{"sort createdAt desc, limit", m{"sort": m{"property": "createdAt", "order": "desc"}, "limit": 2}, []int{5, 4}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				data, _, _ := search(tc.body).list(t)
				var got []int
				for _, c := range data {
					got = append(got, slices.Index(ids, c["id"].(string)))
				}
				if !slices.Equal(got, tc.want) {
					t.Fatalf("rows %v, want %v", got, tc.want)
				}
			})
		}
	})

	t.Run("pages with a cursor", func(t *testing.T) {
		body := m{"filter": m{"recipient.email": m{"in": []string{"ada@example.org", "grace@navy.mil"}}}, "sort": m{"property": "createdAt", "order": "desc"}, "limit": 3}
		first, _, next := search(body).list(t)
		if next == nil {
			t.Fatalf("one page of %d, want a next cursor", len(first))
		}
		body["cursor"] = *next
		second, _, last := search(body).list(t)
		if len(first) != 3 || len(second) != 1 || last != nil {
			t.Fatalf("pages of %d and %d (next %v), want 3 and 1 and no third", len(first), len(second), last)
		}
	})

	t.Run("refuses the undocumented", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			body m
			want string // the whole message
		}{
			{"groupId", m{"filter": m{"groupId": m{"equals": course}}},
				"filter: groupId is not a searchable field; the searchable fields are recipient.email, recipient.name, status"},
			{"groupId inside AND", m{"filter": m{"AND": []any{m{"recipient.email": m{"equals": "ada@example.org"}}, m{"groupId": m{"equals": course}}}}},
				"filter.AND[1]: groupId is not a searchable field; the searchable fields are recipient.email, recipient.name, status"},
			{"createdAt range", m{"filter": m{"createdAt": m{"gte": "2025-06-01T10:04:00.000Z"}}},
				"filter: createdAt is not a searchable field (createdAt can be sorted on with sort.property, not filtered on); the searchable fields are recipient.email, recipient.name, status"},
			{"createdAt equals", m{"filter": m{"NOT": []any{m{"createdAt": m{"equals": "2025-06-01T10:04:00.000Z"}}}}},
				"filter.NOT[0]: createdAt is not a searchable field (createdAt can be sorted on with sort.property, not filtered on); the searchable fields are recipient.email, recipient.name, status"},
			{"id", m{"filter": m{"id": m{"equals": ids[0]}}},
				"filter: id is not a searchable field; the searchable fields are recipient.email, recipient.name, status"},
			{"publicId", m{"filter": m{"publicId": m{"equals": "x"}}},
				"filter: publicId is not a searchable field; the searchable fields are recipient.email, recipient.name, status"},
			{"unknown recipient field", m{"filter": m{"recipient": m{"id": m{"equals": "x"}}}},
				"filter: recipient.id is not a searchable field; the searchable fields are recipient.email, recipient.name, status"},
			{"range operator on email", m{"filter": m{"recipient.email": m{"gte": "a"}}},
				`filter.recipient.email: unknown operator "gte"; recipient.email takes equals, contains, startsWith, endsWith, in`},
			{"contains on status", m{"filter": m{"status": m{"contains": "iss"}}},
				`filter.status: unknown operator "contains"; status takes equals, in`},
			{"unknown status", m{"filter": m{"status": m{"in": []string{"issued", "sent"}}}},
				`filter.status.in: "sent" is not a status; use draft, scheduled, issued, expired`},
			{"sort on updatedAt", m{"sort": m{"property": "updatedAt", "order": "desc"}},
				"sort.property: updatedAt is not a sortable property; the only one is createdAt"},
			{"sort on issueDate", m{"sort": m{"property": "issueDate"}},
				"sort.property: issueDate is not a sortable property; the only one is createdAt"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if msg := wantError(t, search(tc.body), 400, "validation_error"); msg != tc.want {
					t.Errorf("message\n %q\nwant\n %q", msg, tc.want)
				}
			})
		}
	})

	t.Run("switches at run time", func(t *testing.T) {
		byGroup := m{"filter": m{"groupId": m{"equals": course}}}
		sb.srv.SetStrictSearch(false)
		if data, _, _ := search(byGroup).list(t); len(data) != 3 {
			t.Fatalf("lenient: %d credentials of the course group, want 3", len(data))
		}
		sb.srv.SetStrictSearch(true)
		wantError(t, search(byGroup), 400, "validation_error")
		sb.srv.SetStrictSearch(false)
		sb.srv.Reset() // back to the mode the server was made with
		if !sb.srv.StrictSearch() {
			t.Fatal("Reset left search lenient; the server was made strict")
		}
	})
}

// An email is stored as the create gave it and compared exactly, case
// included, in both modes: the least favourable reading of the
// reference's "equals: Exact match" for a client.
func TestSearchEmailIsExact(t *testing.T) {
	for _, mode := range []SearchMode{SearchStrict, SearchLenient} {
		t.Run(string(mode), func(t *testing.T) {
			sb := newSandbox(t, Options{Search: mode})
			c := sb.credential("Ada Lovelace", "Ada.Lovelace@Example.org")
			if got := sb.ok(200, "GET", "/credentials/"+c["id"].(string), nil)["recipient"].(map[string]any)["email"]; got != "Ada.Lovelace@Example.org" {
				t.Fatalf("stored email %v, want it as given", got)
			}
			for _, tc := range []struct {
				filter map[string]any
				found  bool
			}{
				{map[string]any{"equals": "Ada.Lovelace@Example.org"}, true},
				{map[string]any{"in": []string{"x@example.org", "Ada.Lovelace@Example.org"}}, true},
				{map[string]any{"equals": "ada.lovelace@example.org"}, false},
				{map[string]any{"in": []string{"ada.lovelace@example.org"}}, false},
				{map[string]any{"equals": " Ada.Lovelace@Example.org"}, false},
			} {
				data, _, _ := sb.api("POST", "/credentials/search", map[string]any{"filter": map[string]any{"recipient.email": tc.filter}}).list(t)
				if (len(data) == 1) != tc.found || len(data) > 1 {
					t.Errorf("%v: %d found, want found=%v", tc.filter, len(data), tc.found)
				}
			}
		})
	}
}

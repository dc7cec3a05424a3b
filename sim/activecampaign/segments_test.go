package activecampaign_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	simac "github.com/autocred/autocred/sim/activecampaign"
)

// Membership follows the contact's data as changed through the API.
func TestMembershipFollowsAPIChanges(t *testing.T) {
	e := newEnv(t, simac.Options{})
	ids := e.importContacts(simac.ContactInput{Email: "a@example.com"}, simac.ContactInput{Email: "b@example.com", Fields: map[string]string{"COURSE_COMPLETED": "No"}})
	vip := e.segment(simac.SegmentDef{Name: "VIP", Conditions: []simac.Condition{tagCond("has", "VIP")}})
	done := e.segment(simac.SegmentDef{Name: "Done", Conditions: []simac.Condition{{Type: "field", Op: "equals", Field: "COURSE_COMPLETED", Value: "yes"}}})

	if e.matchOne(vip.ID, ids[0]) {
		t.Fatal("contact in VIP before it has the tag")
	}
	bulkTag := func(body string) {
		t.Helper()
		if r := e.doKey("POST", "/_sandbox/accounts/acme/bulk-tag", body, ""); r.status != 204 {
			t.Fatalf("bulk-tag %s: %d %s", body, r.status, r.body)
		}
	}
	bulkTag(`{"contact_ids":[1],"tag":"VIP"}`)
	if !e.matchOne(vip.ID, ids[0]) {
		t.Fatal("tag added: contact should be in VIP")
	}
	bulkTag(`{"contact_ids":[1],"tag":"vip","remove":true}`)
	if e.matchOne(vip.ID, ids[0]) {
		t.Fatal("tag removed: contact should be out of VIP")
	}

	// Field values, through PUT /contacts/{id}.
	setDone := func(v string) {
		e.api("PUT", "/contacts/2", map[string]any{"contact": map[string]any{"fieldValues": []any{map[string]any{"field": "1", "value": v}}}}, 200)
	}
	setDone("YES")
	if !e.matchOne(done.ID, ids[1]) {
		t.Fatal("field set to YES: contact should be in Done (case-insensitive)")
	}
	setDone("No")
	if e.matchOne(done.ID, ids[1]) {
		t.Fatal("field set to No: contact should be out")
	}
	if r := e.do("GET", "/acme/api/3/segmentMatch/"+vip.ID+"/999", nil); r.status != 200 {
		t.Fatalf("unknown contact: %d", r.status)
	}
}

func TestSegmentRules(t *testing.T) {
	e := newEnv(t, simac.Options{})
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d.Add(18 * time.Hour) }
	e.importContacts(
		simac.ContactInput{Email: "a@example.com", Tags: []string{"VIP"}, Fields: map[string]string{"PLAN": "Pro Annual"}, Lists: []string{"News"}, CDate: day("2024-01-10")},
		simac.ContactInput{Email: "", Fields: map[string]string{"PLAN": ""}, CDate: day("2024-06-01")},
		simac.ContactInput{Email: "c@bad", Tags: []string{"Webinar"}, CDate: day("2025-03-01")},
	)
	if _, err := e.srv.Import("acme", nil); err != nil {
		t.Fatal(err)
	}
	// Contact 2 subscribes then unsubscribes from News.
	e.api("POST", "/contactLists", map[string]any{"contactList": map[string]any{"list": 1, "contact": 2, "status": 1}}, 200)
	e.api("POST", "/contactLists", map[string]any{"contactList": map[string]any{"list": 1, "contact": 2, "status": 2}}, 200)

	tests := []struct {
		name  string
		logic string
		conds []simac.Condition
		want  []int64
	}{
		{"tag has", "", []simac.Condition{tagCond("has", "vip")}, []int64{1}},
		{"tag has_not", "", []simac.Condition{tagCond("has_not", "VIP")}, []int64{2, 3}},
		{"tag that does not exist", "", []simac.Condition{tagCond("has", "Nope")}, nil},
		{"field equals", "", []simac.Condition{{Type: "field", Op: "equals", Field: "PLAN", Value: "pro annual"}}, []int64{1}},
		{"field not_equals", "", []simac.Condition{{Type: "field", Op: "not_equals", Field: "PLAN", Value: "Pro Annual"}}, []int64{2, 3}},
		{"field contains", "", []simac.Condition{{Type: "field", Op: "contains", Field: "plan", Value: "annual"}}, []int64{1}},
		{"field empty", "", []simac.Condition{{Type: "field", Op: "empty", Field: "PLAN"}}, []int64{2, 3}},
		{"field not_empty", "", []simac.Condition{{Type: "field", Op: "not_empty", Field: "PLAN"}}, []int64{1}},
		{"list subscribed", "", []simac.Condition{{Type: "list", Op: "subscribed", Value: "News"}}, []int64{1}},
		{"list unsubscribed", "", []simac.Condition{{Type: "list", Op: "unsubscribed", Value: "News"}}, []int64{2}},
		{"created before", "", []simac.Condition{{Type: "created", Op: "before", Value: "2024-06-01"}}, []int64{1}},
		{"created after", "", []simac.Condition{{Type: "created", Op: "after", Value: "2024-06-01"}}, []int64{3}},
		{"email valid", "", []simac.Condition{{Type: "email", Op: "valid"}}, []int64{1}},
		{"email empty", "", []simac.Condition{{Type: "email", Op: "empty"}}, []int64{2}},
		{"and", "and", []simac.Condition{tagCond("has_not", "VIP"), {Type: "email", Op: "not_empty"}}, []int64{3}},
		{"or", "or", []simac.Condition{tagCond("has", "VIP"), tagCond("has", "Webinar")}, []int64{1, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seg := e.segment(simac.SegmentDef{Name: tt.name, Logic: tt.logic, Conditions: tt.conds})
			got, err := e.srv.Members("acme", seg.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("members %v, want %v", got, tt.want)
			}
			for id := int64(1); id <= 3; id++ {
				if in := e.matchOne(seg.ID, id); in != slices.Contains(tt.want, id) {
					t.Errorf("segmentMatch contact %d = %v", id, in)
				}
			}
		})
	}
	// Deleting a contact takes it out of every segment.
	seg := e.segment(simac.SegmentDef{Name: "all valid", Conditions: []simac.Condition{{Type: "email", Op: "valid"}}})
	e.api("DELETE", "/contacts/1", nil, 200)
	if got, _ := e.srv.Members("acme", seg.ID); len(got) != 0 {
		t.Fatalf("deleted contact still a member: %v", got)
	}
}

func TestSegmentDefValidation(t *testing.T) {
	e := newEnv(t, simac.Options{})
	bad := []simac.SegmentDef{
		{Conditions: []simac.Condition{tagCond("has", "x")}},
		{Name: "no conditions"},
		{Name: "logic", Logic: "xor", Conditions: []simac.Condition{tagCond("has", "x")}},
		{Name: "type", Conditions: []simac.Condition{{Type: "score", Op: "gt"}}},
		{Name: "op", Conditions: []simac.Condition{{Type: "tag", Op: "is", Value: "x"}}},
		{Name: "tag value", Conditions: []simac.Condition{{Type: "tag", Op: "has"}}},
		{Name: "field", Conditions: []simac.Condition{{Type: "field", Op: "equals", Value: "x"}}},
		{Name: "date", Conditions: []simac.Condition{{Type: "created", Op: "before", Value: "01/02/2024"}}},
	}
	for _, def := range bad {
		if _, err := e.srv.DefineSegment("acme", def); err == nil {
			t.Errorf("%+v: want an error", def)
		}
	}
}

func TestAudiencesAndLegacySegments(t *testing.T) {
	e := newEnv(t, simac.Options{})
	a := e.segment(simac.SegmentDef{Name: "Beta users", Conditions: []simac.Condition{tagCond("has", "beta")}})
	time.Sleep(5 * time.Millisecond)
	b := e.segment(simac.SegmentDef{Name: "Alpha users", Conditions: []simac.Condition{tagCond("has", "alpha")}})
	l := e.segment(simac.SegmentDef{Name: "Old list segment", Legacy: true, Conditions: []simac.Condition{tagCond("has", "old")}})
	if l.LegacyID != 1 || l.ID == "" || a.LegacyID != 0 {
		t.Fatalf("ids: %+v %+v", a, l)
	}

	m := e.api("GET", "/audiences", nil, 200)
	data := m["data"].([]any)
	if len(data) != 2 || get(data, 0, "id") != b.ID || get(data, 0, "type") != "segmentSummary" {
		t.Fatalf("audiences (default -updated_date): %v", m)
	}
	attrs := get(data, 0, "attributes").(map[string]any)
	if attrs["segment_id"] != b.ID || attrs["category"] != "audience" || get(attrs, "counts", "last_total") == nil {
		t.Fatalf("attributes: %v", attrs)
	}
	if got := e.api("GET", "/audiences?sort=name", nil, 200); get(got, "data", 0, "id") != b.ID {
		t.Fatal("sort=name")
	}
	if got := e.api("GET", "/audiences?search=BETA", nil, 200); len(got["data"].([]any)) != 1 {
		t.Fatal("search")
	}
	if got := e.api("GET", "/audiences?page=2&page_size=1", nil, 200); get(got, "data", 0, "id") != a.ID {
		t.Fatalf("page 2: %v", got)
	}
	if r := e.do("GET", "/acme/api/3/audiences?sort=bogus", nil); r.status != 400 {
		t.Fatalf("bad sort: %d", r.status)
	}

	seg := e.api("GET", "/segments", nil, 200)
	if get(seg, "meta", "total") != "1" || get(seg, "segments", 0, "id") != "1" || get(seg, "segments", 0, "hidden") != "0" {
		t.Fatalf("legacy segments: %v", seg)
	}
	if get(seg, "segments", 0, "name") != "Old list segment" {
		t.Fatalf("segment 1: %v", seg)
	}
	if err := e.srv.UpdateSegment("acme", a.ID, simac.SegmentDef{Name: "Beta", Conditions: []simac.Condition{tagCond("has", "b")}}); err != nil {
		t.Fatal(err)
	}
	if got := e.api("GET", "/audiences", nil, 200); get(got, "data", 0, "attributes", "name") != "Beta" {
		t.Fatalf("updated segment should sort first: %v", got)
	}
}

func memberIDs(n int) []simac.ContactInput {
	in := make([]simac.ContactInput, n)
	for i := range in {
		in[i] = simac.ContactInput{Email: fmt.Sprintf("m%d@example.com", i+1), Tags: []string{"In"}}
	}
	return in
}

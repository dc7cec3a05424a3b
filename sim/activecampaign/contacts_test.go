package activecampaign_test

import (
	"fmt"
	"testing"
	"time"

	simac "github.com/autocred/autocred/sim/activecampaign"
)

func TestAuth(t *testing.T) {
	e := newEnv(t, simac.Options{})
	tests := []struct {
		name, path, key string
		want            int
	}{
		{"good key", "/acme/api/3/users/me", testKey, 200},
		{"wrong key", "/acme/api/3/users/me", "nope", 401},
		{"missing key", "/acme/api/3/users/me", "", 401},
		{"unknown account", "/nobody/api/3/users/me", testKey, 404},
		{"unknown resource", "/acme/api/3/nothing", testKey, 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.doKey("GET", tt.path, nil, tt.key)
			if r.status != tt.want {
				t.Fatalf("status %d, want %d: %s", r.status, tt.want, r.body)
			}
			m := r.json(t)
			if tt.want == 200 {
				if get(m, "user", "id") != "1" {
					t.Fatalf("users/me: %v", m)
				}
				return
			}
			if errs, ok := m["errors"].([]any); !ok || len(errs) == 0 || get(errs, 0, "title") == "" {
				t.Fatalf("want an errors[] body, got %s", r.body)
			}
		})
	}
}

func TestContactsAreStrings(t *testing.T) {
	e := newEnv(t, simac.Options{})
	ids := e.importContacts(simac.ContactInput{Email: "ana@example.com", FirstName: "Ana", LastName: "Lee",
		Tags: []string{"VIP"}, Fields: map[string]string{"COURSE": "Go"}, Lists: []string{"Newsletter"}})
	m := e.api("GET", fmt.Sprintf("/contacts?ids=%d", ids[0]), nil, 200)
	c := get(m, "contacts", 0).(map[string]any)
	for k, v := range c {
		switch v.(type) {
		case string, nil, map[string]any, []any:
		default:
			t.Errorf("contact.%s is %T (%v), want a string", k, v, v)
		}
	}
	if c["id"] != "1" || c["email"] != "ana@example.com" || c["firstName"] != "Ana" {
		t.Fatalf("contact: %v", c)
	}
	if _, err := time.Parse("2006-01-02T15:04:05-07:00", c["cdate"].(string)); err != nil {
		t.Fatalf("cdate %v: %v", c["cdate"], err)
	}
	if u := get(c, "links", "fieldValues").(string); u != e.ts.URL+"/acme/api/3/contacts/1/fieldValues" {
		t.Fatalf("links.fieldValues = %s", u)
	}
	// List responses carry no field values and a string meta.total.
	if get(m, "meta", "total") != "1" {
		t.Fatalf("meta.total = %#v", get(m, "meta", "total"))
	}
	if _, ok := c["fieldValues"]; ok {
		t.Fatal("list items must not carry fieldValues")
	}
	fv := get(e.api("GET", "/contacts/1/fieldValues", nil, 200), "fieldValues", 0).(map[string]any)
	if fv["value"] != "Go" || fv["contact"] != "1" || fv["field"] != "1" {
		t.Fatalf("fieldValues[0] = %v", fv)
	}

	r := e.do("GET", "/acme/api/3/contacts/99/fieldValues", nil)
	if r.status != 404 || r.json(t)["message"] != "No Result found for Subscriber with id 99" {
		t.Fatalf("missing contact fieldValues: %d %s", r.status, r.body)
	}
}

func TestContactListFiltersAndPaging(t *testing.T) {
	e := newEnv(t, simac.Options{})
	old := time.Date(2020, 1, 1, 12, 0, 0, 0, time.UTC)
	var in []simac.ContactInput
	for i := 1; i <= 150; i++ {
		c := simac.ContactInput{Email: fmt.Sprintf("c%03d@example.com", i), FirstName: fmt.Sprintf("F%03d", 151-i)}
		if i <= 10 {
			c.CDate = old
			c.Tags = []string{"Early"}
			c.Lists = []string{"Newsletter"}
		}
		in = append(in, c)
	}
	e.importContacts(in...)
	count := func(q string) (int, string) {
		m := e.api("GET", "/contacts?"+q, nil, 200)
		cs := m["contacts"].([]any)
		first := ""
		if len(cs) > 0 {
			first = get(cs, 0, "id").(string)
		}
		return len(cs), get(m, "meta", "total").(string) + "/" + first
	}
	tests := []struct {
		query     string
		wantN     int
		wantTotal string // total/first id
	}{
		{"", 20, "150/1"},
		{"limit=500", 100, "150/1"}, // clamped to 100
		{"limit=100&offset=100", 50, "150/101"},
		{"offset=149", 1, "150/150"},
		{"ids[]=3&ids[]=5", 2, "2/3"},
		{"ids=7,8,9", 3, "3/7"},
		{"email=C042@example.com", 1, "1/42"},
		{"id_greater=140&orders[id]=ASC", 10, "10/141"},
		{"orders[id]=DESC", 20, "150/150"},
		{"orders[first_name]=ASC", 20, "150/150"},
		{"tagid=1", 10, "10/1"},
		{"tagid=999", 0, "0/"},
		{"listid=1", 10, "10/1"},
		{"filters[created_before]=2021-01-01", 10, "10/1"},
		{"filters[updated_before]=2021-01-01", 10, "10/1"},
		{"filters[updated_after]=2021-01-01T00:00:00-06:00", 20, "140/11"},
		{"filters[created_after]=2021-01-01", 20, "140/11"},
		{"unknown_param=1&sortby=zzz", 20, "150/1"},
	}
	for _, tt := range tests {
		n, total := count(tt.query)
		if n != tt.wantN || total != tt.wantTotal {
			t.Errorf("?%s: %d contacts, total/first %s; want %d, %s", tt.query, n, total, tt.wantN, tt.wantTotal)
		}
	}
	// Editing an old contact moves its udate: it now passes updated_after.
	e.api("PUT", "/contacts/3", map[string]any{"contact": map[string]any{"firstName": "Changed"}}, 200)
	if _, total := count("filters[updated_after]=2021-01-01&orders[id]=ASC"); total != "141/3" {
		t.Fatalf("updated_after after edit: %s", total)
	}
	r := e.do("GET", "/acme/api/3/contacts?filters[created_after]=yesterday", nil)
	if r.status != 400 {
		t.Fatalf("bad date: %d %s", r.status, r.body)
	}
}

// A contact is changed and deleted as its user would through the API: PUT
// /contacts/{id} changes what it names (fields included, by field id) and
// refuses a bad or taken email; DELETE removes it.
func TestUpdateDeleteContact(t *testing.T) {
	e := newEnv(t, simac.Options{})
	f := e.api("POST", "/fields", map[string]any{"field": map[string]any{"title": "Course Name", "type": "text"}}, 201)
	if get(f, "field", "perstag") != "COURSE_NAME" {
		t.Fatalf("field: %v", f)
	}
	e.importContacts(simac.ContactInput{Email: "bo@example.com", FirstName: "Bo"}, simac.ContactInput{Email: "cy@example.com"})
	m := e.api("PUT", "/contacts/1", map[string]any{"contact": map[string]any{
		"lastName": "Ng", "fieldValues": []any{map[string]any{"field": "1", "value": "Go"}},
	}}, 200)
	if get(m, "contact", "lastName") != "Ng" || get(m, "contact", "firstName") != "Bo" || get(m, "fieldValues", 0, "value") != "Go" {
		t.Fatalf("after PUT: %v", m)
	}
	dup := e.do("PUT", "/acme/api/3/contacts/1", map[string]any{"contact": map[string]any{"email": "CY@example.com"}})
	if dup.status != 422 || get(dup.json(t), "errors", 0, "code") != "duplicate" {
		t.Fatalf("duplicate: %d %s", dup.status, dup.body)
	}
	bad := e.do("PUT", "/acme/api/3/contacts/1", map[string]any{"contact": map[string]any{"email": "not-an-email"}})
	if bad.status != 422 {
		t.Fatalf("bad email: %d %s", bad.status, bad.body)
	}
	unknown := e.do("PUT", "/acme/api/3/contacts/1", map[string]any{"contact": map[string]any{"fieldValues": []any{map[string]any{"field": "9", "value": "x"}}}})
	if unknown.status != 422 || get(unknown.json(t), "errors", 0, "code") != "field_invalid" {
		t.Fatalf("unknown field: %d %s", unknown.status, unknown.body)
	}
	if r := e.do("PUT", "/acme/api/3/contacts/99", map[string]any{"contact": map[string]any{"lastName": "X"}}); r.status != 404 {
		t.Fatalf("PUT of a missing contact: %d", r.status)
	}
	fields := e.api("GET", "/fields", nil, 200)
	if get(fields, "meta", "total") != "1" || fields["fieldOptions"] == nil || fields["fieldRels"] == nil {
		t.Fatalf("fields: %v", fields)
	}
	e.api("DELETE", "/contacts/1", nil, 200)
	if r := e.do("DELETE", "/acme/api/3/contacts/1", nil); r.status != 404 {
		t.Fatalf("deleted contact: %d", r.status)
	}
	if l := e.api("GET", "/contacts", nil, 200); get(l, "meta", "total") != "1" {
		t.Fatalf("list after delete: %v", l["meta"])
	}
}

package activecampaign_test

import (
	"fmt"
	"strings"
	"testing"

	simac "github.com/autocred/autocred/sim/activecampaign"
)

// TestFieldCollectionsPage: /contacts/{id}/fieldValues and /fields page like every v3 collection (spec §2 "Pagination rules"):
// limit 20 by default, clamped to 100, offset zero-based, meta.total a
// string with the whole count.
func TestFieldCollectionsPage(t *testing.T) {
	e := newEnv(t, simac.Options{})
	fields := map[string]string{}
	for i := 1; i <= 120; i++ {
		fields[fmt.Sprintf("PERSTAG%d", i)] = fmt.Sprintf("value %d", i)
	}
	ids := e.importContacts(simac.ContactInput{Email: "many@example.com", Fields: fields})
	cid := itoa(ids[0])

	tests := []struct {
		path, key string
		want      int
	}{
		{"/contacts/" + cid + "/fieldValues", "fieldValues", 20},
		{"/contacts/" + cid + "/fieldValues?limit=100", "fieldValues", 100},
		{"/contacts/" + cid + "/fieldValues?limit=500", "fieldValues", 100},
		{"/contacts/" + cid + "/fieldValues?limit=100&offset=100", "fieldValues", 20},
		{"/contacts/" + cid + "/fieldValues?limit=10&offset=115", "fieldValues", 5},
		{"/contacts/" + cid + "/fieldValues?offset=500", "fieldValues", 0},
		{"/fields", "fields", 20},
		{"/fields?limit=100", "fields", 100},
		{"/fields?limit=100&offset=100", "fields", 20},
	}
	for _, tt := range tests {
		m := e.api("GET", tt.path, nil, 200)
		if got := len(m[tt.key].([]any)); got != tt.want {
			t.Errorf("GET %s: %d %s, want %d", tt.path, got, tt.key, tt.want)
		}
		if total := get(m, "meta", "total"); total != "120" {
			t.Errorf("GET %s: meta.total %#v, want the string \"120\"", tt.path, total)
		}
	}
	// The pages of one contact's values follow each other without gaps
	// or repeats.
	seen := map[string]bool{}
	for offset := 0; offset < 120; offset += 20 {
		m := e.api("GET", fmt.Sprintf("/contacts/%s/fieldValues?offset=%d", cid, offset), nil, 200)
		for _, fv := range m["fieldValues"].([]any) {
			seen[fv.(map[string]any)["field"].(string)] = true
		}
	}
	if len(seen) != 120 {
		t.Errorf("six pages of 20 gave %d distinct fields, want 120", len(seen))
	}
}

// TestFieldTypesAndStoredForms: /fields reports each field's type as it
// was created, every type of the real API is accepted and an unknown one
// refused; values keep the stored forms of the create-fieldvalue reference
// (options as ||A||B||), and a datetime is stored in the account's time
// zone (America/Chicago), whatever offset it was sent with.
func TestFieldTypesAndStoredForms(t *testing.T) {
	e := newEnv(t, simac.Options{})
	types := []string{"text", "textarea", "date", "datetime", "dropdown", "multiselect", "radio", "checkbox", "listbox", "hidden"}
	ids := map[string]string{}
	for _, typ := range types {
		f := e.api("POST", "/fields", map[string]any{"field": map[string]any{"title": "F " + typ, "type": typ}}, 201)
		if got := get(f, "field", "type"); got != typ {
			t.Errorf("created a %s field, answer says type %v", typ, got)
		}
		ids[typ] = get(f, "field", "id").(string)
	}
	e.api("POST", "/fields", map[string]any{"field": map[string]any{"title": "Bad", "type": "rating"}}, 422)
	list := e.api("GET", "/fields?limit=100", nil, 200)
	for _, f := range list["fields"].([]any) {
		fm := f.(map[string]any)
		if want := strings.ToLower(strings.TrimPrefix(fm["title"].(string), "F ")); fm["type"] != want {
			t.Errorf("GET /fields: %v has type %v, want %s", fm["title"], fm["type"], want)
		}
	}
	cid := itoa(e.importContacts(simac.ContactInput{Email: "typed@example.com"})[0])
	for _, tt := range []struct{ typ, sent, stored string }{
		{"checkbox", "||Go Basics||Go Advanced||", "||Go Basics||Go Advanced||"},
		{"date", "2027-05-19", "2027-05-19"},
		{"datetime", "2024-11-01T13:05:00-06:00", "2024-11-01T14:05:00-05:00"}, // the reference's own example
		{"datetime", "2027-01-20T05:30:00Z", "2027-01-19T23:30:00-06:00"},
		{"text", "2024-11-01T13:05:00-06:00", "2024-11-01T13:05:00-06:00"}, // only datetime fields convert
	} {
		e.api("PUT", "/contacts/"+cid, map[string]any{"contact": map[string]any{"fieldValues": []any{map[string]any{"field": ids[tt.typ], "value": tt.sent}}}}, 200)
		got := ""
		for _, fv := range e.api("GET", "/contacts/"+cid+"/fieldValues", nil, 200)["fieldValues"].([]any) {
			if fv.(map[string]any)["field"] == ids[tt.typ] {
				got = fv.(map[string]any)["value"].(string)
			}
		}
		if got != tt.stored {
			t.Errorf("%s field sent %q: stored %q, want %q", tt.typ, tt.sent, got, tt.stored)
		}
	}
}

package activecampaign_test

import (
	"fmt"
	"testing"

	simac "github.com/autocred/autocred/sim/activecampaign"
)

// TestFieldCollectionsPage: /contacts/{id}/fieldValues, /fieldValues and
// /fields page like every v3 collection (spec §2 "Pagination rules"):
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
		{"/fieldValues", "fieldValues", 20},
		{"/fieldValues?limit=1000&offset=30", "fieldValues", 90},
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

package activecampaign_test

import (
	"testing"

	simac "github.com/autocred/autocred/sim/activecampaign"
)

// A person subscribes and unsubscribes a contact by hand: GET /lists names
// the list ids, POST /contactLists changes the status (1 subscribes, 2
// unsubscribes) and the contact moves in or out of a list segment; bad
// bodies answer 422 and unknown ids 404, naming what is wrong.
func TestListsByHand(t *testing.T) {
	e := newEnv(t, simac.Options{})
	ids := e.importContacts(simac.ContactInput{Email: "a@example.com", Lists: []string{"Newsletter"}}, simac.ContactInput{Email: "b@example.com"})
	news := e.segment(simac.SegmentDef{Name: "Readers", Conditions: []simac.Condition{{Type: "list", Op: "subscribed", Value: "Newsletter"}}})

	lists := e.api("GET", "/lists", nil, 200)
	if get(lists, "meta", "total") != "1" || get(lists, "lists", 0, "id") != "1" || get(lists, "lists", 0, "name") != "Newsletter" {
		t.Fatalf("lists: %v", lists)
	}
	m := e.api("POST", "/contactLists", map[string]any{"contactList": map[string]any{"list": "1", "contact": itoa(ids[1]), "status": 1}}, 200)
	if get(m, "contactList", "status") != "1" || get(m, "contactList", "list") != "1" || get(m, "contacts", 0, "id") != itoa(ids[1]) {
		t.Fatalf("subscribe: %v", m)
	}
	if !e.matchOne(news.ID, ids[1]) {
		t.Fatal("subscribed: the contact should be in Readers")
	}
	e.api("POST", "/contactLists", map[string]any{"contactList": map[string]any{"list": 1, "contact": ids[0], "status": 2}}, 200)
	if e.matchOne(news.ID, ids[0]) {
		t.Fatal("unsubscribed: the contact should be out of Readers")
	}

	for _, tt := range []struct {
		body   map[string]any
		status int
		want   string
	}{
		{map[string]any{"list": 1, "status": 1}, 422, "/data/attributes/contact"},
		{map[string]any{"contact": 1, "status": 1}, 422, "/data/attributes/list"},
		{map[string]any{"contact": 1, "list": 1, "status": 3}, 422, "/data/attributes/status"},
		{map[string]any{"contact": 42, "list": 1, "status": 1}, 404, "Contact not found"},
		{map[string]any{"contact": 1, "list": 9, "status": 1}, 404, "List not found"},
	} {
		r := e.do("POST", "/acme/api/3/contactLists", map[string]any{"contactList": tt.body})
		got := get(r.json(t), "errors", 0, "detail")
		if tt.status == 422 {
			got = get(r.json(t), "errors", 0, "source", "pointer")
		}
		if r.status != tt.status || got != tt.want {
			t.Errorf("%v: %d %s, want %d naming %s", tt.body, r.status, r.body, tt.status, tt.want)
		}
	}
}

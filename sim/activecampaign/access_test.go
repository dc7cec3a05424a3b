package activecampaign_test

import (
	"strings"
	"testing"

	simac "github.com/autocred/autocred/sim/activecampaign"
)

// A denied permission answers 403 with ActiveCampaign's message on the
// routes of that permission only, after the key check (a wrong key is
// still 401), until it is allowed again (spec §5, §7).
func TestDeniedPermissionAnswers403(t *testing.T) {
	e := newEnv(t, simac.Options{})
	seg := e.segment(simac.SegmentDef{Name: "VIP", Conditions: []simac.Condition{tagCond("has", "VIP")}})
	id := e.importContacts(simac.ContactInput{Email: "a@example.com", Tags: []string{"VIP"}})[0]
	if err := e.srv.Deny("acme", simac.PermSegments, false); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/audiences", "/segments", "/segmentMatchAll/" + seg.ID, "/segmentMatch/" + seg.ID + "/" + itoa(id)} {
		m := e.api("GET", path, nil, 403)
		if m["message"] != "You do not have permission to view segments" {
			t.Errorf("GET %s: %v", path, m)
		}
	}
	if m := e.api("GET", "/contacts?segmentid="+seg.ID, nil, 403); m["message"] != "You do not have permission to view segments" {
		t.Errorf("contacts?segmentid: %v", m)
	}
	e.api("GET", "/contacts?ids="+itoa(id), nil, 200)
	e.api("GET", "/contacts", nil, 200)
	e.api("GET", "/users/me", nil, 200)
	if r := e.doKey("GET", "/acme/api/3/audiences", nil, "wrong-key"); r.status != 401 {
		t.Errorf("wrong key with a denied permission: %d, want 401", r.status)
	}

	if err := e.srv.Deny("acme", simac.PermContacts, true); err != nil {
		t.Fatal(err)
	}
	if r := e.do("DELETE", "/acme/api/3/contacts/"+itoa(id), nil); r.status != 403 || strings.TrimSpace(string(r.body)) != "Forbidden" {
		t.Errorf("bare denial: %d %s, want 403 Forbidden", r.status, r.body)
	}
	if d, _ := e.srv.Denied("acme"); len(d) != 2 {
		t.Errorf("denied = %v", d)
	}
	if err := e.srv.Allow("acme", simac.PermSegments); err != nil {
		t.Fatal(err)
	}
	e.api("GET", "/segmentMatchAll/"+seg.ID, nil, 200)
	if err := e.srv.Deny("acme", "reports", false); err == nil {
		t.Error("an unknown permission was accepted")
	}
}

// Each permission covers its routes, named as the message names them.
func TestDeniedPermissionsCoverTheirRoutes(t *testing.T) {
	for _, c := range []struct {
		perm   simac.Permission
		method string
		path   string
		msg    string
	}{
		{simac.PermContacts, "GET", "/contacts", "view contacts"},
		{simac.PermContacts, "PUT", "/contacts/1", "edit contacts"},
		{simac.PermContacts, "DELETE", "/contacts/1", "delete contacts"},
		{simac.PermFields, "GET", "/contacts/1/fieldValues", "view custom fields"},
		{simac.PermFields, "GET", "/fields", "view custom fields"},
		{simac.PermFields, "POST", "/fields", "add custom fields"},
		{simac.PermLists, "GET", "/lists", "view lists"},
		{simac.PermLists, "POST", "/contactLists", "add lists"},
		{simac.PermWebhooks, "POST", "/webhooks", "add webhooks"},
		{simac.PermWebhooks, "GET", "/webhooks", "view webhooks"},
		{simac.PermWebhooks, "DELETE", "/webhooks/1", "delete webhooks"},
	} {
		e := newEnv(t, simac.Options{DeniedPermissions: map[string][]simac.Permission{"acme": {c.perm}}})
		r := e.do(c.method, "/acme/api/3"+c.path, nil)
		if r.status != 403 || r.json(t)["message"] != "You do not have permission to "+c.msg {
			t.Errorf("%s %s with %s denied: %d %s", c.method, c.path, c.perm, r.status, r.body)
		}
	}
}

// A missing record answers 403 "No Result found" where the account is set
// so (the v3 reference's GET /fieldValues/{id} example, of the same body
// for another entity), 404 otherwise.
func TestForbiddenNoResult(t *testing.T) {
	e := newEnv(t, simac.Options{})
	if m := e.api("DELETE", "/contacts/77", nil, 404); m["message"] != "No Result found for Subscriber with id 77" {
		t.Errorf("404 body: %v", m)
	}
	if err := e.srv.SetForbiddenNoResult("acme", "Subscriber"); err != nil {
		t.Fatal(err)
	}
	if m := e.api("DELETE", "/contacts/77", nil, 403); m["message"] != "No Result found for Subscriber with id 77" {
		t.Errorf("403 body: %v", m)
	}
	e.api("GET", "/webhooks/5", nil, 404)
	_ = e.srv.SetForbiddenNoResult("acme", "*")
	e.api("GET", "/webhooks/5", nil, 403)
	_ = e.srv.SetForbiddenNoResult("acme")
	e.api("DELETE", "/contacts/77", nil, 404)

	o := newEnv(t, simac.Options{ForbiddenNoResult: []string{"Subscriber"}})
	if m := o.api("GET", "/contacts/10/fieldValues", nil, 403); m["message"] != "No Result found for Subscriber with id 10" {
		t.Errorf("option: %v", m)
	}
}

// A regenerated key refuses the old one with 401.
func TestSetAPIKey(t *testing.T) {
	e := newEnv(t, simac.Options{})
	if err := e.srv.SetAPIKey("acme", "new-key-456"); err != nil {
		t.Fatal(err)
	}
	if r := e.do("GET", "/acme/api/3/users/me", nil); r.status != 401 {
		t.Errorf("old key: %d, want 401", r.status)
	}
	if r := e.doKey("GET", "/acme/api/3/users/me", nil, "new-key-456"); r.status != 200 {
		t.Errorf("new key: %d, want 200", r.status)
	}
}

func TestAccessControlRoutes(t *testing.T) {
	e := newEnv(t, simac.Options{})
	ctl := func(method, path, body string, want int) {
		t.Helper()
		if r := e.doKey(method, "/_sandbox/accounts"+path, body, ""); r.status != want {
			t.Fatalf("%s %s %s: %d, want %d: %s", method, path, body, r.status, want, r.body)
		}
	}
	ctl("POST", "/acme/deny", `{"permission":"segments"}`, 204)
	e.api("GET", "/audiences", nil, 403)
	if r := e.doKey("GET", "/_sandbox/accounts/acme/permissions", nil, ""); !strings.Contains(string(r.body), `"denied":["segments"]`) {
		t.Errorf("permissions: %s", r.body)
	}
	ctl("POST", "/acme/deny", `{"permission":"segments","bare":true}`, 204)
	if r := e.do("GET", "/acme/api/3/audiences", nil); r.status != 403 || string(r.body) != "Forbidden" {
		t.Errorf("bare: %d %s", r.status, r.body)
	}
	ctl("POST", "/acme/allow", `{"permission":"segments"}`, 204)
	e.api("GET", "/audiences", nil, 200)
	ctl("POST", "/acme/deny", `{"permission":"billing"}`, 400)
	ctl("POST", "/acme/deny", `{"perm":"segments"}`, 400)
	ctl("POST", "/nobody/deny", `{"permission":"segments"}`, 404)

	ctl("PUT", "/acme/forbidden-no-result", `{"entities":["Subscriber"]}`, 204)
	e.api("DELETE", "/contacts/9", nil, 403)
	ctl("PUT", "/acme/forbidden-no-result", `{"entities":[]}`, 204)
	e.api("DELETE", "/contacts/9", nil, 404)
	ctl("PUT", "/acme/forbidden-no-result", `{}`, 400)

	ctl("PUT", "/acme/api-key", `{"api_key":""}`, 400)
	ctl("PUT", "/acme/api-key", `{"api_key":"rotated-1"}`, 204)
	if r := e.do("GET", "/acme/api/3/users/me", nil); r.status != 401 {
		t.Errorf("old key after rotation: %d", r.status)
	}
}

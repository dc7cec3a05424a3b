package api

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/testenv"
	simac "github.com/autocred/autocred/sim/activecampaign"
	simcert "github.com/autocred/autocred/sim/certifier"
)

type connectionJSON struct {
	ID         int64  `json:"id"`
	App        string `json:"app"`
	Name       string `json:"name"`
	APIURL     string `json:"api_url"`
	SecretHint string `json:"secret_hint"`
	Status     string `json:"status"`
}

func (a *apiTest) connections() []connectionJSON {
	a.t.Helper()
	var list struct {
		Connections []connectionJSON `json:"connections"`
	}
	a.call("GET", "/api/v1/connections", nil).ok(a.t, http.StatusOK, &list)
	return list.Connections
}

func TestConnections(t *testing.T) {
	t.Parallel()
	a := newAPITest(t)
	if got := a.call("GET", "/api/v1/connections", nil); string(got.body) != "{\"connections\":[]}\n" {
		t.Errorf("empty list: %s", got.body)
	}

	var ac, cert connectionJSON
	a.call("POST", "/api/v1/connections", map[string]any{
		"app": "activecampaign", "name": "Acme AC", "api_url": a.env.ACURL, "api_key": testenv.ACKey,
	}).ok(t, http.StatusCreated, &ac)
	a.call("POST", "/api/v1/connections", map[string]any{
		"app": "certifier", "name": "Acme Certifier", "api_url": a.env.CertifierURL, "access_token": testenv.CertifierToken,
	}).ok(t, http.StatusCreated, &cert)
	if ac.App != "activecampaign" || ac.Status != "ok" || ac.SecretHint != "…cdef" || ac.ID == 0 {
		t.Errorf("ActiveCampaign connection: %+v", ac)
	}
	if cert.App != "certifier" || cert.Name != "Acme Certifier" || cert.SecretHint != "…cdef" {
		t.Errorf("Certifier connection: %+v", cert)
	}

	refused := []struct {
		name  string
		body  map[string]any
		field string
		hint  string
	}{
		{"ActiveCampaign key", map[string]any{"app": "activecampaign", "name": "Wrong", "api_url": a.env.ACURL, "api_key": "wrong-ac-key-000000000000"},
			"api_key", "Settings → Developer → API Access"},
		{"Certifier token", map[string]any{"app": "certifier", "name": "Wrong", "api_url": a.env.CertifierURL, "access_token": "wrong-cert-token-000000000000"},
			"access_token", "Settings → Developers → Access Tokens"},
	}
	for _, tc := range refused {
		t.Run("refused "+tc.name, func(t *testing.T) {
			a.secrets = append(a.secrets, "wrong-ac-key-000000000000", "wrong-cert-token-000000000000")
			e := a.call("POST", "/api/v1/connections", tc.body).fails(t, http.StatusUnprocessableEntity, autocred.ECONNECTION, tc.field)
			if !strings.Contains(e.Message, tc.hint) {
				t.Errorf("the message does not say what to do: %q", e.Message)
			}
		})
	}
	t.Run("invalid", func(t *testing.T) {
		a.call("POST", "/api/v1/connections", `{"app":"mailchimp","name":"x"}`).fails(t, http.StatusBadRequest, autocred.EINVALID, "app")
		a.call("POST", "/api/v1/connections", `{"app":"activecampaign","name":"x","api_url":"`+a.env.ACURL+`"}`).
			fails(t, http.StatusBadRequest, autocred.EINVALID, "api_key")
	})

	got := a.connections()
	if len(got) != 2 || got[0] != ac || got[1] != cert {
		t.Fatalf("list: %+v, want the two connections", got)
	}

	t.Run("delete", func(t *testing.T) {
		a.call("DELETE", fmt.Sprintf("/api/v1/connections/%d", cert.ID), nil).ok(t, http.StatusNoContent, nil)
		a.call("DELETE", fmt.Sprintf("/api/v1/connections/%d", cert.ID), nil).fails(t, http.StatusNotFound, autocred.ENOTFOUND, "")
		if got := a.connections(); len(got) != 1 || got[0].ID != ac.ID {
			t.Errorf("after delete: %+v", got)
		}
	})
}

func TestDeleteConnectionInUse(t *testing.T) {
	t.Parallel()
	a := newAPITest(t)
	f := a.fixture()
	auto := a.createAutomation(f.automation())
	for _, id := range []int64{f.ac, f.cert} {
		a.call("DELETE", fmt.Sprintf("/api/v1/connections/%d", id), nil).fails(t, http.StatusConflict, autocred.ECONFLICT, "")
	}
	if got := a.connections(); len(got) != 2 {
		t.Fatalf("connections: %+v", got)
	}
	// An archived automation keeps its connection until it is deleted for
	// good, and the refusal says how.
	path := fmt.Sprintf("/api/v1/automations/%d", auto.ID)
	a.call("DELETE", path, nil).ok(t, http.StatusOK, nil)
	e := a.call("DELETE", fmt.Sprintf("/api/v1/connections/%d", f.ac), nil).fails(t, http.StatusConflict, autocred.ECONFLICT, "")
	if !strings.Contains(e.Message, "archived") || !strings.Contains(e.Message, "for good") {
		t.Errorf("refusal for a connection of an archived automation: %q; want it to say how to delete it for good", e.Message)
	}
	a.call("DELETE", path+"/runs", nil).ok(t, http.StatusOK, nil)
	a.call("DELETE", path, nil).ok(t, http.StatusNoContent, nil)
	a.call("DELETE", fmt.Sprintf("/api/v1/connections/%d", f.ac), nil).ok(t, http.StatusNoContent, nil)
}

func TestPickers(t *testing.T) {
	t.Parallel()
	a := newAPITest(t)
	f := a.fixture()
	if _, err := a.env.AC.Import(testenv.ACAccount, []simac.ContactInput{
		{Email: "ada@example.com", FirstName: "Ada", Fields: map[string]string{"COURSE": "Go"}},
	}); err != nil {
		t.Fatal(err)
	}
	legacy, err := a.env.AC.DefineSegment(testenv.ACAccount, simac.SegmentDef{Name: "Old list", Legacy: true,
		Conditions: []simac.Condition{{Type: "tag", Op: "has", Value: "Old"}}})
	if err != nil {
		t.Fatal(err)
	}
	second, err := a.env.Certifier.AddGroup(testenv.CertWorkspace, simcert.GroupInput{Name: "Another"})
	if err != nil {
		t.Fatal(err)
	}

	var segs struct {
		Segments []struct {
			ID      string `json:"id"`
			Name    string `json:"name"`
			Legacy  bool   `json:"legacy"`
			Members *int   `json:"members"`
		} `json:"segments"`
	}
	a.call("GET", fmt.Sprintf("/api/v1/connections/%d/segments", f.ac), nil).ok(t, http.StatusOK, &segs)
	found := map[string]bool{}
	for _, s := range segs.Segments {
		found[s.Name] = true
		if s.Name == f.segName && (s.ID != f.segment || s.Legacy) {
			t.Errorf("segment %+v, want id %s", s, f.segment)
		}
		if s.Name == legacy.Name && (!s.Legacy || s.Members != nil) {
			t.Errorf("legacy segment %+v: want legacy, and members null", s)
		}
	}
	if !found[f.segName] || !found[legacy.Name] {
		t.Errorf("segments: %+v", segs.Segments)
	}
	if r := a.call("GET", fmt.Sprintf("/api/v1/connections/%d/segments", f.ac), nil); !strings.Contains(string(r.body), `"members":`) {
		t.Errorf("members is left out: %s", r.body)
	}

	var groups struct {
		Groups []struct{ ID, Name string } `json:"groups"`
	}
	a.call("GET", fmt.Sprintf("/api/v1/connections/%d/groups", f.cert), nil).ok(t, http.StatusOK, &groups)
	want := map[string]string{f.group: "Course certificate", second.ID: "Another"}
	if len(groups.Groups) != len(want) {
		t.Errorf("groups: %+v", groups.Groups)
	}
	for _, g := range groups.Groups {
		if want[g.ID] != g.Name {
			t.Errorf("group %+v", g)
		}
	}

	var attrs struct {
		Attributes []struct{ Tag, Name string } `json:"attributes"`
	}
	a.call("GET", fmt.Sprintf("/api/v1/connections/%d/attributes", f.cert), nil).ok(t, http.StatusOK, &attrs)
	if len(attrs.Attributes) != 1 || attrs.Attributes[0].Tag != "custom.course_name" || attrs.Attributes[0].Name != "Course Name" {
		t.Errorf("attributes: %+v", attrs.Attributes)
	}

	var fields struct {
		Fields []struct{ ID, Title, Perstag string } `json:"fields"`
	}
	a.call("GET", fmt.Sprintf("/api/v1/connections/%d/fields", f.ac), nil).ok(t, http.StatusOK, &fields)
	if len(fields.Fields) != 1 || fields.Fields[0].Perstag != "COURSE" || fields.Fields[0].ID == "" {
		t.Errorf("fields: %+v", fields.Fields)
	}

	// A picker of the other app, and of a connection that is not there.
	a.call("GET", fmt.Sprintf("/api/v1/connections/%d/groups", f.ac), nil).fails(t, http.StatusBadRequest, autocred.EINVALID, "")
	a.call("GET", fmt.Sprintf("/api/v1/connections/%d/segments", f.cert), nil).fails(t, http.StatusBadRequest, autocred.EINVALID, "")
	a.call("GET", "/api/v1/connections/999/fields", nil).fails(t, http.StatusNotFound, autocred.ENOTFOUND, "")
}

package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/testenv"
	simac "github.com/autocred/autocred/sim/activecampaign"
	simcert "github.com/autocred/autocred/sim/certifier"
)

// A broken connection is repaired by reconnecting it with a key that works;
// a key that does not work changes nothing.
func TestReconnectRepairsABrokenConnection(t *testing.T) {
	t.Parallel()
	a := newAPITest(t)
	f := a.fixture()
	ctx := context.Background()
	if err := a.env.Store.SetConnectionStatus(ctx, f.cert, autocred.ConnectionBroken, "Certifier refused the access token"); err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/api/v1/connections/%d", f.cert)

	a.call("PUT", path, map[string]any{"app": "certifier", "name": "Acme Certifier", "api_url": a.env.CertifierURL, "access_token": "still-wrong-0000"}).
		fails(t, http.StatusUnprocessableEntity, "connection", "access_token")
	if c, _ := a.env.Store.Connection(ctx, f.cert); c.Status != autocred.ConnectionBroken {
		t.Errorf("a refused key changed the connection: %+v", c)
	}
	a.call("PUT", path, map[string]any{"app": "activecampaign", "name": "X", "api_url": a.env.ACURL, "api_key": testenv.ACKey}).
		fails(t, http.StatusBadRequest, "invalid", "app")

	var c autocred.Connection
	a.call("PUT", path, map[string]any{"app": "certifier", "name": "Acme Certifier (new token)", "api_url": a.env.CertifierURL, "access_token": testenv.CertifierToken}).
		ok(t, http.StatusOK, &c)
	if c.ID != f.cert || c.Status != autocred.ConnectionOK || c.StatusReason != "" || c.Name != "Acme Certifier (new token)" {
		t.Errorf("reconnected connection = %+v", c)
	}
	a.call("PUT", "/api/v1/connections/999", map[string]any{"app": "certifier", "name": "X", "access_token": testenv.CertifierToken}).
		fails(t, http.StatusNotFound, "not_found", "")
}

// Once a connection is reconnected, the automations its refused key
// stopped are resumed in one call, each as a resume without a body does
// (catching up). One that cannot be resumed is listed with why, and does
// not stop the others: a twin of an automation a user paused, and one
// whose other connection still has a refused key.
func TestResumeAutomationsOfAReconnectedConnection(t *testing.T) {
	t.Parallel()
	a := newAPITest(t)
	f := a.fixture()
	ctx := context.Background()
	inGroup := func(name, group string) map[string]any {
		g, err := a.env.Certifier.AddGroup(testenv.CertWorkspace, simcert.GroupInput{Name: group})
		if err != nil {
			t.Fatal(err)
		}
		in := f.automation()
		in["name"] = name
		in["action"].(map[string]any)["group_id"] = g.ID
		return in
	}
	activate := func(in map[string]any) automationJSON {
		t.Helper()
		au := a.createAutomation(in)
		a.call("POST", fmt.Sprintf("/api/v1/automations/%d/activate", au.ID), map[string]any{"allow_duplicate": true}).ok(t, http.StatusAccepted, nil)
		a.waitStatus(au.ID, "active")
		return au
	}
	// Resumes: alone on its segment and group.
	alone := activate(inGroup("Alone", "Other certificate"))
	// A twin of "Paused by hand", which a user paused before the key was
	// refused: resuming it asks to confirm two credentials per entry.
	twin := activate(f.automation())
	byHand := f.automation()
	byHand["name"], byHand["allow_duplicate"] = "Paused by hand", true
	paused := activate(byHand)
	a.call("POST", fmt.Sprintf("/api/v1/automations/%d/pause", paused.ID), nil).ok(t, http.StatusAccepted, nil)
	// Reads a second ActiveCampaign account, whose key stays refused.
	if err := a.env.AC.AddAccount("beta", "beta-key-0000000000000000"); err != nil {
		t.Fatal(err)
	}
	seg, err := a.env.AC.DefineSegment("beta", simac.SegmentDef{Name: "Beta completers", Conditions: []simac.Condition{{Type: "tag", Op: "has", Value: doneTag}}})
	if err != nil {
		t.Fatal(err)
	}
	beta := a.connect(map[string]any{"app": "activecampaign", "name": "Beta AC", "api_url": strings.TrimSuffix(a.env.ACURL, testenv.ACAccount) + "beta", "api_key": "beta-key-0000000000000000"})
	other := inGroup("Other account", "Beta certificate")
	other["trigger"] = map[string]any{"connection_id": beta, "segment_id": seg.ID}
	otherAccount := activate(other)

	for _, c := range []int64{f.cert, beta} {
		if err := a.env.Store.SetConnectionStatus(ctx, c, autocred.ConnectionBroken, "the key was refused"); err != nil {
			t.Fatal(err)
		}
	}
	path := fmt.Sprintf("/api/v1/connections/%d/resume-automations", f.cert)
	type outcome struct {
		ID     int64  `json:"id"`
		Name   string `json:"name"`
		Reason string `json:"reason"`
	}
	var res struct {
		Resumed    []outcome `json:"resumed"`
		NotResumed []outcome `json:"not_resumed"`
	}
	// Still broken: nothing resumes, and each says to reconnect first.
	a.call("POST", path, nil).ok(t, http.StatusOK, &res)
	if len(res.Resumed) != 0 || len(res.NotResumed) != 3 || !strings.Contains(res.NotResumed[0].Reason, `The connection "Acme Certifier" still has a refused key`) {
		t.Errorf("before reconnecting: %+v; want the three not resumed, saying the key is still refused", res)
	}

	a.call("PUT", fmt.Sprintf("/api/v1/connections/%d", f.cert), map[string]any{"app": "certifier", "name": "Acme Certifier",
		"api_url": a.env.CertifierURL, "access_token": testenv.CertifierToken}).ok(t, http.StatusOK, nil)
	a.call("POST", path, nil).ok(t, http.StatusOK, &res)
	if len(res.Resumed) != 1 || res.Resumed[0].ID != alone.ID || res.Resumed[0].Name != "Alone" {
		t.Errorf("resumed %+v, want %q alone", res.Resumed, "Alone")
	}
	why := map[int64]string{}
	for _, o := range res.NotResumed {
		why[o.ID] = o.Reason
	}
	if r := why[twin.ID]; !strings.Contains(r, `The automation "Paused by hand" already issues`) || !strings.Contains(r, "Resume it from its own page if you want two credentials per entry") {
		t.Errorf("the twin is not listed as not resumed with why and what to do: %q", r)
	}
	if r := why[otherAccount.ID]; !strings.Contains(r, `The connection "Beta AC" still has a refused key`) {
		t.Errorf("the automation whose other connection is still refused is not listed with why: %q", r)
	}
	if len(res.NotResumed) != 2 {
		t.Errorf("not resumed: %+v, want the twin and the one of the other account", res.NotResumed)
	}
	if got := a.automation(alone.ID).Status; got != "active" {
		t.Errorf("%q is %s after resuming, want active (caught up on its ledger)", "Alone", got)
	}
	if got := a.automation(twin.ID).Status; got != "paused" {
		t.Errorf("the twin is %s, want still paused", got)
	}
	a.call("POST", "/api/v1/connections/999/resume-automations", nil).fails(t, http.StatusNotFound, "not_found", "")
}

// A token of another Certifier workspace is refused (409 on access_token),
// naming the group the automations use, and the key stays (issue 15,
// round 5, #3).
func TestReconnectRefusesAnotherWorkspace(t *testing.T) {
	t.Parallel()
	a := newAPITest(t)
	f := a.fixture()
	a.call("POST", "/api/v1/automations", f.automation()).ok(t, http.StatusCreated, nil)
	const other = "cert-token-other-0123456789"
	if err := a.env.Certifier.AddWorkspace("other", other); err != nil {
		t.Fatal(err)
	}
	e := a.call("PUT", fmt.Sprintf("/api/v1/connections/%d", f.cert), map[string]any{"app": "certifier", "api_url": a.env.CertifierURL, "access_token": other}).
		fails(t, http.StatusConflict, "conflict", "access_token")
	if !strings.Contains(e.Message, "cannot see the group 'Course certificate'") || !strings.Contains(e.Message, "another Certifier workspace") {
		t.Errorf("refusal %q does not name the group or say it is another workspace", e.Message)
	}
}

package service_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/testenv"
	"github.com/autocred/autocred/service"
	simac "github.com/autocred/autocred/sim/activecampaign"
	simcert "github.com/autocred/autocred/sim/certifier"
)

// A token revoked in Certifier breaks its connection and stops its
// automations, with the reason; the run waits. Reconnecting with a new token
// and resuming issues it, once.
func TestRevokedTokenBreaksThenReconnectRepairs(t *testing.T) {
	env := testenv.New(t, testenv.Options{})
	ctx := context.Background()
	svc := env.Service
	ac, cert := connectBoth(t, env)
	seg, _ := env.AC.DefineSegment(testenv.ACAccount, simac.SegmentDef{Name: "Done", Conditions: []simac.Condition{{Type: "tag", Op: "has", Value: "Done"}}})
	group, _ := env.Certifier.AddGroup(testenv.CertWorkspace, simcert.GroupInput{Name: "Course"})
	ids, _ := env.AC.Import(testenv.ACAccount, []simac.ContactInput{{Email: "ana@example.com", FirstName: "Ana"}})
	a, err := svc.CreateAutomation(ctx, service.AutomationInput{Name: "Certs", Trigger: autocred.Trigger{ConnectionID: ac.ID, SegmentID: seg.ID},
		Action: autocred.Action{ConnectionID: cert.ID, GroupID: group.ID, RecipientName: "{{contact.firstName}}", RecipientEmail: "{{contact.email}}", Issue: true, Send: true}})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Activate(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "active", func() bool { v, _ := svc.Automation(ctx, a.ID); return v.Status == autocred.AutomationActive })

	if err := env.Certifier.RevokeToken(testenv.CertifierToken); err != nil {
		t.Fatal(err)
	}
	if err := env.AC.BulkTag(testenv.ACAccount, ids, "Done", false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the automation to break", func() bool { v, _ := svc.Automation(ctx, a.ID); return v.Status == autocred.AutomationBroken })
	v, _ := svc.Automation(ctx, a.ID)
	c, _ := env.Store.Connection(ctx, cert.ID)
	if c.Status != autocred.ConnectionBroken || !strings.Contains(c.StatusReason, "Reconnect") || !strings.Contains(v.StatusReason, "Reconnect") {
		t.Errorf("connection %+v, automation reason %q: want broken, saying what to do", c, v.StatusReason)
	}
	if v.Runs[autocred.RunPending] != 1 {
		t.Fatalf("runs = %v, want one pending", v.Runs)
	}

	if err := env.Certifier.AddWorkspace(testenv.CertWorkspace, "a-new-token-0123456789"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ReconnectConnection(ctx, cert.ID, service.NewConnection{App: autocred.AppCertifier, Name: "C", APIURL: env.CertifierURL, AccessToken: "a-new-token-0123456789"}); err != nil {
		t.Fatal(err)
	}
	if err := svc.Resume(ctx, a.ID, true); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the waiting run to be issued", func() bool { v, _ := svc.Automation(ctx, a.ID); return v.Runs[autocred.RunIssued] == 1 })
	if n := len(env.Certifier.Credentials(testenv.CertWorkspace)); n != 1 {
		t.Errorf("%d credentials, want 1", n)
	}
	runs, _, _ := env.Store.Runs(ctx, autocred.RunFilter{AutomationID: a.ID})
	if len(runs) != 1 || runs[0].Attempts > 2 {
		t.Errorf("runs = %+v", runs)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

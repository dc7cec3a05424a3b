package service_test

import (
	"context"
	"strings"
	"testing"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/testenv"
	"github.com/autocred/autocred/service"
	simac "github.com/autocred/autocred/sim/activecampaign"
)

// A token revoked in Certifier breaks its connection and stops its
// automations, with the reason; the run waits. Reconnecting with a new token
// and resuming issues it, once.
func TestRevokedTokenBreaksThenReconnectRepairs(t *testing.T) {
	env := testenv.New(t, testenv.Options{})
	ctx := context.Background()
	svc := env.Service
	is := startIssuing(t, env, "Course", simac.ContactInput{Email: "ana@example.com", FirstName: "Ana"})
	a, cert := is.automation, is.cert

	if err := env.Certifier.RevokeToken(testenv.CertifierToken); err != nil {
		t.Fatal(err)
	}
	is.tagDone(t, env)
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
	if err := svc.Resume(ctx, a.ID, new(true), false); err != nil {
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

// Resuming cannot work while a key is still refused, and is refused. Once
// reconnected, the automation is paused (no longer broken), and resuming
// it without a choice catches up: a contact who entered while the key was
// refused gets a credential, since nobody chose to skip them (rule R9). A
// user's own pause still starts fresh by default (design §3).
func TestResumeAfterReconnectCatchesUpByDefault(t *testing.T) {
	env := testenv.New(t, testenv.Options{})
	ctx := context.Background()
	svc := env.Service
	is := startIssuing(t, env, "Course", simac.ContactInput{Email: "ana@example.com", FirstName: "Ana"}, simac.ContactInput{Email: "bo@example.com", FirstName: "Bo"})
	a, cert := is.automation, is.cert

	if err := env.Certifier.RevokeToken(testenv.CertifierToken); err != nil {
		t.Fatal(err)
	}
	if err := env.AC.BulkTag(testenv.ACAccount, is.contacts[:1], "Done", false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the automation to break", func() bool { v, _ := svc.Automation(ctx, a.ID); return v.Status == autocred.AutomationBroken })
	if err := svc.Resume(ctx, a.ID, nil, false); autocred.ErrorCode(err) != autocred.ECONFLICT || !strings.Contains(autocred.ErrorMessage(err), "reconnect it with a new key first") {
		t.Errorf("resuming while the key is refused: %v, want a conflict saying to reconnect first", err)
	}
	// Bo enters while the automation is stopped.
	if err := env.AC.BulkTag(testenv.ACAccount, is.contacts[1:], "Done", false); err != nil {
		t.Fatal(err)
	}

	if err := env.Certifier.AddWorkspace(testenv.CertWorkspace, "a-new-token-0123456789"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ReconnectConnection(ctx, cert.ID, service.NewConnection{App: autocred.AppCertifier, Name: "C", APIURL: env.CertifierURL, AccessToken: "a-new-token-0123456789"}); err != nil {
		t.Fatal(err)
	}
	if v, _ := svc.Automation(ctx, a.ID); v.Status != autocred.AutomationPaused || !v.Reconnected() {
		t.Errorf("after reconnecting: %s, %q; want paused, saying to resume", v.Status, v.StatusReason)
	}
	if err := svc.Resume(ctx, a.ID, nil, false); err != nil {
		t.Fatal(err)
	}
	if v, _ := svc.Automation(ctx, a.ID); v.Status != autocred.AutomationActive {
		t.Fatalf("resumed after a reconnect without a choice: %s, want active (caught up), not a new baseline", v.Status)
	}
	waitFor(t, "Ana's waiting run and Bo's entry issued", func() bool { v, _ := svc.Automation(ctx, a.ID); return v.Runs[autocred.RunIssued] == 2 })

	if err := svc.Pause(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if err := svc.Resume(ctx, a.ID, nil, false); err != nil {
		t.Fatal(err)
	}
	if v, _ := svc.Automation(ctx, a.ID); v.Status != autocred.AutomationBaselining {
		t.Errorf("resumed after a user's pause without a choice: %s, want a new baseline", v.Status)
	}
}

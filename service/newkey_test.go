package service_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/testenv"
	"github.com/autocred/autocred/service"
	simac "github.com/autocred/autocred/sim/activecampaign"
	simcert "github.com/autocred/autocred/sim/certifier"
)

// A new key of another account is refused, saying which groups or
// segments it cannot see and what to do (issue 15, round 5, #3): a
// Certifier token of another workspace passes the live check, and then
// the next entrant paused the automation for a "deleted" group.
func TestNewKeyOfAnotherAccountIsRefused(t *testing.T) {
	env := testenv.New(t, testenv.Options{})
	ctx := context.Background()
	svc := env.Service
	is := startIssuing(t, env, "VIP Member Badge", simac.ContactInput{Email: "ana@example.com", FirstName: "Ana"})

	const other = "cert-token-other-0123456789"
	if err := env.Certifier.AddWorkspace("other", other); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Certifier.AddGroup("other", simcert.GroupInput{Name: "Diploma"}); err != nil {
		t.Fatal(err)
	}
	_, err := svc.ReconnectConnection(ctx, is.cert.ID, service.NewConnection{App: autocred.AppCertifier, APIURL: env.CertifierURL, AccessToken: other})
	msg := autocred.ErrorMessage(err)
	if autocred.ErrorCode(err) != autocred.ECONFLICT || errorField(err) != "access_token" {
		t.Fatalf("a token of another workspace: %v (field %q), want a conflict on access_token", err, errorField(err))
	}
	for _, want := range []string{"cannot see the group 'VIP Member Badge'", `"Certificates"`, "another Certifier workspace", "the key was not changed", "create a token there"} {
		if !strings.Contains(msg, want) {
			t.Errorf("refusal %q\nwant it to say %q", msg, want)
		}
	}
	// The old key is kept: entrants are issued as before.
	is.tagDone(t, env)
	waitFor(t, "the run issued with the old key", func() bool { v, _ := svc.Automation(ctx, is.automation.ID); return v.Runs[autocred.RunIssued] == 1 })

	// An ActiveCampaign key of another account cannot see the segment.
	const otherKey = "ac-key-other-0123456789abcdef"
	if err := env.AC.AddAccount("other", otherKey); err != nil {
		t.Fatal(err)
	}
	acc, _ := svc.Automation(ctx, is.automation.ID)
	_, err = svc.ReconnectConnection(ctx, acc.Trigger.ConnectionID, service.NewConnection{App: autocred.AppActiveCampaign,
		APIURL: strings.TrimSuffix(env.ACURL, testenv.ACAccount) + "other", APIKey: otherKey})
	if autocred.ErrorCode(err) != autocred.ECONFLICT || errorField(err) != "api_key" {
		t.Fatalf("a key of another ActiveCampaign account: %v, want a conflict on api_key", err)
	}
	for _, want := range []string{"cannot see the segment 'Done'", `"Certificates" watches`, "another ActiveCampaign account"} {
		if !strings.Contains(autocred.ErrorMessage(err), want) {
			t.Errorf("refusal %q\nwant it to say %q", autocred.ErrorMessage(err), want)
		}
	}
}

// An automation paused because its group seemed deleted, while the key
// reached another workspace, resumes once the right key is back, or when
// resumed: a group the workspace shows is not missing, and no Edit+Save
// is needed (issue 15, round 5, #3).
func TestGroupVisibleAgainResumes(t *testing.T) {
	env := testenv.New(t, testenv.Options{})
	ctx := context.Background()
	svc := env.Service
	is := startIssuing(t, env, "VIP Member Badge", simac.ContactInput{Email: "ana@example.com", FirstName: "Ana"})
	a := is.automation
	pause := func() {
		t.Helper()
		if err := env.Store.SetAutomationStatus(ctx, a.ID, autocred.AutomationPaused, autocred.GroupMissingReason(is.group.Name), autocred.AutomationActive); err != nil {
			t.Fatal(err)
		}
		if v, _ := svc.Automation(ctx, a.ID); !v.GroupMissing() {
			t.Fatalf("automation %s %q, want paused for its group", v.Status, v.StatusReason)
		}
	}
	active := func(how string) {
		t.Helper()
		waitFor(t, how, func() bool {
			v, _ := svc.Automation(ctx, a.ID)
			return v.Status == autocred.AutomationActive && v.StatusReason == ""
		})
	}

	pause()
	if _, err := svc.ReconnectConnection(ctx, is.cert.ID, service.NewConnection{App: autocred.AppCertifier, APIURL: env.CertifierURL, AccessToken: testenv.CertifierToken}); err != nil {
		t.Fatalf("the right token back: %v", err)
	}
	active("resumed by the right key")

	pause()
	if err := svc.Resume(ctx, a.ID, nil, false); err != nil {
		t.Fatalf("resuming with its group visible: %v", err)
	}
	active("resumed by Resume")
}

// errorField is the field an autocred.Error names, or "".
func errorField(err error) string {
	var e *autocred.Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}

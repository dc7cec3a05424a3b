package service_test

import (
	"context"
	"testing"
	"time"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/testenv"
	"github.com/autocred/autocred/service"
	simac "github.com/autocred/autocred/sim/activecampaign"
	simcert "github.com/autocred/autocred/sim/certifier"
)

// connectAC connects the test environment's ActiveCampaign account through
// the service, as a user would.
func connectAC(t *testing.T, env *testenv.Env) autocred.Connection {
	t.Helper()
	ac, err := env.Service.CreateConnection(context.Background(), service.NewConnection{App: autocred.AppActiveCampaign, Name: "AC", APIURL: env.ACURL, APIKey: testenv.ACKey})
	if err != nil {
		t.Fatal(err)
	}
	return ac
}

// connectBoth connects the test environment's ActiveCampaign account and
// Certifier workspace through the service, as a user would.
func connectBoth(t *testing.T, env *testenv.Env) (ac, cert autocred.Connection) {
	t.Helper()
	ac = connectAC(t, env)
	cert, err := env.Service.CreateConnection(context.Background(), service.NewConnection{App: autocred.AppCertifier, Name: "C", APIURL: env.CertifierURL, AccessToken: testenv.CertifierToken})
	if err != nil {
		t.Fatal(err)
	}
	return ac, cert
}

// tagSegment defines, in the ActiveCampaign sandbox, a segment of the
// contacts that have tag.
func tagSegment(t *testing.T, env *testenv.Env, name, tag string) simac.Segment {
	t.Helper()
	seg, err := env.AC.DefineSegment(testenv.ACAccount, simac.SegmentDef{Name: name, Conditions: []simac.Condition{{Type: "tag", Op: "has", Value: tag}}})
	if err != nil {
		t.Fatal(err)
	}
	return seg
}

// importContacts imports contacts into the ActiveCampaign sandbox and
// returns their ids.
func importContacts(t *testing.T, env *testenv.Env, contacts ...simac.ContactInput) []int64 {
	t.Helper()
	ids, err := env.AC.Import(testenv.ACAccount, contacts)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// issuing is an active automation, made through the service, that issues
// and sends a credential in a Certifier group to each contact tagged
// "Done", named by the contact's first name.
type issuing struct {
	automation service.AutomationView
	input      service.AutomationInput // as created, for an edit
	cert       autocred.Connection
	group      simcert.Group
	contacts   []int64 // imported untagged: tagDone makes them enter
}

// startIssuing connects both accounts, imports contacts (untagged), creates
// the automation into a new group named group, activates it and waits for
// its baseline.
func startIssuing(t *testing.T, env *testenv.Env, group string, contacts ...simac.ContactInput) issuing {
	t.Helper()
	ctx := context.Background()
	var is issuing
	var ac autocred.Connection
	ac, is.cert = connectBoth(t, env)
	seg := tagSegment(t, env, "Done", "Done")
	var err error
	if is.group, err = env.Certifier.AddGroup(testenv.CertWorkspace, simcert.GroupInput{Name: group}); err != nil {
		t.Fatal(err)
	}
	is.contacts = importContacts(t, env, contacts...)
	is.input = service.AutomationInput{Name: "Certificates", Trigger: autocred.Trigger{ConnectionID: ac.ID, SegmentID: seg.ID},
		Action: autocred.Action{ConnectionID: is.cert.ID, GroupID: is.group.ID, RecipientName: "{{contact.firstName}}", RecipientEmail: "{{contact.email}}", Issue: true, Send: true}}
	if is.automation, err = env.Service.CreateAutomation(ctx, is.input); err != nil {
		t.Fatal(err)
	}
	if err := env.Service.Activate(ctx, is.automation.ID, false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "active", func() bool {
		v, _ := env.Service.Automation(ctx, is.automation.ID)
		return v.Status == autocred.AutomationActive
	})
	return is
}

// tagDone makes every contact of the automation enter its segment.
func (is issuing) tagDone(t *testing.T, env *testenv.Env) {
	t.Helper()
	if err := env.AC.BulkTag(testenv.ACAccount, is.contacts, "Done", false); err != nil {
		t.Fatal(err)
	}
}

// completers is the segment "Completers" (contacts tagged "done") after
// contacts were imported, and the ActiveCampaign connection, as a preview
// needs them.
func completers(t *testing.T, env *testenv.Env, contacts ...simac.ContactInput) (autocred.Connection, simac.Segment) {
	t.Helper()
	importContacts(t, env, contacts...)
	seg := tagSegment(t, env, "Completers", "done")
	return connectAC(t, env), seg
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

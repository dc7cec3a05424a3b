package engine_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/testenv"
	"github.com/autocred/autocred/service"
	simac "github.com/autocred/autocred/sim/activecampaign"
	simcert "github.com/autocred/autocred/sim/certifier"
)

// A sync in which nothing changed is the work every watched segment costs
// every interval: on SQLite, whose one writer every sync shares, it
// commits twice (its lease, then its end: each automation's sync and
// snapshot, and the lease given up), however many automations watch the
// segment. It was seven for two automations (issue 16: one SQLite node
// fell behind at 2,000 automations).
func TestSyncWithoutChangeCommitsTwice(t *testing.T) {
	env := testenv.New(t, testenv.Options{Stopped: true})
	ctx := context.Background()
	in := make([]simac.ContactInput, 300)
	for i := range in {
		in[i] = simac.ContactInput{Email: fmt.Sprintf("m%d@example.com", i), FirstName: "M", Tags: []string{"Done"}}
	}
	if _, err := env.AC.Import(testenv.ACAccount, in); err != nil {
		t.Fatal(err)
	}
	seg, err := env.AC.DefineSegment(testenv.ACAccount, simac.SegmentDef{Name: "Done", Conditions: []simac.Condition{{Type: "tag", Op: "has", Value: "Done"}}})
	if err != nil {
		t.Fatal(err)
	}
	group, err := env.Certifier.AddGroup(testenv.CertWorkspace, simcert.GroupInput{Name: "Course"})
	if err != nil {
		t.Fatal(err)
	}
	ac, err := env.Service.CreateConnection(ctx, service.NewConnection{App: autocred.AppActiveCampaign, Name: "AC", APIURL: env.ACURL, APIKey: testenv.ACKey})
	if err != nil {
		t.Fatal(err)
	}
	crt, err := env.Service.CreateConnection(ctx, service.NewConnection{App: autocred.AppCertifier, Name: "Certifier", APIURL: env.CertifierURL, AccessToken: testenv.CertifierToken})
	if err != nil {
		t.Fatal(err)
	}
	var autos []int64
	for _, name := range []string{"Certificates", "Badges"} {
		a := autocred.Automation{Name: name, Trigger: autocred.Trigger{ConnectionID: ac.ID, SegmentID: seg.ID},
			Action: autocred.Action{ConnectionID: crt.ID, GroupID: group.ID, RecipientName: "{{contact.firstName}}", RecipientEmail: "{{contact.email}}", Issue: true, Send: true}}
		if err := env.Store.CreateAutomation(ctx, &a); err != nil {
			t.Fatal(err)
		}
		if err := env.Store.ActivateAutomation(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		autos = append(autos, a.ID)
	}
	if err := env.Engine.WorkSync(ctx, ac.ID, seg.ID); err != nil { // the baselines
		t.Fatal(err)
	}
	for _, id := range autos {
		if a, _ := env.Store.Automation(ctx, id); a.Status != autocred.AutomationActive {
			t.Fatalf("automation %d is %s after its baseline, want active", id, a.Status)
		}
	}
	synced := map[int64]autocred.Automation{}
	for _, id := range autos {
		synced[id], _ = env.Store.Automation(ctx, id)
	}
	before := env.Store.StatementCounts()
	if err := env.Engine.WorkSync(ctx, ac.ID, seg.ID); err != nil {
		t.Fatal(err)
	}
	after := env.Store.StatementCounts()
	t.Logf("a sync without change: %d statements, %d writes, %d commits", after.Statements-before.Statements, after.Writes-before.Writes, after.Commits-before.Commits)
	if commits := after.Commits - before.Commits; commits > 2 {
		t.Errorf("a sync without change of a segment two automations watch committed %d times (%d statements, %d writes), want 2",
			commits, after.Statements-before.Statements, after.Writes-before.Writes)
	}
	for _, id := range autos {
		a, _ := env.Store.Automation(ctx, id)
		if was := synced[id]; a.SnapshotSeq != was.SnapshotSeq+1 || !a.LastSyncAt.After(was.LastSyncAt) || !a.NextSyncAt.After(was.NextSyncAt) {
			t.Errorf("automation %d after the sync: snapshot %d, last sync %v, next %v; want the next snapshot after %d, and both times later than %v, %v",
				id, a.SnapshotSeq, a.LastSyncAt, a.NextSyncAt, was.SnapshotSeq, was.LastSyncAt, was.NextSyncAt)
		}
	}
}

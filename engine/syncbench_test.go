package engine_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/testenv"
	"github.com/autocred/autocred/service"
	simac "github.com/autocred/autocred/sim/activecampaign"
	simcert "github.com/autocred/autocred/sim/certifier"
)

// BenchmarkSyncNoChange is one sync of a segment of 6,000 members (the
// mean of BenchmarkAccounts' segments) in which nothing changed: the work
// every watched segment costs every interval. It runs in this process with
// the sandbox, so that a CPU profile shows where a sync's time goes:
//
//	go test -run XXX -bench SyncNoChange -benchtime 200x -cpuprofile /tmp/sync.prof ./engine/
//	go tool pprof -top -focus 'autocred/(engine|store|activecampaign)' /tmp/sync.prof
func BenchmarkSyncNoChange(b *testing.B) {
	const members = 6000
	env := testenv.New(b, testenv.Options{PollInterval: time.Hour})
	ctx := context.Background()
	in := make([]simac.ContactInput, members)
	for i := range in {
		in[i] = simac.ContactInput{Email: fmt.Sprintf("m%d@example.com", i), FirstName: "M", LastName: fmt.Sprint(i), Tags: []string{"Completed"}}
	}
	if _, err := env.AC.Import(testenv.ACAccount, in); err != nil {
		b.Fatal(err)
	}
	seg, err := env.AC.DefineSegment(testenv.ACAccount, simac.SegmentDef{Name: "Completers", Conditions: []simac.Condition{{Type: "tag", Op: "has", Value: "Completed"}}})
	if err != nil {
		b.Fatal(err)
	}
	group, err := env.Certifier.AddGroup(testenv.CertWorkspace, simcert.GroupInput{Name: "Course"})
	if err != nil {
		b.Fatal(err)
	}
	ac, err := env.Service.CreateConnection(ctx, service.NewConnection{App: autocred.AppActiveCampaign, Name: "AC", APIURL: env.ACURL, APIKey: testenv.ACKey})
	if err != nil {
		b.Fatal(err)
	}
	crt, err := env.Service.CreateConnection(ctx, service.NewConnection{App: autocred.AppCertifier, Name: "Certifier", APIURL: env.CertifierURL, AccessToken: testenv.CertifierToken})
	if err != nil {
		b.Fatal(err)
	}
	view, err := env.Service.CreateAutomation(ctx, service.AutomationInput{Name: "Certificates", Trigger: autocred.Trigger{ConnectionID: ac.ID, SegmentID: seg.ID},
		Action: autocred.Action{ConnectionID: crt.ID, GroupID: group.ID, RecipientName: "{{contact.firstName}}", RecipientEmail: "{{contact.email}}", Issue: true, Send: true}})
	if err != nil {
		b.Fatal(err)
	}
	a := view.Automation
	if err := env.Store.ActivateAutomation(ctx, a.ID); err != nil {
		b.Fatal(err)
	}
	for a.Status != autocred.AutomationActive {
		time.Sleep(10 * time.Millisecond)
		a, _ = env.Store.Automation(ctx, a.ID)
	}
	b.ResetTimer()
	for range b.N {
		before, _ := env.Store.Automation(ctx, a.ID)
		if err := env.Store.SyncAutomationSoon(ctx, a.ID); err != nil {
			b.Fatal(err)
		}
		for {
			now, _ := env.Store.Automation(ctx, a.ID)
			if now.LastSyncAt.After(before.LastSyncAt) {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/engine"
	"github.com/autocred/autocred/internal/accounts"
	"github.com/autocred/autocred/internal/testenv"
	"github.com/autocred/autocred/store/storetest"
)

// TestPlaceInLineReadsOnce checks what taking a new issue job's place in
// its workspace's line costs the database: the run, its automation and
// the automation's Certifier connection in one query, as the job reads
// them again under its lease, not one query each. Every new issue job takes a place when Certifier is paced (the
// default), so a query more here is a query more per credential.
func TestPlaceInLineReadsOnce(t *testing.T) {
	ctx := context.Background()
	env := testenv.New(t, testenv.Options{Stopped: true, Clients: func(cc *accounts.Config) { cc.CertifierPerSecond = 1000 }})
	st := env.Store
	ac := autocred.Connection{App: autocred.AppActiveCampaign, Name: "AC", APIURL: "http://ac.invalid/acme", SecretHint: "…0001"}
	crt := autocred.Connection{App: autocred.AppCertifier, Name: "Certifier", APIURL: "http://certifier.invalid/v1", SecretHint: "…0001"}
	for _, c := range []*autocred.Connection{&ac, &crt} {
		if err := st.CreateConnection(ctx, c, env.Box.Seal("key-0001")); err != nil {
			t.Fatal(err)
		}
	}
	a := autocred.Automation{Name: "Graduates", Trigger: autocred.Trigger{ConnectionID: ac.ID, SegmentID: "1", SegmentName: "Graduates"},
		Action: autocred.Action{ConnectionID: crt.ID, GroupID: "g", GroupName: "G", RecipientName: "{{contact.firstName}}",
			RecipientEmail: "{{contact.email}}", IssueDate: "{{today}}", Issue: true, Send: true}}
	if err := st.CreateAutomation(ctx, &a); err != nil {
		t.Fatal(err)
	}
	if err := st.SetAutomationStatus(ctx, a.ID, autocred.AutomationActive, ""); err != nil {
		t.Fatal(err)
	}
	run := autocred.Run{AutomationID: a.ID, ContactID: 42, Entry: 1, Email: "ana@example.com",
		Contact: autocred.Contact{ID: 42, Email: "ana@example.com", FirstName: "Ana"}}
	if err := storetest.InsertRun(ctx, st, &run); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	job := &river.Job[engine.IssueArgs]{JobRow: &rivertype.JobRow{CreatedAt: now, ScheduledAt: now}, Args: engine.IssueArgs{RunID: run.ID}}
	// The first place also opens the workspace's client (its connection
	// and key, read once and kept): what every later job costs is the
	// second's.
	env.Engine.PlaceInLine(ctx, job)
	before := st.StatementCounts()
	env.Engine.PlaceInLine(ctx, job)
	if got := st.StatementCounts().Statements - before.Statements; got != 1 {
		t.Errorf("taking a new issue job's place in line ran %d statements; want 1 (the run, its automation and its Certifier connection read together)", got)
	}
}

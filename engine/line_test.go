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
	a := unreachableAutomation(t, env)
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

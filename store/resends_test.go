package store

import (
	"context"
	"testing"

	"github.com/riverqueue/river"

	"github.com/autocred/autocred"
)

type testResend struct {
	RunID int64  `json:"run_id"`
	By    string `json:"by"`
}

func (testResend) Kind() string { return "resend" }

// Resend email to all queues the runs whose send is unconfirmed and whose
// own resend did not maybe go out already: a tester was told 20 emails
// were being resent, and none was, because each such run's job refused
// (a third copy). Those runs are counted apart (left out), not queued.
func TestQueueResendsLeavesOutMaybeResent(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		a := fixture(t, db)
		ctx := context.Background()
		runs := []autocred.Run{
			{Status: autocred.RunSendUnconfirmed, CredentialID: "c1"},
			{Status: autocred.RunSendUnconfirmed, CredentialID: "c2"},
			{Status: autocred.RunSendUnconfirmed, CredentialID: "c3", ErrorCode: autocred.RunCodeResendUnconfirmed, LastError: "A resend may have gone out."},
			{Status: autocred.RunIssued, CredentialID: "c4"},
		}
		storeRuns(t, db, a.ID, runs)
		withJobs(t, db)
		db.jobs.Resend = func(runID int64, by string) river.JobArgs { return testResend{RunID: runID, By: by} }
		queued, leftOut, err := db.QueueResends(ctx, a.ID, "ana@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if queued != 2 || leftOut != 1 {
			t.Errorf("queued %d, left out %d; want 2 and 1 (the run whose resend may have gone out)", queued, leftOut)
		}
		if n := jobs(t, db, "resend"); n != 2 {
			t.Errorf("%d resend jobs, want 2", n)
		}
		if n, err := db.CountRuns(ctx, autocred.RunFilter{AutomationID: a.ID, Status: autocred.RunSendUnconfirmed, ErrorCode: autocred.RunCodeResendUnconfirmed}); err != nil || n != 1 {
			t.Errorf("the runs left out, as the page counts them: %d (%v), want 1", n, err)
		}
	})
}

package store

import (
	"context"
	"testing"
	"time"

	"github.com/autocred/autocred"
)

// A resume with Start fresh counts the new baseline's contacts who already
// had a credential from the automation (FreshStart.Credited), and the
// automation's page says the others "got nothing". A contact whose issued
// run was pruned by --run-retention did get a credential: pruning must not
// turn them into one who "got nothing" (the counts on the automation's page
// stay right after pruning, issue 16).
func TestStartFreshAfterPruningCountsWhoHadACredential(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		withJobs(t, db)
		a := fixture(t, db)
		now := time.Now()
		if err := db.ActivateAutomation(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if err := db.RecordBaseline(ctx, a.ID, []autocred.ContactID{1, 2}, now, false, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := db.RecordEntries(ctx, []autocred.Run{{AutomationID: a.ID, ContactID: 3}}, now, now, false); err != nil {
			t.Fatal(err)
		}
		for _, r := range allRuns(t, db, a.ID) {
			r.Status, r.CredentialID = autocred.RunIssued, "cred-3"
			if err := db.SaveRun(ctx, &r); err != nil {
				t.Fatal(err)
			}
		}
		// The run finished long ago, and the retention prunes it.
		old := now.Add(-500 * 24 * time.Hour)
		if _, err := db.pool().ExecContext(ctx, `UPDATE runs SET updated_at = ?, finished_at = ? WHERE automation_id = ?`, ms(old), ms(old), a.ID); err != nil {
			t.Fatal(err)
		}
		if pruned, _ := pruneAll(t, db, now.Add(time.Minute), 100); pruned != 1 {
			t.Fatalf("pruned %d runs, want 1", pruned)
		}
		if err := db.PauseAutomation(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if err := db.ResumeAutomation(ctx, a.ID, false); err != nil {
			t.Fatal(err)
		}
		if err := db.RecordBaseline(ctx, a.ID, []autocred.ContactID{3, 2, 1}, now.Add(time.Hour), false, nil); err != nil {
			t.Fatal(err)
		}
		got, _ := db.Automation(ctx, a.ID)
		if got.FreshStart == nil || got.FreshStart.Credited != 1 {
			t.Errorf("after pruning and Start fresh: FreshStart %+v; want contact 3, whose issued run was pruned, counted as credited (1): the page tells the user %d of %d got nothing",
				got.FreshStart, got.Baseline.Total-credited(got.FreshStart), got.Baseline.Total)
		}
	})
}

func credited(f *autocred.FreshStart) int {
	if f == nil {
		return 0
	}
	return f.Credited
}

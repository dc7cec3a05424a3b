package store

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/autocred/autocred"
)

// startFreshAfter takes an automation with a first baseline {1, 2} and
// runs for contacts 3 to 6 (issued, a draft, failed, skipped), lets
// deleteRuns delete them, then resumes it with Start fresh on a baseline
// of contacts 1 to 6, and returns how many of them it counts as having had
// a credential: 3 and 4, whose runs gave one; 5 and 6, whose runs gave
// none, got nothing.
func startFreshAfter(t *testing.T, db *DB, deleteRuns func(a autocred.Automation, now time.Time)) *autocred.FreshStart {
	t.Helper()
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
	entrants := []autocred.Run{{AutomationID: a.ID, ContactID: 3}, {AutomationID: a.ID, ContactID: 4}, {AutomationID: a.ID, ContactID: 5}, {AutomationID: a.ID, ContactID: 6}}
	if _, err := db.RecordEntries(ctx, entrants, now, now, false); err != nil {
		t.Fatal(err)
	}
	status := map[autocred.ContactID]autocred.RunStatus{3: autocred.RunIssued, 4: autocred.RunDraft, 5: autocred.RunFailed, 6: autocred.RunSkipped}
	for _, r := range allRuns(t, db, a.ID) {
		r.Status = status[r.ContactID]
		if r.Status == autocred.RunIssued || r.Status == autocred.RunDraft {
			r.CredentialID = "cred-" + r.ContactID.String()
		}
		if err := db.SaveRun(ctx, &r); err != nil {
			t.Fatal(err)
		}
	}
	if removed, err := db.RunsRemoved(ctx); err != nil || removed {
		t.Fatalf("before deleting any run, RunsRemoved says %v (%v)", removed, err)
	}
	deleteRuns(a, now)
	if removed, err := db.RunsRemoved(ctx); err != nil || !removed {
		t.Errorf("after deleting runs, RunsRemoved says %v (%v), want true", removed, err)
	}
	if n := countRows(t, db, `SELECT count(*) FROM runs WHERE automation_id = ?`, a.ID); n != 0 {
		t.Fatalf("%d runs left, want none", n)
	}
	if got, _ := db.Automation(ctx, a.ID); got.Status != autocred.AutomationPaused {
		if err := db.PauseAutomation(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.ResumeAutomation(ctx, a.ID, false); err != nil {
		t.Fatal(err)
	}
	if err := db.RecordBaseline(ctx, a.ID, []autocred.ContactID{6, 5, 4, 3, 2, 1}, now.Add(time.Hour), false, nil); err != nil {
		t.Fatal(err)
	}
	got, _ := db.Automation(ctx, a.ID)
	return got.FreshStart
}

// credited is how many of a Start fresh's baseline had a credential
// already (0 when there is no Start fresh).
func credited(f *autocred.FreshStart) int {
	if f == nil {
		return 0
	}
	return f.Credited
}

// Pruning marks in the ledger the contacts whose pruned run had given them
// a credential (an issued run, a draft), and those only: a failed or
// skipped run pruned gave its contact nothing.
func TestStartFreshAfterPruningCountsOnlyWhoHadACredential(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		f := startFreshAfter(t, db, func(a autocred.Automation, now time.Time) {
			old := now.Add(-500 * 24 * time.Hour)
			if _, err := db.pool().ExecContext(context.Background(), `UPDATE runs SET updated_at = ?, finished_at = ? WHERE automation_id = ?`, ms(old), ms(old), a.ID); err != nil {
				t.Fatal(err)
			}
			if pruned, _ := pruneAll(t, db, now.Add(time.Minute), 2); pruned != 4 {
				t.Fatalf("pruned %d runs, want 4", pruned)
			}
		})
		if credited(f) != 2 {
			t.Errorf("after pruning and Start fresh: FreshStart %+v; want 2 credited (the issued run and the draft pruned)", f)
		}
	})
}

// Deleting an archived automation's history deletes its runs as pruning
// does: restored and resumed with Start fresh, it still counts who had a
// credential from it, not them among those who got nothing.
func TestStartFreshAfterDeletingHistoryCountsWhoHadACredential(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		f := startFreshAfter(t, db, func(a autocred.Automation, _ time.Time) {
			if _, err := db.ArchiveAutomation(ctx, a.ID); err != nil {
				t.Fatal(err)
			}
			if d, err := db.DeleteRunHistory(ctx, a.ID); err != nil || d.Runs != 4 {
				t.Fatalf("deleting the history: %+v, %v; want 4 runs deleted", d, err)
			}
			if _, err := db.RestoreAutomation(ctx, a.ID); err != nil {
				t.Fatal(err)
			}
		})
		if credited(f) != 2 {
			t.Errorf("after deleting the history, restoring and Start fresh: FreshStart %+v; want 2 credited (the issued run and the draft deleted)", f)
		}
	})
}

// A database from before migration 0025 keeps its ledger as it was, every
// contact unmarked (the runs pruned before cannot be told), and pruning
// marks from then on.
func TestUpgradeKeepsTheLedgerAndMarksFromThenOn(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		a := fixture(t, db)
		now := time.Now()
		old := now.Add(-500 * 24 * time.Hour)
		seedRuns(t, db, []*seededRun{
			{automationID: a.ID, contact: 7, status: autocred.RunIssued, entered: old, finished: old},
			{automationID: a.ID, contact: 8, status: autocred.RunFailed, entered: old.Add(time.Second), finished: old},
		})
		if _, err := db.MarkLeft(ctx, a.ID, 8, old.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		const ledger = `SELECT contact_id, in_segment, entries, missed_snapshot, first_seen, last_entered, last_left FROM memberships WHERE automation_id = ? ORDER BY contact_id`
		read := func() [][7]int64 {
			t.Helper()
			rows, err := db.pool().QueryContext(ctx, ledger, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var out [][7]int64
			for rows.Next() {
				var r [7]int64
				if err := rows.Scan(&r[0], &r[1], &r[2], &r[3], &r[4], &r[5], &r[6]); err != nil {
					t.Fatal(err)
				}
				out = append(out, r)
			}
			return out
		}
		before := read()
		// Back to the schema before 0025, then up again.
		for _, q := range []string{`ALTER TABLE memberships DROP COLUMN credited_pruned`, `DELETE FROM schema_migrations WHERE version = 25`} {
			if _, err := db.sql.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		if err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if after := read(); len(after) != 2 || !slices.Equal(before, after) {
			t.Errorf("ledger after the upgrade: %v, want %v", after, before)
		}
		if n := countRows(t, db, `SELECT count(*) FROM memberships WHERE automation_id = ? AND credited_pruned <> 0`, a.ID); n != 0 {
			t.Errorf("%d contacts marked by the upgrade, want none", n)
		}
		if pruned, _ := pruneAll(t, db, now, 100); pruned != 2 {
			t.Fatalf("pruned %d runs, want 2", pruned)
		}
		if n := countRows(t, db, `SELECT count(*) FROM memberships WHERE automation_id = ? AND credited_pruned = 1 AND contact_id = 7`, a.ID); n != 1 ||
			countRows(t, db, `SELECT count(*) FROM memberships WHERE automation_id = ? AND credited_pruned = 1`, a.ID) != 1 {
			t.Errorf("after pruning: contact 7 (issued) marked %d time(s), and only it should be", n)
		}
		if after := read(); !slices.Equal(before, after) {
			t.Errorf("ledger after pruning: %v, want %v", after, before)
		}
	})
}

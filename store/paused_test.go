package store

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/autocred/autocred"
)

// Resuming a paused automation with Start fresh issues nothing to who
// entered while it was paused, but loses nobody: the new baseline gives
// each of them (a newcomer, or a contact who had left before the pause
// and is back) a skipped run without an issue job, found by their name,
// email or id, which a retry issues once; the automation counts them apart
// from the baseline's members. Contacts of the old baseline, and one who
// entered before the pause, get nothing new.
func TestStartFreshRecordsWhoEnteredWhilePaused(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		withJobs(t, db)
		a := fixture(t, db)
		now := time.Now()
		if err := db.ActivateAutomation(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if err := db.RecordBaseline(ctx, a.ID, []autocred.ContactID{1, 2, 3}, now, false, nil); err != nil {
			t.Fatal(err)
		}
		if runs := allRuns(t, db, a.ID); len(runs) != 0 {
			t.Fatalf("the first baseline made %d runs, want none (R5)", len(runs))
		}
		if _, err := db.RecordEntries(ctx, []autocred.Run{{AutomationID: a.ID, ContactID: 4}}, now, now, false); err != nil {
			t.Fatal(err)
		}
		if _, err := db.MarkLeft(ctx, a.ID, 2, now); err != nil { // left before the pause
			t.Fatal(err)
		}
		if err := db.PauseAutomation(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if err := db.ResumeAutomation(ctx, a.ID, false); err != nil {
			t.Fatal(err)
		}
		issueJobs := jobs(t, db, "issue")

		zoe := autocred.Contact{ID: 5, Email: "zoe@example.com", FirstName: "Zoë", LastName: "Kim"}
		if err := db.RecordBaseline(ctx, a.ID, []autocred.ContactID{6, 5, 4, 3, 2, 1}, now, false,
			map[autocred.ContactID]autocred.Contact{5: zoe}); err != nil {
			t.Fatal(err)
		}
		got, _ := db.Automation(ctx, a.ID)
		entrants, err := db.SkippedEntrants(ctx, a.ID)
		if got.Status != autocred.AutomationActive || entrants != 3 || got.Baseline.Total != 3 || err != nil {
			t.Errorf("after the new baseline: %s, %d entered while paused, baseline of %d; want active, 3, 3 (%v)",
				got.Status, entrants, got.Baseline.Total, err)
		}
		skipped, _, err := db.Runs(ctx, autocred.RunFilter{AutomationID: a.ID, ErrorCode: autocred.RunCodeEnteredWhilePaused})
		if err != nil {
			t.Fatal(err)
		}
		var contacts []autocred.ContactID
		for _, r := range skipped {
			contacts = append(contacts, r.ContactID)
			if r.Status != autocred.RunSkipped || r.LastError != autocred.EnteredWhilePausedReason || r.Entry != 1 {
				t.Errorf("run of contact %d: %s, entry %d, %q", r.ContactID, r.Status, r.Entry, r.LastError)
			}
		}
		if slices.Sort(contacts); !slices.Equal(contacts, []autocred.ContactID{2, 5, 6}) {
			t.Errorf("skipped runs for contacts %v, want 2 (left, back), 5 and 6", contacts)
		}
		if n := len(allRuns(t, db, a.ID)); n != 4 {
			t.Errorf("%d runs in all, want 4: contact 4's and the three skipped", n)
		}
		// Only contact 4's pending run went again: no job for a skipped run.
		if n := jobs(t, db, "issue"); n != issueJobs+1 {
			t.Errorf("%d issue jobs after the baseline, want %d", n, issueJobs+1)
		}
		found, _, err := db.Runs(ctx, autocred.RunFilter{Contact: "zoë kim"})
		if err != nil || len(found) != 1 || found[0].Email != zoe.Email {
			t.Fatalf("search for the learner by name: %v, %v", found, err)
		}
		if in, _ := db.InSegment(ctx, a.ID); !slices.Equal(in, []autocred.ContactID{1, 2, 3, 4, 5, 6}) {
			t.Errorf("in = %v", in)
		}

		// Retry issues the credential on purpose, once (R1).
		if err := db.RetryRun(ctx, found[0].ID, "Retried by ops@example.com"); err != nil {
			t.Fatal(err)
		}
		if err := db.RetryRun(ctx, found[0].ID, "again"); autocred.ErrorCode(err) != autocred.ECONFLICT {
			t.Errorf("second retry of a pending run: %v, want a conflict", err)
		}
		if n := jobs(t, db, "issue"); n != issueJobs+2 {
			t.Errorf("%d issue jobs after the retry, want %d", n, issueJobs+2)
		}
		if r, _ := db.Run(ctx, found[0].ID); r.Status != autocred.RunPending || r.ErrorCode != "" {
			t.Errorf("retried run: %s %q, want pending without a code", r.Status, r.ErrorCode)
		}
		// Retried, it is no longer one to retry.
		if n, err := db.SkippedEntrants(ctx, a.ID); n != 2 || err != nil {
			t.Errorf("after one was retried, %d entered while stopped are counted, want 2 (%v)", n, err)
		}
	})
}

// The ledger is kept from Resume until the new baseline is recorded: an
// automation resumed with Start fresh, paused again before its baseline
// and then resumed with Catch up, catches up on the ledger it had, instead
// of taking everyone in the segment for a new entry.
func TestStartFreshKeepsTheLedgerUntilItsBaseline(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		withJobs(t, db)
		a := fixture(t, db)
		if err := db.ActivateAutomation(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if err := db.RecordBaseline(ctx, a.ID, []autocred.ContactID{1, 2}, time.Now(), false, nil); err != nil {
			t.Fatal(err)
		}
		for _, step := range []func() error{
			func() error { return db.PauseAutomation(ctx, a.ID) },
			func() error { return db.ResumeAutomation(ctx, a.ID, false) },
			func() error { return db.PauseAutomation(ctx, a.ID) },
			func() error { return db.ResumeAutomation(ctx, a.ID, true) },
		} {
			if err := step(); err != nil {
				t.Fatal(err)
			}
		}
		got, _ := db.Automation(ctx, a.ID)
		in, _ := db.InSegment(ctx, a.ID)
		if got.Status != autocred.AutomationActive || !slices.Equal(in, []autocred.ContactID{1, 2}) {
			t.Errorf("caught up: %s with %v in, want active with [1 2]", got.Status, in)
		}
	})
}

// allRuns lists an automation's runs.
func allRuns(t *testing.T, db *DB, automationID int64) []autocred.Run {
	t.Helper()
	runs, _, err := db.Runs(context.Background(), autocred.RunFilter{AutomationID: automationID, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	return runs
}

// A database from before migration 0021 has the runs of who entered while
// an automation was stopped say "paused", which is untrue when autocred
// stopped it: upgraded, they say "stopped", and keep their code; another
// run's message is left alone.
func TestUpgradeSaysStoppedForWhoEnteredMeanwhile(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		a := fixture(t, db)
		const old = "Entered while the automation was paused; it was resumed with Start fresh, so no credential was issued. Retry issues one."
		runs := []autocred.Run{
			{Status: autocred.RunSkipped, ErrorCode: autocred.RunCodeEnteredWhilePaused, LastError: old},
			{Status: autocred.RunSkipped, ErrorCode: autocred.RunCodeInvalidEmail, LastError: "Skipped: no email, while the automation was paused; it was resumed."},
		}
		storeRuns(t, db, a.ID, runs)
		// Back to the schema before 0021, then up again.
		for _, q := range []string{`ALTER TABLE automations ADD COLUMN paused_entrants BIGINT NOT NULL DEFAULT 0`, `DELETE FROM schema_migrations WHERE version = 21`} {
			if _, err := db.sql.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		if err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		for i, want := range []string{autocred.EnteredWhilePausedReason, runs[1].LastError} {
			if got, err := db.Run(ctx, runs[i].ID); err != nil || got.LastError != want || got.ErrorCode != runs[i].ErrorCode {
				t.Errorf("run %d after the upgrade: %q %q, want %q %q (%v)", i, got.ErrorCode, got.LastError, runs[i].ErrorCode, want, err)
			}
		}
	})
}

// A baseline taken on a resume with Start fresh keeps what is true of it
// (autocred.FreshStart): when, and how many of its contacts already had a
// credential from the automation, or one on its way. Contact 3 was issued
// one, contact 4's is still pending (it goes on after the resume): both
// count; contact 1, of the first baseline, does not; contact 5, who
// entered while it was paused, is not one of the baseline's contacts. The
// first baseline has none.
func TestStartFreshCountsWhoHadACredential(t *testing.T) {
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
		if got, _ := db.Automation(ctx, a.ID); got.FreshStart != nil {
			t.Errorf("after the first baseline, FreshStart is %+v, want none", got.FreshStart)
		}
		if _, err := db.RecordEntries(ctx, []autocred.Run{{AutomationID: a.ID, ContactID: 3}, {AutomationID: a.ID, ContactID: 4}}, now, now, false); err != nil {
			t.Fatal(err)
		}
		for _, r := range allRuns(t, db, a.ID) {
			if r.ContactID == 3 {
				r.Status, r.CredentialID = autocred.RunIssued, "cred-3"
				if err := db.SaveRun(ctx, &r); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := db.PauseAutomation(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if err := db.ResumeAutomation(ctx, a.ID, false); err != nil {
			t.Fatal(err)
		}
		at := now.Add(time.Hour)
		if err := db.RecordBaseline(ctx, a.ID, []autocred.ContactID{5, 4, 3, 2, 1}, at, false, nil); err != nil {
			t.Fatal(err)
		}
		got, _ := db.Automation(ctx, a.ID)
		if got.FreshStart == nil || got.FreshStart.Credited != 2 || !got.FreshStart.At.Equal(fromMS(ms(at))) || got.Baseline.Total != 4 {
			t.Errorf("after Start fresh: baseline %+v, FreshStart %+v; want 4 contacts, 2 credited, at %v", got.Baseline, got.FreshStart, at)
		}
	})
}

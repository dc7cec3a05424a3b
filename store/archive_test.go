package store

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/autocred/autocred"
)

// Deleting an automation archives it (issue 13, point 5): its runs stay
// readable; deleting its history removes the runs and their logs but keeps
// the ledger, so the contacts it counted are still counted; only then can
// it be deleted for good.
func TestArchiveKeepsHistoryUntilItIsDeleted(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		a := fixture(t, db)
		var runID int64
		err := db.tx(ctx, func(tx *sql.Tx) error {
			if err := db.setAutomationStatus(ctx, tx, a.ID, autocred.AutomationActive, ""); err != nil {
				return err
			}
			if err := db.markBaseline(ctx, tx, a.ID, []autocred.ContactID{1, 2}, db.now()); err != nil {
				return err
			}
			entry, err := db.enter(ctx, tx, a.ID, 3, db.now())
			if err != nil {
				return err
			}
			r := autocred.Run{AutomationID: a.ID, ContactID: 3, Entry: entry, Email: "ana@example.com"}
			if err := db.insertRun(ctx, tx, &r); err != nil {
				return err
			}
			runID = r.ID
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.AddRunEvent(ctx, runID, "Issued credential cred-1."); err != nil {
			t.Fatal(err)
		}

		// Only an archived automation's history can be deleted, and only
		// an archived automation without history deleted for good.
		if _, err := db.DeleteRunHistory(ctx, a.ID); autocred.ErrorCode(err) != autocred.ECONFLICT {
			t.Errorf("deleting the history of an active automation: %v, want a conflict", err)
		}
		if err := db.DeleteAutomation(ctx, a.ID); autocred.ErrorCode(err) != autocred.ECONFLICT {
			t.Errorf("deleting an active automation for good: %v, want a conflict", err)
		}

		got, err := db.ArchiveAutomation(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != autocred.AutomationArchived || got.ArchivedAt.IsZero() {
			t.Errorf("archived automation: status %s, archived at %v", got.Status, got.ArchivedAt)
		}
		if again, err := db.ArchiveAutomation(ctx, a.ID); err != nil || !again.ArchivedAt.Equal(got.ArchivedAt) {
			t.Errorf("archiving twice: %v, archived at %v then %v", err, got.ArchivedAt, again.ArchivedAt)
		}
		watching, err := db.Automations(ctx, AutomationFilter{Statuses: []autocred.AutomationStatus{autocred.AutomationBaselining, autocred.AutomationActive}})
		if err != nil || len(watching) != 0 {
			t.Errorf("watching automations after archiving: %d, %v; want none", len(watching), err)
		}
		if r, err := db.Run(ctx, runID); err != nil || r.Email != "ana@example.com" {
			t.Errorf("an archived automation's run: %+v, %v; want it readable", r, err)
		}
		if err := db.DeleteAutomation(ctx, a.ID); autocred.ErrorCode(err) != autocred.ECONFLICT {
			t.Errorf("deleting for good an archived automation that has runs: %v, want a conflict", err)
		}

		// Restored, it comes back paused; archived again, its history goes.
		restored, err := db.RestoreAutomation(ctx, a.ID)
		if err != nil || restored.Status != autocred.AutomationPaused || !restored.ArchivedAt.IsZero() {
			t.Errorf("restored: status %s, archived at %v, %v; want paused, not archived", restored.Status, restored.ArchivedAt, err)
		}
		if _, err := db.RestoreAutomation(ctx, a.ID); autocred.ErrorCode(err) != autocred.ECONFLICT {
			t.Errorf("restoring an automation that is not archived: %v, want a conflict", err)
		}
		if _, err := db.ArchiveAutomation(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		// A pending run is a contact still owed a credential: its history
		// is kept until it ends.
		if _, err := db.DeleteRunHistory(ctx, a.ID); autocred.ErrorCode(err) != autocred.ECONFLICT || !strings.Contains(err.Error(), "1 pending run") {
			t.Errorf("deleting the history of an automation with a pending run: %v, want a conflict naming it", err)
		}
		run, err := db.Run(ctx, runID)
		if err != nil {
			t.Fatal(err)
		}
		run.Status, run.CredentialID = autocred.RunIssued, "cred-1"
		if err := db.SaveRun(ctx, &run); err != nil {
			t.Fatal(err)
		}
		d, err := db.DeleteRunHistory(ctx, a.ID)
		if err != nil || d.Runs != 1 || d.At.IsZero() {
			t.Errorf("deleting the history: %+v, %v; want 1 run", d, err)
		}
		if _, err := db.Run(ctx, runID); autocred.ErrorCode(err) != autocred.ENOTFOUND {
			t.Errorf("a run after its history was deleted: %v, want not found", err)
		}
		var events int
		if err := db.pool().QueryRowContext(ctx, `SELECT count(*) FROM run_events WHERE run_id = ?`, runID).Scan(&events); err != nil || events != 0 {
			t.Errorf("run log lines left after the history was deleted: %d, %v", events, err)
		}
		after, err := db.Automation(ctx, a.ID)
		if err != nil || after.HistoryDeleted.Runs != 1 || after.HistoryDeleted.At.IsZero() {
			t.Errorf("automation after its history was deleted: %+v, %v", after.HistoryDeleted, err)
		}
		// The ledger still counts everyone: contact 3 is in, with its
		// entry, so a restored automation does not see it enter again.
		for _, id := range []autocred.ContactID{1, 2, 3} {
			m, err := db.Membership(ctx, a.ID, id)
			if err != nil || !m.InSegment {
				t.Errorf("ledger row of contact %d after the history was deleted: %+v, %v; want in", id, m, err)
			}
		}
		if m, _ := db.Membership(ctx, a.ID, 3); m.Entries != 1 {
			t.Errorf("contact 3's entries after the history was deleted: %d, want 1", m.Entries)
		}
		if _, err := db.RestoreAutomation(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if err := db.tx(ctx, func(tx *sql.Tx) error {
			_, err := db.enter(ctx, tx, a.ID, 3, db.now())
			return err
		}); err != errAlreadyIn {
			t.Errorf("contact 3 in a restored automation whose history was deleted: %v, want already in", err)
		}

		// Deleted for good: the automation and its ledger go.
		if _, err := db.ArchiveAutomation(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if err := db.DeleteAutomation(ctx, a.ID); err != nil {
			t.Fatalf("deleting for good: %v", err)
		}
		if _, err := db.Automation(ctx, a.ID); autocred.ErrorCode(err) != autocred.ENOTFOUND {
			t.Errorf("automation after deleting it for good: %v, want not found", err)
		}
	})
}

// A draft comes back a draft, a broken automation broken, anything else
// paused.
func TestRestoredStatus(t *testing.T) {
	for from, want := range map[autocred.AutomationStatus]autocred.AutomationStatus{
		autocred.AutomationDraft:      autocred.AutomationDraft,
		autocred.AutomationBaselining: autocred.AutomationPaused,
		autocred.AutomationActive:     autocred.AutomationPaused,
		autocred.AutomationPaused:     autocred.AutomationPaused,
		autocred.AutomationBroken:     autocred.AutomationBroken,
	} {
		if got := autocred.RestoredStatus(from); got != want {
			t.Errorf("RestoredStatus(%s) = %s, want %s", from, got, want)
		}
	}
}

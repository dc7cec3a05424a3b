package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/autocred/autocred"
)

// The jobs of these tests: their kinds are the engine's, their workers
// are none (an insert-only River client).
type testIssue struct {
	RunID         int64 `json:"run_id"`
	ContactReadAt int64 `json:"contact_read_at"`
	batch         bool
}

func (testIssue) Kind() string { return "issue" }

// A batch's jobs come after single runs', as the engine's do.
func (j testIssue) InsertOpts() river.InsertOpts {
	if j.batch {
		return river.InsertOpts{Priority: 2}
	}
	return river.InsertOpts{}
}

type testSync struct {
	ConnectionID int64  `json:"connection_id"`
	SegmentID    string `json:"segment_id"`
}

func (testSync) Kind() string { return "sync" }

// withJobs gives db an insert-only River client as its job queue, as the
// engine does with its own.
func withJobs(t *testing.T, db *DB) {
	t.Helper()
	client, err := river.NewClient(db.RiverDriver(), &river.Config{})
	if err != nil {
		t.Fatal(err)
	}
	db.SetJobs(Jobs{Queue: client,
		Issue: func(runID int64, readAt time.Time, batch bool) river.JobArgs {
			return testIssue{RunID: runID, ContactReadAt: readAt.UnixMilli(), batch: batch}
		},
		Sync: func(connID int64, segmentID string, _ time.Time) river.JobArgs {
			return testSync{ConnectionID: connID, SegmentID: segmentID}
		}})
}

// jobs counts the jobs of a kind in River's table.
func jobs(t *testing.T, db *DB, kind string) int {
	t.Helper()
	var n int
	if err := db.pool().QueryRowContext(context.Background(), `SELECT count(*) FROM river_job WHERE kind = ?`, kind).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// failingQueue refuses every job, as a database error in the middle of an
// insert would.
type failingQueue struct{}

func (failingQueue) InsertTx(context.Context, *sql.Tx, river.JobArgs, *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	return nil, errors.New("queue refused the job")
}

func (failingQueue) InsertManyTx(context.Context, *sql.Tx, []river.InsertManyParams) ([]*rivertype.JobInsertResult, error) {
	return nil, errors.New("queue refused the jobs")
}

// An entry's ledger mark, its run and its issue job commit together (R1,
// R9): recorded entries each have one run and one job; a contact already
// in and an automation no longer active make nothing; and when the job
// cannot be enqueued, neither the ledger nor the runs change.
func TestRecordEntriesCommitsLedgerRunAndJobTogether(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		a := fixture(t, db)
		paused := fixture(t, db)
		if err := db.SetAutomationStatus(ctx, a.ID, autocred.AutomationActive, ""); err != nil {
			t.Fatal(err)
		}
		if err := db.SetAutomationStatus(ctx, paused.ID, autocred.AutomationPaused, ""); err != nil {
			t.Fatal(err)
		}
		entering := func(automationID int64, contacts ...autocred.ContactID) []autocred.Run {
			var runs []autocred.Run
			for _, c := range contacts {
				runs = append(runs, autocred.Run{AutomationID: automationID, ContactID: c, Email: "ana@example.com"})
			}
			return runs
		}

		db.SetJobs(Jobs{Queue: failingQueue{}, Issue: func(int64, time.Time, bool) river.JobArgs { return testIssue{} }})
		if _, err := db.RecordEntries(ctx, entering(a.ID, 1, 2), time.Now(), time.Now(), false); err == nil {
			t.Fatal("entries recorded although their jobs could not be enqueued")
		}
		if in, _ := db.InSegment(ctx, a.ID); len(in) != 0 {
			t.Errorf("ledger has %v in after a failed enqueue, want nobody: the next sync must find them again", in)
		}
		if runs, _, _ := db.Runs(ctx, autocred.RunFilter{AutomationID: a.ID}); len(runs) != 0 {
			t.Errorf("%d runs after a failed enqueue, want none", len(runs))
		}

		withJobs(t, db)
		got, err := db.RecordEntries(ctx, append(entering(a.ID, 1, 2), entering(paused.ID, 1)...), time.Now(), time.Now(), false)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].ContactID != 1 || got[0].Entry != 1 || got[0].ID == 0 || got[1].ContactID != 2 {
			t.Errorf("recorded %+v, want the runs of contacts 1 and 2, entry 1", got)
		}
		if n := jobs(t, db, "issue"); n != 2 {
			t.Errorf("%d issue jobs, want one per recorded run", n)
		}
		// A second detection of the same entries (a hint beside the sync).
		if again, err := db.RecordEntries(ctx, entering(a.ID, 1, 2), time.Now(), time.Now(), false); err != nil || len(again) != 0 {
			t.Errorf("second detection recorded %d runs (%v), want none", len(again), err)
		}
		if n := jobs(t, db, "issue"); n != 2 {
			t.Errorf("%d issue jobs after a second detection, want 2", n)
		}
		if in, _ := db.InSegment(ctx, paused.ID); len(in) != 0 {
			t.Errorf("paused automation's ledger has %v in, want nobody", in)
		}
		if in, _ := db.InSegment(ctx, a.ID); !slices.Equal(in, []autocred.ContactID{1, 2}) {
			t.Errorf("ledger in = %v, want [1 2]", in)
		}
	})
}

// Activating, resuming and asking for a sync enqueue the sync with the
// status change; resuming enqueues the pending runs again.
func TestAutomationChangesEnqueueTheirJobs(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		withJobs(t, db)
		a := fixture(t, db)
		if err := db.SyncAutomationSoon(ctx, a.ID); autocred.ErrorCode(err) != autocred.ECONFLICT {
			t.Errorf("sync of a draft: %v, want a conflict", err)
		}
		if err := db.ActivateAutomation(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if n := jobs(t, db, "sync"); n != 1 {
			t.Errorf("%d sync jobs after activation, want 1", n)
		}
		if err := db.RecordBaseline(ctx, a.ID, []autocred.ContactID{1}, time.Now(), false, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := db.RecordEntries(ctx, []autocred.Run{{AutomationID: a.ID, ContactID: 2}}, time.Now(), time.Now(), false); err != nil {
			t.Fatal(err)
		}
		if err := db.SetAutomationStatus(ctx, a.ID, autocred.AutomationPaused, "", autocred.AutomationActive); err != nil {
			t.Fatal(err)
		}
		if err := db.ResumeAutomation(ctx, a.ID, true); err != nil {
			t.Fatal(err)
		}
		got, _ := db.Automation(ctx, a.ID)
		if got.Status != autocred.AutomationActive {
			t.Errorf("resumed with catch-up: %s, want active", got.Status)
		}
		if s, i := jobs(t, db, "sync"), jobs(t, db, "issue"); s != 2 || i != 2 {
			t.Errorf("after resume: %d sync and %d issue jobs, want 2 and 2 (the pending run enqueued again)", s, i)
		}
	})
}

// activeFixture is fixture's automation, active, with the engine's jobs.
func activeFixture(t *testing.T, db *DB) autocred.Automation {
	t.Helper()
	withJobs(t, db)
	a := fixture(t, db)
	if err := db.SetAutomationStatus(context.Background(), a.ID, autocred.AutomationActive, ""); err != nil {
		t.Fatal(err)
	}
	return a
}

// contactRuns are would-be runs of an automation for contacts from to to.
func contactRuns(automationID int64, from, to int) []autocred.Run {
	var runs []autocred.Run
	for c := from; c <= to; c++ {
		runs = append(runs, autocred.Run{AutomationID: automationID, ContactID: autocred.ContactID(c)})
	}
	return runs
}

// An answer that lists a contact holds from when it began (seenAt): a
// contact the ledger marked as left at or after that time (a hint's check
// while a read went on) is no entry of that answer's, and one that left
// before it is (a return). A zero seenAt keeps nobody out.
func TestRecordEntriesKeepsOutContactsThatLeftSinceTheAnswer(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		a := activeFixture(t, db)
		read := time.Now().Add(-time.Minute) // when the answer began
		for _, tc := range []struct {
			name    string
			contact autocred.ContactID
			left    time.Time
			seenAt  time.Time
			entered bool
		}{
			{"left before the answer began: a return", 1, read.Add(-time.Second), read, true},
			{"left as the answer began", 2, read, read, false},
			{"left while the answer went on", 3, read.Add(time.Second), read, false},
			{"no time for the answer", 4, read.Add(time.Second), time.Time{}, true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if _, err := db.RecordEntries(ctx, contactRuns(a.ID, int(tc.contact), int(tc.contact)), read.Add(-time.Hour), read, false); err != nil {
					t.Fatal(err)
				}
				if left, err := db.MarkLeft(ctx, a.ID, tc.contact, tc.left); err != nil || !left {
					t.Fatalf("marking contact %d left: %v %v", tc.contact, left, err)
				}
				got, err := db.RecordEntries(ctx, contactRuns(a.ID, int(tc.contact), int(tc.contact)), tc.seenAt, time.Now(), false)
				if err != nil {
					t.Fatal(err)
				}
				if entered := len(got) == 1; entered != tc.entered {
					t.Errorf("entered again: %v, want %v (%d runs)", entered, tc.entered, len(got))
				}
				if m, _ := db.Membership(ctx, a.ID, tc.contact); m.InSegment != tc.entered {
					t.Errorf("ledger has contact %d in: %v, want %v", tc.contact, m.InSegment, tc.entered)
				}
			})
		}
	})
}

// A large batch of entries, written a few rows per statement: each run
// recorded is its own contact's, with that contact's entry number; a
// contact already in, and a contact that comes twice, make one run at
// most; every run has its job.
func TestRecordEntriesInBatchesKeepsEachRunItsContact(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		a := activeFixture(t, db)
		// Contacts 1-30 entered once and left: their next entry is the 2nd.
		if _, err := db.RecordEntries(ctx, contactRuns(a.ID, 1, 30), time.Now(), time.Now(), false); err != nil {
			t.Fatal(err)
		}
		if err := db.tx(ctx, func(tx *sql.Tx) error {
			_, err := db.in(tx).ExecContext(ctx, `UPDATE memberships SET in_segment = 0 WHERE automation_id = ? AND contact_id <= 30`, a.ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		// Contacts 31-40 are in: no new entry.
		if _, err := db.RecordEntries(ctx, contactRuns(a.ID, 31, 40), time.Now(), time.Now(), false); err != nil {
			t.Fatal(err)
		}
		var batch []autocred.Run
		for c := 137; c >= 1; c-- { // not in order, and 77 twice
			batch = append(batch, autocred.Run{AutomationID: a.ID, ContactID: autocred.ContactID(c), Email: fmt.Sprintf("c%d@example.com", c)})
		}
		batch = append(batch, autocred.Run{AutomationID: a.ID, ContactID: 77, Email: "again@example.com"})
		got, err := db.RecordEntries(ctx, batch, time.Now(), time.Now(), false)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 127 {
			t.Errorf("%d runs recorded, want 127 (137 contacts, 10 already in)", len(got))
		}
		for _, r := range got {
			stored, err := db.Run(ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			wantEntry := 1
			if r.ContactID <= 30 {
				wantEntry = 2
			}
			if stored.ContactID != r.ContactID || stored.Entry != wantEntry || r.Entry != wantEntry || stored.Email != fmt.Sprintf("c%d@example.com", r.ContactID) {
				t.Errorf("run %d recorded for contact %d entry %d is stored as contact %d entry %d (%s), want entry %d",
					r.ID, r.ContactID, r.Entry, stored.ContactID, stored.Entry, stored.Email, wantEntry)
			}
			if r.ContactID > 30 && r.ContactID <= 40 {
				t.Errorf("contact %d was already in, and got a run", r.ContactID)
			}
		}
		if n := jobs(t, db, "issue"); n != 30+10+127 {
			t.Errorf("%d issue jobs, want %d", n, 30+10+127)
		}
	})
}

// The issue jobs of a batch of entries are taken after those of entries
// that come alone (River takes jobs by priority first), so that one
// account's import never queues another account's single entry behind it.
func TestBatchEntriesAreTakenAfterSingleOnes(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		a := activeFixture(t, db)
		for contact, batch := range map[autocred.ContactID]bool{1: true, 2: false} {
			if _, err := db.RecordEntries(ctx, []autocred.Run{{AutomationID: a.ID, ContactID: contact}}, time.Now(), time.Now(), batch); err != nil {
				t.Fatal(err)
			}
		}
		rows, err := db.pool().QueryContext(ctx, `SELECT priority FROM river_job WHERE kind = 'issue' ORDER BY priority, id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var got []int
		for rows.Next() {
			var p int
			if err := rows.Scan(&p); err != nil {
				t.Fatal(err)
			}
			got = append(got, p)
		}
		if !slices.Equal(got, []int{1, 2}) {
			t.Errorf("issue jobs' priorities %v, want the single entry's 1 before the batch's 2", got)
		}
	})
}

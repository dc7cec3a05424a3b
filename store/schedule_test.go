package store

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/autocred/autocred"
)

// schedulePass does what the engine's schedule does with the automations
// it found due: moves each one's next sync an interval on, and enqueues
// one sync of each segment.
func schedulePass(t *testing.T, db *DB, due []autocred.Automation, now time.Time) {
	t.Helper()
	if err := db.ScheduleSyncs(context.Background(), claimsOf(due, now)); err != nil {
		t.Fatal(err)
	}
}

// claimsOf is what the engine's schedule asks of ScheduleSyncs for the
// automations it found due.
func claimsOf(due []autocred.Automation, now time.Time) []DueSync {
	var segments []DueSync
	seen := map[autocred.Trigger]int{}
	for _, a := range due {
		seg := autocred.Trigger{ConnectionID: a.Trigger.ConnectionID, SegmentID: a.Trigger.SegmentID}
		i, ok := seen[seg]
		if !ok {
			i = len(segments)
			seen[seg] = i
			segments = append(segments, DueSync{Trigger: seg, Due: a.NextSyncAt})
		}
		segments[i].Claims = append(segments[i].Claims, NextSync{AutomationID: a.ID, Was: a.NextSyncAt, At: now.Add(time.Minute)})
	}
	return segments
}

// activeCopy creates an active automation like a, as change makes it.
func activeCopy(t *testing.T, db *DB, a autocred.Automation, change func(*autocred.Automation)) autocred.Automation {
	t.Helper()
	a.ID = 0
	change(&a)
	if err := db.CreateAutomation(context.Background(), &a); err != nil {
		t.Fatal(err)
	}
	if err := db.SetAutomationStatus(context.Background(), a.ID, autocred.AutomationActive, ""); err != nil {
		t.Fatal(err)
	}
	return a
}

// dueNow makes an automation's next sync due a second ago.
func dueNow(t *testing.T, db *DB, id int64) {
	t.Helper()
	if err := db.RecordSync(context.Background(), id, time.Now().Add(-time.Minute), "", time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
}

// Two nodes' schedules that run at once both find a segment due before
// either has moved its next sync on. Only one may enqueue its sync: the
// other's job would be created after the first sync started, so the
// first would not answer it (a sync answers only the jobs created before
// it started), and the segment would be read twice in a row. On three
// nodes at 3,000 automations, 15% more syncs ran than were due.
func TestTwoSchedulesAtOnceEnqueueASegmentOnce(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		a := activeFixture(t, db)
		dueNow(t, db, a.ID)
		now := time.Now()
		first, err := db.DueForSync(ctx, now)
		if err != nil {
			t.Fatal(err)
		}
		second, err := db.DueForSync(ctx, now)
		if err != nil {
			t.Fatal(err)
		}
		if len(first) != 1 || len(second) != 1 {
			t.Fatalf("due: %d and %d automations, want the one", len(first), len(second))
		}
		schedulePass(t, db, first, now)
		schedulePass(t, db, second, now)
		if n := jobs(t, db, "sync"); n != 1 {
			t.Errorf("%d syncs of the segment enqueued by two schedules that found it due together, want 1", n)
		}
	})
}

// A segment whose sync is still running when its automations come due
// again (a sync that takes longer than the interval) is not enqueued
// again: the second job would wait for the first, then read the segment
// again at once. A sync whose node died is replaced once its lease has
// run out.
func TestRunningSyncIsNotEnqueuedAgain(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		a := activeFixture(t, db)
		key := SyncLease(a.Trigger.ConnectionID, a.Trigger.SegmentID)
		if ok, err := db.AcquireLease(ctx, key, "node-1/job-1", time.Now().Add(30*time.Second)); err != nil || !ok {
			t.Fatalf("taking the sync's lease: %v %v", ok, err)
		}
		dueNow(t, db, a.ID)
		now := time.Now()
		due, err := db.DueForSync(ctx, now)
		if err != nil {
			t.Fatal(err)
		}
		schedulePass(t, db, due, now)
		if n := jobs(t, db, "sync"); n != 0 {
			t.Errorf("%d syncs enqueued of a segment whose sync is running, want none", n)
		}

		// The node died: its lease runs out.
		if ok, err := db.AcquireLease(ctx, key, "node-1/job-1", time.Now().Add(-time.Second)); err != nil || !ok {
			t.Fatalf("letting the sync's lease run out: %v %v", ok, err)
		}
		dueNow(t, db, a.ID)
		now = time.Now()
		if due, err = db.DueForSync(ctx, now); err != nil {
			t.Fatal(err)
		}
		schedulePass(t, db, due, now)
		if n := jobs(t, db, "sync"); n != 1 {
			t.Errorf("%d syncs enqueued once the dead node's lease ran out, want 1", n)
		}
	})
}

// Two automations on one segment share one sync, also when two schedules
// find them due at once, and when one schedule found only the first due
// and the other both (the second came due in between).
func TestAutomationsOnOneSegmentShareOneSync(t *testing.T) {
	for _, tc := range []struct {
		name string
		// which of the two automations each schedule finds due
		first, second []int
	}{
		{"one schedule", []int{0, 1}, nil},
		{"two at once", []int{0, 1}, []int{0, 1}},
		{"the second came due in between", []int{0}, []int{0, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			forEachDB(t, func(t *testing.T, db *DB) {
				ctx := context.Background()
				a := activeFixture(t, db)
				b := activeCopy(t, db, a, func(b *autocred.Automation) {
					b.Name, b.Action.GroupID = "Certificates, second group", "grp-2"
				})
				dueNow(t, db, a.ID)
				dueNow(t, db, b.ID)
				now := time.Now()
				due, err := db.DueForSync(ctx, now)
				if err != nil {
					t.Fatal(err)
				}
				if len(due) != 2 {
					t.Fatalf("%d automations due, want 2", len(due))
				}
				pick := func(which []int) []autocred.Automation {
					var out []autocred.Automation
					for _, i := range which {
						out = append(out, due[i])
					}
					return out
				}
				first, second := pick(tc.first), pick(tc.second)
				schedulePass(t, db, first, now)
				if len(second) > 0 {
					schedulePass(t, db, second, now)
				}
				if n := jobs(t, db, "sync"); n != 1 {
					t.Errorf("%d syncs of the shared segment enqueued, want 1", n)
				}
			})
		})
	}
}

// syncsBySegment counts the sync jobs enqueued for each segment.
func syncsBySegment(t *testing.T, db *DB) map[string]int {
	t.Helper()
	query := `SELECT json(args) FROM river_job WHERE kind = 'sync'` // River's SQLite driver keeps JSONB
	if db.IsPostgres() {
		query = `SELECT args FROM river_job WHERE kind = 'sync'`
	}
	rows, err := db.pool().QueryContext(context.Background(), query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := map[string]int{}
	for rows.Next() {
		var raw []byte
		var args testSync
		if err := rows.Scan(&raw); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, &args); err != nil {
			t.Fatal(err)
		}
		n[args.SegmentID]++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return n
}

// The schedule does not wait for a transaction that holds one automation's
// row (a hint recording its entries, its sync recording its next time):
// the other segments' syncs are enqueued at once, and the held one's on a
// later pass, once. On a saturated PostgreSQL the schedule's claims, one
// after another in one transaction, each waited for such a holder: 17 to
// 28 ms a claim, half a second to a whole one of every second.
func TestScheduleDoesNotWaitForAHeldAutomation(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		held := activeFixture(t, db)
		free := activeCopy(t, db, held, func(a *autocred.Automation) {
			a.Name, a.Trigger.SegmentID, a.Trigger.SegmentName = "Badges", "seg-2", "Members"
		})
		dueNow(t, db, held.ID)
		dueNow(t, db, free.ID)

		// What a hint's transaction holds while it records entries
		// (lockStatus). SQLite has no such holder: the store's one
		// connection runs its transactions, every one a writer, one after
		// another.
		release := func() {}
		if db.IsPostgres() {
			holder, err := db.sql.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer holder.Rollback()
			var status string
			err = holder.QueryRowContext(ctx, `SELECT status FROM automations WHERE id = $1 FOR SHARE`, held.ID).Scan(&status)
			if err != nil {
				t.Fatal(err)
			}
			release = func() {
				if err := holder.Commit(); err != nil {
					t.Fatal(err)
				}
			}
		}

		now := time.Now()
		due, err := db.DueForSync(ctx, now)
		if err != nil {
			t.Fatal(err)
		}
		if len(due) != 2 {
			t.Fatalf("%d automations due, want 2", len(due))
		}
		passCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		started := time.Now()
		if err := db.ScheduleSyncs(passCtx, claimsOf(due, now)); err != nil {
			t.Fatalf("the schedule's pass with one automation held by another transaction: %v (after %s)",
				err, time.Since(started).Round(time.Millisecond))
		}
		if n := syncsBySegment(t, db)["seg-2"]; n != 1 {
			t.Errorf("%d syncs of the free segment enqueued while another automation was held, want 1", n)
		}

		release()
		now = time.Now()
		if due, err = db.DueForSync(ctx, now); err != nil {
			t.Fatal(err)
		}
		schedulePass(t, db, due, now)
		if n := syncsBySegment(t, db); n["seg-1"] != 1 || n["seg-2"] != 1 {
			t.Errorf("syncs enqueued once the holder is done: %v, want one of each segment", n)
		}
	})
}

package store

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/autocred/autocred"
)

// seededRun is a run for the pruning tests: who, in what status, when the
// contact entered and when the run last changed.
type seededRun struct {
	automationID int64
	contact      autocred.ContactID
	status       autocred.RunStatus
	lastError    string
	entered      time.Time
	finished     time.Time
	id           int64
}

// seedRuns records each run as the engine does (the contact marked in the
// ledger, the run inserted, two lines in its log), dated as given, in the
// order they entered, so that run ids grow with entry times as they do in
// use; in transactions of 1,000.
func seedRuns(t testing.TB, db *DB, runs []*seededRun) {
	t.Helper()
	ctx := context.Background()
	sort.SliceStable(runs, func(i, j int) bool { return runs[i].entered.Before(runs[j].entered) })
	defer func(now func() time.Time) { db.now = now }(db.now)
	for start := 0; start < len(runs); start += 1000 {
		err := db.tx(ctx, func(tx *sql.Tx) error {
			for _, s := range runs[start:min(start+1000, len(runs))] {
				db.now = func() time.Time { return s.entered }
				entry, err := db.enter(ctx, tx, s.automationID, s.contact, s.entered)
				if err != nil {
					return err
				}
				r := autocred.Run{AutomationID: s.automationID, ContactID: s.contact, Entry: entry, Status: s.status, LastError: s.lastError,
					Email: fmt.Sprintf("person%d@example.com", s.contact), Contact: autocred.Contact{FirstName: "Person", LastName: fmt.Sprint(s.contact)}}
				if err := db.insertRun(ctx, tx, &r); err != nil {
					return err
				}
				s.id = r.ID
				for _, line := range []string{"Read the contact.", "Certifier: credential created, issued and sent."} {
					if err := db.addRunEvent(ctx, tx, r.ID, line); err != nil {
						return err
					}
				}
				if _, err := db.in(tx).ExecContext(ctx, `UPDATE runs SET updated_at = ? WHERE id = ?`, ms(s.finished), r.ID); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// pruneAll runs one pruning pass as the engine does, limit runs a step,
// and says how many runs it pruned in how many steps.
func pruneAll(t testing.TB, db *DB, before time.Time, limit int) (pruned, steps int) {
	t.Helper()
	var after int64
	for {
		step, err := db.PruneRuns(context.Background(), before, after, limit)
		if err != nil {
			t.Fatal(err)
		}
		pruned, steps = pruned+step.Pruned, steps+1
		if step.Done {
			return pruned, steps
		}
		if step.Next <= after {
			t.Fatalf("a step that is not done went from run %d to %d", after, step.Next)
		}
		after = step.Next
	}
}

// countRows counts a query's single number.
func countRows(t testing.TB, db *DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.pool().QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// What a user sees of an automation: its counts by status, its runs per
// day in two zones, and its ledger.
type automationPage struct {
	counts  map[autocred.RunStatus]int
	days    map[string][]autocred.DayCount
	ledger  []autocred.ContactID
	entries map[autocred.ContactID]int
}

func readPage(t *testing.T, db *DB, automationID int64, contacts []autocred.ContactID, zones ...*time.Location) automationPage {
	t.Helper()
	ctx := context.Background()
	p := automationPage{days: map[string][]autocred.DayCount{}, entries: map[autocred.ContactID]int{}}
	var err error
	if p.counts, err = db.RunCounts(ctx, automationID); err != nil {
		t.Fatal(err)
	}
	for _, loc := range zones {
		if p.days[loc.String()], err = db.RunsPerDay(ctx, automationID, 14, loc); err != nil {
			t.Fatal(err)
		}
	}
	if p.ledger, err = db.InSegment(ctx, automationID); err != nil {
		t.Fatal(err)
	}
	for _, c := range contacts {
		m, err := db.Membership(ctx, automationID, c)
		if err != nil {
			t.Fatal(err)
		}
		p.entries[c] = m.Entries
	}
	return p
}

func (p automationPage) diff(q automationPage) string {
	switch {
	case !maps.Equal(p.counts, q.counts):
		return fmt.Sprintf("counts %v, then %v", p.counts, q.counts)
	case !slices.Equal(p.ledger, q.ledger):
		return fmt.Sprintf("ledger %v, then %v", p.ledger, q.ledger)
	case !maps.Equal(p.entries, q.entries):
		return fmt.Sprintf("entry counts %v, then %v", p.entries, q.entries)
	}
	for zone, days := range p.days {
		for i, d := range days {
			e := q.days[zone][i]
			if d.Issued != e.Issued || d.Draft != e.Draft || d.Skipped != e.Skipped || d.Failed != e.Failed {
				return fmt.Sprintf("%s, %s: %+v, then %+v", zone, d.Day.Format("Jan 2"), d, e)
			}
		}
	}
	return ""
}

// pruningScenario is the runs of TestPruningKeepsCountsLedgerAndRunsInProgress:
// all of them, those that finished more than two days before now (the
// cut) in a status that may be pruned, and those that must be kept.
func pruningScenario(a, b int64, now time.Time) (runs, prunable, kept []*seededRun) {
	const day = 24 * time.Hour
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	add := func(list *[]*seededRun, automationID int64, status autocred.RunStatus, entered, finished time.Time, lastError string) {
		s := &seededRun{automationID: automationID, contact: autocred.ContactID(len(runs) + 1), status: status,
			entered: entered, finished: finished, lastError: lastError}
		runs, *list = append(runs, s), append(*list, s)
	}
	// Finished on each of the chart's older days, five minutes either
	// side of Kathmandu's midnight (18:15 UTC): in one hour of UTC, on
	// two days there.
	for i := 3; i < 13; i++ {
		status := []autocred.RunStatus{autocred.RunIssued, autocred.RunFailed, autocred.RunSkipped, autocred.RunDraft}[i%4]
		add(&prunable, a, status, ago(time.Duration(i)*day+6*time.Hour), ago(time.Duration(i)*day-6*time.Hour-10*time.Minute), "")
		add(&prunable, a, autocred.RunIssued, ago(time.Duration(i)*day+5*time.Hour), ago(time.Duration(i)*day-6*time.Hour-20*time.Minute), "")
	}
	add(&prunable, a, autocred.RunIssued, ago(100*day), ago(100*day), "") // older than any chart
	add(&prunable, a, autocred.RunIssued, ago(99*day), ago(99*day), "")
	add(&prunable, b, autocred.RunIssued, ago(10*day), ago(10*day), "")
	add(&prunable, b, autocred.RunFailed, ago(9*day), ago(9*day), "Certifier refused the credential.")

	add(&kept, a, autocred.RunSendUnconfirmed, ago(10*day), ago(10*day), "")
	add(&kept, a, autocred.RunPending, ago(10*day), ago(10*day), "")
	add(&kept, a, autocred.RunPending, ago(9*day), ago(9*day), "Certifier answered 503; retrying.")
	add(&kept, a, autocred.RunPending, ago(8*day), ago(8*day), "Still waiting to confirm with Certifier.")
	add(&kept, a, autocred.RunFailed, ago(11*day), ago(day), "Certifier refused the credential.") // retried yesterday
	add(&kept, a, autocred.RunIssued, ago(time.Hour), ago(30*time.Minute), "")
	return runs, prunable, kept
}

// Pruning deletes the runs that finished before the retention, and their
// logs, and nothing else: runs in progress (pending, retrying, waiting to
// confirm) and runs whose email may not have gone out stay however old;
// runs changed since the cut stay. The automation's page shows the same
// counts, the same runs per day (in a zone whose days start at a quarter
// hour) and the same ledger before and after.
func TestPruningKeepsCountsLedgerAndRunsInProgress(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		a, b := fixture(t, db), fixture(t, db)
		kathmandu, err := time.LoadLocation("Asia/Kathmandu") // UTC+5:45
		if err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 3, 20, 12, 0, 0, 0, time.UTC)
		db.now = func() time.Time { return now }
		before := now.Add(-48 * time.Hour)
		runs, prunable, kept := pruningScenario(a.ID, b.ID, now)
		seedRuns(t, db, runs)

		contacts := make([]autocred.ContactID, len(runs))
		for i, s := range runs {
			contacts[i] = s.contact
		}
		pageA, pageB := readPage(t, db, a.ID, contacts, kathmandu, time.UTC), readPage(t, db, b.ID, contacts, time.UTC)
		if pageA.counts[autocred.RunIssued] == 0 || pageA.days[kathmandu.String()][4].Total() == 0 {
			t.Fatalf("the seeded runs are not counted: %+v", pageA)
		}

		pruned, steps := pruneAll(t, db, before, 4)
		if pruned != len(prunable) {
			t.Errorf("pruned %d runs in %d steps, want the %d that finished before the cut", pruned, steps, len(prunable))
		}
		for _, s := range prunable {
			if _, err := db.Run(ctx, s.id); autocred.ErrorCode(err) != autocred.ENOTFOUND {
				t.Errorf("run %d (%s, finished %s) is still there: %v", s.id, s.status, s.finished, err)
			}
			if n := countRows(t, db, `SELECT count(*) FROM run_events WHERE run_id = ?`, s.id); n != 0 {
				t.Errorf("run %d is pruned, its log still has %d lines", s.id, n)
			}
		}
		for _, s := range kept {
			if r, err := db.Run(ctx, s.id); err != nil || r.Status != s.status {
				t.Errorf("run %d (%s, last changed %s) was pruned: %+v %v", s.id, s.status, s.finished, r, err)
			}
			if events, _ := db.RunEvents(ctx, s.id); len(events) != 2 {
				t.Errorf("run %d kept with %d lines of its log, want 2", s.id, len(events))
			}
		}
		if d := pageA.diff(readPage(t, db, a.ID, contacts, kathmandu, time.UTC)); d != "" {
			t.Errorf("automation A after pruning: %s", d)
		}
		if d := pageB.diff(readPage(t, db, b.ID, contacts, time.UTC)); d != "" {
			t.Errorf("automation B after pruning: %s", d)
		}
		if counts, err := db.PrunedRunCounts(ctx, b.ID); err != nil || !maps.Equal(counts, map[autocred.RunStatus]int{autocred.RunIssued: 1, autocred.RunFailed: 1}) {
			t.Errorf("automation B's pruned runs: %v %v, want 1 issued and 1 failed", counts, err)
		}
		if again, _ := pruneAll(t, db, before, 4); again != 0 {
			t.Errorf("a second pass pruned %d more", again)
		}

		// Five weeks later the quarter hours are folded; the totals stay.
		db.now = func() time.Time { return now.Add(36 * 24 * time.Hour) }
		if err := db.FoldPrunedCounts(ctx); err != nil {
			t.Fatal(err)
		}
		if n := countRows(t, db, `SELECT count(*) FROM pruned_runs WHERE finished_at > 0`); n != 0 {
			t.Errorf("%d quarter hours of pruned runs left after folding", n)
		}
		if counts, err := db.RunCounts(ctx, a.ID); err != nil || !maps.Equal(counts, pageA.counts) {
			t.Errorf("counts after folding: %v %v, want %v", counts, err, pageA.counts)
		}
	})
}

// Deleting an archived automation's history deletes all of it, the counts
// of the runs pruned before included: the page then says how many runs
// were deleted, and counts from zero.
func TestDeletingHistoryAfterPruning(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		a := fixture(t, db)
		now := time.Now()
		var runs []*seededRun
		for i := range 5 {
			runs = append(runs, &seededRun{automationID: a.ID, contact: autocred.ContactID(i + 1), status: autocred.RunIssued,
				entered: now.Add(-time.Duration(10-i) * 24 * time.Hour), finished: now.Add(-time.Duration(10-i) * 24 * time.Hour)})
		}
		runs[4].entered, runs[4].finished = now.Add(-time.Hour), now.Add(-time.Hour)
		seedRuns(t, db, runs)
		if pruned, _ := pruneAll(t, db, now.Add(-48*time.Hour), 500); pruned != 4 {
			t.Fatalf("pruned %d, want 4", pruned)
		}
		if _, err := db.ArchiveAutomation(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		d, err := db.DeleteRunHistory(ctx, a.ID)
		if err != nil || d.Runs != 5 {
			t.Errorf("history deleted: %+v %v, want 5 runs (1 kept, 4 pruned)", d, err)
		}
		if counts, err := db.RunCounts(ctx, a.ID); err != nil || len(counts) != 0 {
			t.Errorf("counts after the history was deleted: %v %v, want none", counts, err)
		}
		days, err := db.RunsPerDay(ctx, a.ID, 14, time.UTC)
		for _, day := range days {
			if day.Total() != 0 || err != nil {
				t.Errorf("runs per day after the history was deleted: %+v %v", day, err)
			}
		}
		if in, _ := db.InSegment(ctx, a.ID); len(in) != 5 {
			t.Errorf("ledger after the history was deleted: %v, want the 5 contacts", in)
		}
	})
}

// A deleted run's credential stays claimed, pruned or with its
// automation's history: a run of another automation on the same group
// that reconciles a lost answer for the same person must not adopt it.
func TestDeletedRunsKeepTheirCredentialsClaimed(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		a := fixture(t, db)
		now := time.Now()
		runs := []*seededRun{
			{automationID: a.ID, contact: 1, status: autocred.RunIssued, entered: now.Add(-10 * 24 * time.Hour), finished: now.Add(-10 * 24 * time.Hour)},
			{automationID: a.ID, contact: 2, status: autocred.RunIssued, entered: now.Add(-time.Hour), finished: now.Add(-time.Hour)},
		}
		seedRuns(t, db, runs)
		for i, r := range runs {
			if _, err := db.pool().ExecContext(ctx, `UPDATE runs SET credential_id = ? WHERE id = ?`, fmt.Sprint("cred-", i), r.id); err != nil {
				t.Fatal(err)
			}
		}
		claimed := func(id string) bool {
			t.Helper()
			ok, err := db.CredentialClaimed(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		if pruned, _ := pruneAll(t, db, now.Add(-48*time.Hour), 500); pruned != 1 {
			t.Fatalf("pruned %d, want 1", pruned)
		}
		if !claimed("cred-0") {
			t.Errorf("the pruned run's credential is no longer claimed")
		}
		if _, err := db.ArchiveAutomation(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.DeleteRunHistory(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if !claimed("cred-1") || !claimed("cred-0") {
			t.Errorf("after the history was deleted, its credentials are no longer claimed")
		}
		if claimed("cred-other") {
			t.Errorf("a credential no run ever held is claimed")
		}
	})
}

// 10,000 old runs are pruned, 500 a transaction, while the engine keeps
// recording new entries: no write fails, every entry gets its run, none
// waits long, and the counts stay.
func TestPruningTenThousandRunsWhileEntriesAreRecorded(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		a := activeFixture(t, db)
		now := time.Now()
		const old = 10_000
		runs := make([]*seededRun, old)
		for i := range runs {
			at := now.Add(-500*24*time.Hour + time.Duration(i)*time.Minute)
			runs[i] = &seededRun{automationID: a.ID, contact: autocred.ContactID(i + 1), status: autocred.RunIssued, entered: at, finished: at}
		}
		seedRuns(t, db, runs)

		stop := make(chan struct{})
		var rec recorder
		var wg sync.WaitGroup
		wg.Go(func() { rec.recordUntil(t, db, a.ID, stop) })
		start := time.Now()
		var after int64
		pruned, steps := 0, 0
		for {
			step, err := db.PruneRuns(ctx, now.Add(-400*24*time.Hour), after, 500)
			if err != nil {
				t.Fatal(err)
			}
			pruned, steps = pruned+step.Pruned, steps+1
			if step.Done {
				break
			}
			after = step.Next
			time.Sleep(20 * time.Millisecond) // the engine's pause between steps
		}
		took := time.Since(start)
		close(stop)
		wg.Wait()

		kind := map[bool]string{false: "SQLite", true: "PostgreSQL"}[db.IsPostgres()]
		t.Logf("%s: pruned %d runs in %d steps, %s; meanwhile %d entries recorded, the slowest in %s",
			kind, pruned, steps, took.Round(time.Millisecond), rec.recorded, rec.slowest.Round(time.Millisecond))
		if pruned != old || rec.failed > 0 {
			t.Errorf("pruned %d of %d old runs; %d entries failed", pruned, old, rec.failed)
		}
		if rec.recorded == 0 || rec.slowest > 2*time.Second {
			t.Errorf("%d entries recorded while pruning, the slowest in %s: the engine was held up", rec.recorded, rec.slowest)
		}
		counts, err := db.RunCounts(ctx, a.ID)
		if err != nil || counts[autocred.RunIssued] != old || counts[autocred.RunPending] != rec.recorded {
			t.Errorf("counts after pruning: %v %v, want %d issued and %d pending", counts, err, old, rec.recorded)
		}
		if n := countRows(t, db, `SELECT count(*) FROM run_events`); n != 0 {
			t.Errorf("%d lines of pruned runs' logs left", n)
		}
		if n := countRows(t, db, `SELECT count(*) FROM memberships WHERE automation_id = ? AND in_segment = 1`, a.ID); n != old+rec.recorded {
			t.Errorf("ledger holds %d contacts in, want %d", n, old+rec.recorded)
		}
	})
}

// recorder records entries one at a time, as syncs do, and keeps count.
type recorder struct {
	recorded, failed int
	slowest          time.Duration // the longest RecordEntries call
}

// recordUntil records a new contact's entry into the automation, then
// another, until stop is closed.
func (r *recorder) recordUntil(t *testing.T, db *DB, automationID int64, stop <-chan struct{}) {
	for c := autocred.ContactID(1_000_000); ; c++ {
		select {
		case <-stop:
			return
		default:
		}
		start := time.Now()
		got, err := db.RecordEntries(context.Background(), []autocred.Run{{AutomationID: automationID, ContactID: c, Email: "new@example.com"}}, time.Now(), time.Now(), false)
		r.slowest = max(r.slowest, time.Since(start))
		if err != nil || len(got) != 1 {
			r.failed++
			t.Errorf("recording an entry while pruning: %v (%d recorded)", err, len(got))
			continue
		}
		r.recorded++
		time.Sleep(time.Millisecond)
	}
}

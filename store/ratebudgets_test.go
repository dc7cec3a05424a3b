package store

import (
	"context"
	"sync"
	"testing"
	"time"
)

// Concurrent callers, as the nodes of a cluster are, each get their own
// slot: with an hour between requests, the waits are 0, 1, 2, … hours.
func TestReserveRequestGivesEachCallerItsOwnSlot(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		const n = 40
		ctx := context.Background()
		waits := make(chan time.Duration, n)
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				w, err := db.ReserveRequest(ctx, "activecampaign:acme", time.Hour)
				if err != nil {
					t.Error(err)
				}
				waits <- w
			})
		}
		wg.Wait()
		close(waits)
		seen := map[int]bool{}
		for w := range waits {
			slot := int((w + 30*time.Minute) / time.Hour)
			if seen[slot] {
				t.Errorf("two callers got the slot %d hours from now", slot)
			}
			seen[slot] = true
		}
		for i := range n {
			if !seen[i] {
				t.Errorf("no caller got the slot %d hours from now; the slots are not consecutive", i)
			}
		}
		// Another account has its own budget.
		if w, err := db.ReserveRequest(ctx, "activecampaign:other", time.Hour); err != nil || w != 0 {
			t.Errorf("first request of another account waits %s (%v), want 0", w, err)
		}
	})
}

// An idle budget does not save up a burst: after a quiet spell one request
// goes at once and the next waits a whole interval, so no second holds more
// requests than the rate allows.
func TestReserveRequestNoBurstAfterIdle(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		const step = 300 * time.Millisecond
		if _, err := db.ReserveRequest(ctx, "k", step); err != nil {
			t.Fatal(err)
		}
		time.Sleep(3 * step)
		start := time.Now()
		first, err := db.ReserveRequest(ctx, "k", step)
		if err != nil {
			t.Fatal(err)
		}
		second, err := db.ReserveRequest(ctx, "k", step)
		if err != nil {
			t.Fatal(err)
		}
		// The budget is kept by the database's clock: the second request
		// waits a whole step from the first, less the time that passed
		// between the two (long on a busy machine).
		between := time.Since(start)
		if first != 0 {
			t.Errorf("after an idle spell the first request waits %s, want 0", first)
		}
		if second < step-between-20*time.Millisecond || second > step {
			t.Errorf("the request after it waits %s, want %s less the %s between the two", second, step, between)
		}
	})
}

// A pause holds a budget for every node: it is read back by any caller,
// never shortened by a shorter one, and does not touch other budgets.
func TestPauseRequestsIsSharedAndOnlyGrows(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		if left, err := db.RequestsPausedFor(ctx, "activecampaign:acme"); err != nil || left != 0 {
			t.Fatalf("before any pause: %v, %v", left, err)
		}
		if err := db.PauseRequests(ctx, "activecampaign:acme", 30*time.Second); err != nil {
			t.Fatal(err)
		}
		if err := db.PauseRequests(ctx, "activecampaign:acme", time.Second); err != nil {
			t.Fatal(err)
		}
		left, err := db.RequestsPausedFor(ctx, "activecampaign:acme")
		if err != nil || left < 25*time.Second || left > 30*time.Second {
			t.Errorf("paused for %v (%v), want about 30s", left, err)
		}
		if left, err := db.RequestsPausedFor(ctx, "activecampaign:other"); err != nil || left != 0 {
			t.Errorf("another budget: %v, %v", left, err)
		}
		// The pace of the budget is its own row: untouched.
		if w, err := db.ReserveRequest(ctx, "activecampaign:acme", time.Millisecond); err != nil || w > time.Second {
			t.Errorf("reserve: %v, %v", w, err)
		}
	})
}

// A budget's departures are counted across every caller, as the nodes of a
// cluster are: of callers arriving together, only as many as the budget
// allows in one second leave, each told how many left in that second; the
// others are told how long until the first of those is a second old.
func TestLeaveRequestKeepsTheBudgetAcrossCallers(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		const perSecond, callers = 4, 12
		type answer struct {
			n    int
			wait time.Duration
		}
		answers := make(chan answer, callers)
		var wg sync.WaitGroup
		for range callers {
			wg.Go(func() {
				_, n, wait, err := db.LeaveRequest(ctx, "certifier:acme", perSecond)
				if err != nil {
					t.Error(err)
				}
				answers <- answer{n, wait}
			})
		}
		wg.Wait()
		close(answers)
		counts := map[int]bool{}
		var left int
		for a := range answers {
			if a.wait > 0 {
				if a.n != 0 || a.wait > time.Second {
					t.Errorf("a caller told to wait %s was counted as the %dth", a.wait, a.n)
				}
				continue
			}
			left++
			if counts[a.n] || a.n < 1 || a.n > perSecond {
				t.Errorf("a caller left as the %dth in the second (seen: %v)", a.n, counts)
			}
			counts[a.n] = true
		}
		if left != perSecond {
			t.Errorf("%d of %d callers left at once, the budget is %d a second", left, callers, perSecond)
		}
		// Another budget is its own; a second later this one frees up.
		if _, n, wait, err := db.LeaveRequest(ctx, "certifier:other", perSecond); err != nil || n != 1 || wait != 0 {
			t.Errorf("another budget's first request: %d, %s, %v", n, wait, err)
		}
		_, _, wait, err := db.LeaveRequest(ctx, "certifier:acme", perSecond)
		if err != nil || wait <= 0 {
			t.Fatalf("the budget's next request: wait %s (%v), want a wait", wait, err)
		}
		time.Sleep(wait)
		if _, n, wait, err := db.LeaveRequest(ctx, "certifier:acme", perSecond); err != nil || wait != 0 || n < 1 || n > perSecond {
			t.Errorf("after its wait: the %dth in the second, wait %s (%v); want at once, at most the %dth", n, wait, err, perSecond)
		}
	})
}

// A departure moved to now keeps its place and takes no other; one whose
// place was taken since (its record a second old) is not moved.
func TestRetimeDepartureMovesOnlyItsOwnRecord(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		first, _, _, err := db.LeaveRequest(ctx, "certifier:acme", 2)
		if err != nil {
			t.Fatal(err)
		}
		second, _, _, err := db.LeaveRequest(ctx, "certifier:acme", 2)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond)
		if moved, err := db.RetimeDeparture(ctx, first); err != nil || !moved {
			t.Fatalf("moving the first departure: %v, %v", moved, err)
		}
		// The second is now the oldest: the budget frees 700 ms from now,
		// not at once.
		_, _, wait, err := db.LeaveRequest(ctx, "certifier:acme", 2)
		if err != nil || wait < 500*time.Millisecond || wait > 700*time.Millisecond {
			t.Fatalf("a third request: wait %s (%v), want about 700ms", wait, err)
		}
		time.Sleep(wait)
		// The second's place is taken by the third: it cannot be moved.
		if _, _, wait, err := db.LeaveRequest(ctx, "certifier:acme", 2); err != nil || wait != 0 {
			t.Fatalf("the third request after its wait: %s, %v", wait, err)
		}
		if moved, err := db.RetimeDeparture(ctx, second); err != nil || moved {
			t.Errorf("moving a departure whose place was taken: %v, %v; want not moved", moved, err)
		}
	})
}

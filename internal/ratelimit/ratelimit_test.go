package ratelimit

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/autocred/autocred/internal/upstream"
)

// fakeReserver hands out slots one interval apart, as the database does.
type fakeReserver struct {
	mu     sync.Mutex
	next   map[string]time.Time
	paused map[string]time.Time
	keys   []string
	steps  []time.Duration
	left   map[string][]fakeDeparture // the last departures of each budget (LeaveRequest)
	// departures counts the departures recorded, retimed those moved.
	departures, retimed int64
}

func (f *fakeReserver) PauseRequests(_ context.Context, key string, d time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.paused == nil {
		f.paused = map[string]time.Time{}
	}
	if until := time.Now().Add(d); until.After(f.paused[key]) {
		f.paused[key] = until
	}
	return nil
}

func (f *fakeReserver) RequestsPausedFor(_ context.Context, key string) (time.Duration, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return max(time.Until(f.paused[key]), 0), nil
}

func (f *fakeReserver) ReserveRequest(_ context.Context, key string, interval time.Duration) (time.Duration, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.next == nil {
		f.next = map[string]time.Time{}
	}
	f.keys, f.steps = append(f.keys, key), append(f.steps, interval)
	now := time.Now()
	slot := f.next[key]
	if slot.Before(now) {
		slot = now
	}
	f.next[key] = slot.Add(interval)
	return slot.Sub(now), nil
}

func TestLimiterPacesRequests(t *testing.T) {
	for _, tc := range []struct {
		name     string
		registry func(*fakeReserver) *Registry
		minTotal time.Duration // for 5 requests
	}{
		{"local", func(*fakeReserver) *Registry { return NewRegistry(20) }, 4 * 50 * time.Millisecond},
		{"shared", func(f *fakeReserver) *Registry { return NewSharedRegistry("activecampaign", 20, f) }, 4 * 50 * time.Millisecond},
		{"off", func(*fakeReserver) *Registry { return NewRegistry(0) }, 0},
		{"shared off", func(f *fakeReserver) *Registry { return NewSharedRegistry("activecampaign", -1, f) }, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeReserver{}
			r := tc.registry(f)
			start := time.Now()
			for range 5 {
				if err := r.For("acme").Wait(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			took := time.Since(start)
			if took < tc.minTotal-5*time.Millisecond {
				t.Errorf("5 requests took %s, want at least %s", took, tc.minTotal)
			}
			if tc.minTotal == 0 && took > 20*time.Millisecond {
				t.Errorf("5 unlimited requests took %s", took)
			}
		})
	}
}

// The shared budget is named by registry and account, so that an
// ActiveCampaign account and a Certifier workspace never share one.
func TestSharedLimiterKeysAndInterval(t *testing.T) {
	f := &fakeReserver{}
	if err := NewSharedRegistry("certifier", 4, f).For("https://api.certifier.io/v1#ab12").Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(f.keys) != 1 || f.keys[0] != "certifier:https://api.certifier.io/v1#ab12" || f.steps[0] != 250*time.Millisecond {
		t.Errorf("reserved %v every %v", f.keys, f.steps)
	}
}

func TestSharedLimiterGivesUpWithItsContext(t *testing.T) {
	f := &fakeReserver{}
	l := NewSharedRegistry("activecampaign", 0.1, f).For("acme") // 10 s apart
	if err := l.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := l.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Wait = %v, want the context's deadline", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("Wait returned after %s, not when its context ended", took)
	}
}

// slotChecker is a fakeReserver that records whether a slot was reserved
// while an earlier reserved slot had not come yet.
type slotChecker struct {
	fakeReserver
	last  time.Time
	early int
}

func (c *slotChecker) ReserveRequest(ctx context.Context, key string, interval time.Duration) (time.Duration, error) {
	wait, err := c.fakeReserver.ReserveRequest(ctx, key, interval)
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	if now.Before(c.last) {
		c.early++
	}
	c.last = now.Add(wait)
	return wait, err
}

// The requests of one account hold one reserved slot at a time: if several
// waited for theirs, a pause of the process would release them together.
func TestOneRequestAtATimeHoldsASlot(t *testing.T) {
	c := &slotChecker{}
	l := NewSharedRegistry("activecampaign", 50, c).For("acme") // 20 ms apart
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if err := l.Wait(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if c.early > 0 {
		t.Errorf("%d of 8 requests reserved a slot while an earlier one still waited for its own", c.early)
	}
	// More than 8 when a request came late to its slot on a busy machine
	// and gave it up (sharedSlot).
	if len(c.keys) < 8 {
		t.Errorf("%d reservations for 8 requests", len(c.keys))
	}
}

// When one request of an account is told to wait, the account's other
// requests wait too: in this process, and through the shared budget in
// every process (a second registry on the same Reserver stands for another
// node). A caller that may not wait that long (a job, which snoozes
// instead) is told until when, at once, without taking a slot.
func TestPauseHoldsEveryRequestOfTheAccount(t *testing.T) {
	f := &fakeReserver{}
	for _, tc := range []struct {
		name        string
		this, other *Registry
	}{
		{"local", NewRegistry(100), nil},
		{"local unlimited", NewRegistry(0), nil},
		{"shared", NewSharedRegistry("activecampaign", 100, f), NewSharedRegistry("activecampaign", 100, f)},
		{"shared unlimited", NewSharedRegistry("activecampaign", 0, f), NewSharedRegistry("activecampaign", 0, f)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := "acme-" + tc.name
			if err := tc.this.For(key).Pause(context.Background(), 300*time.Millisecond); err != nil {
				t.Fatal(err)
			}
			limiters := []*Limiter{tc.this.For(key)}
			if tc.other != nil {
				limiters = append(limiters, tc.other.For(key))
			}
			for i, l := range limiters {
				ctx := upstream.WithWaitLimit(context.Background(), 50*time.Millisecond)
				start := time.Now()
				err := l.Wait(ctx)
				var te *upstream.ThrottledError
				if !errors.As(err, &te) || !errors.Is(err, upstream.ErrThrottled) || time.Since(start) > 40*time.Millisecond {
					t.Fatalf("limiter %d: Wait with a short limit = %v after %s, want a ThrottledError at once", i, err, time.Since(start))
				}
				if left := time.Until(te.Until); left < 150*time.Millisecond || left > 300*time.Millisecond {
					t.Errorf("limiter %d: told to wait until %s from now, want about 300ms less the time spent", i, left)
				}
			}
			// Without a limit (a sync), the pause is waited out in place.
			start := time.Now()
			if err := limiters[len(limiters)-1].Wait(context.Background()); err != nil {
				t.Fatal(err)
			}
			if took := time.Since(start); took < 150*time.Millisecond {
				t.Errorf("Wait returned after %s, before the pause ended", took)
			}
			// Other accounts never wait.
			start = time.Now()
			if err := tc.this.For("someone-else").Wait(upstream.WithWaitLimit(context.Background(), 0)); err != nil || time.Since(start) > 100*time.Millisecond {
				t.Errorf("another account: %v after %s", err, time.Since(start))
			}
		})
	}
}

// A request already waiting for its slot when the account is paused waits
// for the pause too: it must not go out into the 429 another request was
// just told about. (Seen: eight issue jobs queued for their slots each
// earned a 429 of their own.)
func TestPauseHoldsARequestWaitingForItsSlot(t *testing.T) {
	l := NewRegistry(2).For("acme") // a slot every 500ms
	if err := l.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- l.Wait(context.Background()) }() // waits ~500ms for its slot
	time.Sleep(100 * time.Millisecond)
	if err := l.Pause(context.Background(), time.Second); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 1100*time.Millisecond {
		t.Errorf("the waiting request went out after %s, before the pause (100ms + 1s) ended", took)
	}
}

// A line hands out places at the account's pace, n requests' worth each,
// apart from the requests' own slots; in every process sharing the budget,
// when it is shared. Without a pace there is no line.
func TestLineHandsOutPlacesAtThePace(t *testing.T) {
	near := func(got, want time.Duration) bool {
		return got >= want-20*time.Millisecond && got <= want+20*time.Millisecond
	}
	f := &fakeReserver{}
	for name, l := range map[string]*Limiter{
		"local":  NewRegistry(10).For("acct"),
		"shared": NewSharedRegistry("certifier", 10, f).For("acct"),
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			for i, tc := range []struct {
				n    int
				want time.Duration
			}{{1, 0}, {3, 100 * time.Millisecond}, {1, 400 * time.Millisecond}, {1, 500 * time.Millisecond}} {
				got, err := l.Line(ctx, tc.n, true)
				if err != nil || !near(got, tc.want) {
					t.Errorf("place %d (%d requests): %v, %v; want %v", i, tc.n, got, err, tc.want)
				}
			}
			// The line spends no request slot: a request goes at once.
			start := time.Now()
			if err := l.Wait(ctx); err != nil || time.Since(start) > 50*time.Millisecond {
				t.Errorf("a request after the line's places waited %v (%v)", time.Since(start), err)
			}
		})
	}
	if f.keys[0] != "certifier:acct#line" {
		t.Errorf("the shared line is kept as %q", f.keys[0])
	}
	if got, err := NewRegistry(-1).For("acct").Line(context.Background(), 5, false); got != 0 || err != nil {
		t.Errorf("an unpaced account's line: %v, %v; want none", got, err)
	}
}

// Single work goes ahead of a batch's places in the line, one after the
// other at the pace, and moves the batch's places still to come back by
// its own: the line keeps the account's pace.
func TestSingleWorkGoesAheadOfABatchInLine(t *testing.T) {
	near := func(got, want time.Duration) bool {
		return got >= want-20*time.Millisecond && got <= want+20*time.Millisecond
	}
	for name, l := range map[string]*Limiter{
		"local":  NewRegistry(10).For("acct"),
		"shared": NewSharedRegistry("certifier", 10, &fakeReserver{}).For("acct"),
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			for i, tc := range []struct {
				batch bool
				want  time.Duration
			}{
				{true, 0}, {true, 100 * time.Millisecond}, {true, 200 * time.Millisecond}, // a batch's first places
				{false, 0},                      // a single: at once, ahead of the batch
				{false, 100 * time.Millisecond}, // the next single: after it
				{true, 500 * time.Millisecond},  // the batch's next place: after both singles' steps
				{false, 200 * time.Millisecond}, // a third single
				{true, 700 * time.Millisecond},  // and the batch again
			} {
				got, err := l.Line(ctx, 1, tc.batch)
				if err != nil || !near(got, tc.want) {
					t.Errorf("place %d (batch %v): %v, %v; want %v", i, tc.batch, got, err, tc.want)
				}
			}
		})
	}
}

// lateSleeper stands for a process that comes late to some of its slots:
// every every-th wait oversleeps by late, as on a starved CPU or during a
// long GC.
type lateSleeper struct {
	mu    sync.Mutex
	n     int
	every int
	late  time.Duration
}

func (s *lateSleeper) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.n++
	if s.every > 0 && s.n%s.every == 0 {
		d += s.late
	}
	s.mu.Unlock()
	return upstream.Sleep(ctx, d)
}

// sent records when each request of a test was let go.
type sent struct {
	mu sync.Mutex
	at []time.Time
}

func (d *sent) add(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.at = append(d.at, t)
}

// sorted returns the departures in order.
func (d *sent) sorted() []time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	at := slices.Clone(d.at)
	slices.SortFunc(at, func(a, b time.Time) int { return a.Compare(b) })
	return at
}

// mostInASecond is the most departures in any one second, the service's
// window: any interval [t, t+1s) that starts at a departure. The test
// notes a departure a moment after the limiter let it go, later on a busy
// machine, which can bring two a little closer than they left: the window
// is 25 ms short of a second to allow for it. Two requests let go
// together, the fault, are still within it.
func mostInASecond(at []time.Time) int {
	most := 0
	for i := range at {
		n := 0
		for j := i; j < len(at) && at[j].Sub(at[i]) < time.Second-25*time.Millisecond; j++ {
			n++
		}
		most = max(most, n)
	}
	return most
}

// An account's requests never leave faster than its budget in any one
// second, even when this process comes late to some of its slots. A token
// bucket alone lets the late request and the next one go together, one
// more than the budget in the second after.
func TestLateSlotsKeepTheBudgetInAnySecond(t *testing.T) {
	for _, tc := range []struct {
		name     string
		registry func() *Registry
	}{
		{"local", func() *Registry { return NewRegistry(20) }},
		{"shared", func() *Registry { return NewSharedRegistry("certifier", 20, &fakeReserver{}) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.registry()
			// 20 a second, 50 ms apart; now and then (every 23rd
			// slot, so that a second holds one) a slot is come to 60
			// ms late: the late request and the next go together, and
			// the 19 after them follow within 950 ms.
			r.sleep = (&lateSleeper{every: 23, late: 60 * time.Millisecond}).sleep
			l := r.For("acme")
			var d sent
			var wg sync.WaitGroup
			for range 4 {
				wg.Go(func() {
					for range 15 {
						if err := l.Wait(context.Background()); err != nil {
							t.Error(err)
							return
						}
						d.add(time.Now())
					}
				})
			}
			wg.Wait()
			if most := mostInASecond(d.sorted()); most > 20 {
				t.Errorf("%d requests left in one second, budget 20", most)
			}
		})
	}
}

// Two nodes share a budget: one of them comes late to its slots. A slot
// come to late is given up, so that its request does not leave next to
// the other node's, sent on time.
func TestLateSharedSlotIsGivenUp(t *testing.T) {
	f := &fakeReserver{}
	late := NewSharedRegistry("certifier", 10, f) // 100 ms apart
	// Just over an interval late: without giving the slot up, the request
	// leaves about 5 ms after the other node's next one.
	late.sleep = (&lateSleeper{every: 2, late: 105 * time.Millisecond}).sleep
	onTime := NewSharedRegistry("certifier", 10, f)
	checkNodesKeepApart(t, late.For("acme"), onTime.For("acme"))
}

// checkNodesKeepApart has each node, one limiter of one shared budget
// whose slots are 100 ms apart, send 12 requests at once, and checks that
// no two requests of all of them left less than 25 ms apart: a request
// may be up to 50 ms late to its slot, and the timers on a busy machine a
// little later still.
func checkNodesKeepApart(t *testing.T, nodes ...*Limiter) {
	t.Helper()
	at := sendAll(t, 12, nodes...)
	for i := 1; i < len(at); i++ {
		if gap := at[i].Sub(at[i-1]); gap < 25*time.Millisecond {
			t.Errorf("requests %d and %d left %s apart, slots are 100 ms apart", i, i+1, gap)
		}
	}
}

// slowReserver answers some reservations late, as a busy database does:
// the wait it says is from when it took the slot, and part of it has gone
// by when the answer arrives.
type slowReserver struct {
	fakeReserver
	n     int
	every int
	slow  time.Duration
}

func (s *slowReserver) ReserveRequest(ctx context.Context, key string, interval time.Duration) (time.Duration, error) {
	wait, err := s.fakeReserver.ReserveRequest(ctx, key, interval)
	s.mu.Lock()
	s.n++
	slow := s.n%s.every == 0
	s.mu.Unlock()
	if slow {
		time.Sleep(s.slow)
	}
	return wait, err
}

// A slot whose answer comes back from the database late is given up too:
// reckoned from when the answer arrived, the request would leave after
// its slot, next to the other node's.
func TestSlotAnsweredLateIsGivenUp(t *testing.T) {
	f := &slowReserver{every: 3, slow: 105 * time.Millisecond}
	// Two nodes, slots 100 ms apart.
	checkNodesKeepApart(t, NewSharedRegistry("certifier", 10, f).For("acme"), NewSharedRegistry("certifier", 10, f).For("acme"))
}

// fakeDeparture is one of a budget's last departures in a fakeReserver.
type fakeDeparture struct {
	id int64
	at time.Time
}

// LeaveRequest keeps the last perSecond departures of each budget, as the
// database does for every node, oldest first.
func (f *fakeReserver) LeaveRequest(_ context.Context, key string, perSecond int) (Departure, int, time.Duration, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.left == nil {
		f.left = map[string][]fakeDeparture{}
	}
	now := time.Now()
	left := f.left[key]
	if len(left) == perSecond {
		if wait := left[0].at.Add(time.Second).Sub(now); wait > 0 {
			return Departure{}, 0, wait, nil
		}
		left = left[1:]
	}
	f.departures++
	left = append(left, fakeDeparture{f.departures, now})
	f.left[key] = left
	n := 0
	for _, d := range left {
		if now.Sub(d.at) < time.Second {
			n++
		}
	}
	return Departure{Place: key, At: f.departures}, n, 0, nil
}

func (f *fakeReserver) RetimeDeparture(_ context.Context, d Departure) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.retimed++
	left := f.left[d.Place]
	for i, l := range left {
		if l.id == d.At {
			l.at = time.Now()
			f.left[d.Place] = append(slices.Delete(left, i, i+1), l)
			return true, nil
		}
	}
	return false, nil
}

// freeSlots is a Reserver whose slots are all "now": it stands for
// whatever lets a cluster's requests bunch although the pace holds (a
// node late to its slots, the go-anyway after maxLateSlots, two nodes
// started with different rates).
type freeSlots struct{ fakeReserver }

func (*freeSlots) ReserveRequest(context.Context, string, time.Duration) (time.Duration, error) {
	return 0, nil
}

// The nodes sharing a budget never send more than it in any one second
// between them, whatever their slots said: each counts against the same
// second. Counted per node, two nodes sent twice the budget.
func TestNodesKeepTheBudgetInAnySecondBetweenThem(t *testing.T) {
	f := &freeSlots{}
	nodes := []*Limiter{NewSharedRegistry("certifier", 10, f).For("acme"), NewSharedRegistry("certifier", 10, f).For("acme")}
	if most := mostInASecond(sendAll(t, 12, nodes...)); most > 10 {
		t.Errorf("%d requests left the two nodes in one second, budget 10", most)
	}
}

// Each node is told the count of the whole budget's second, every node's
// requests in it: what the service counts.
func TestOnLeaveCountsEveryNodesRequests(t *testing.T) {
	f := &fakeReserver{}
	var told []int
	a, b := NewSharedRegistry("certifier", 100, f), NewSharedRegistry("certifier", 100, f)
	b.OnLeave(func(n int) { told = append(told, n) })
	for _, l := range []*Limiter{a.For("acme"), a.For("acme"), a.For("acme"), b.For("acme")} {
		if err := l.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(told, []int{4}) {
		t.Errorf("the second node was told %v, want [4]: three of the first node's and its own", told)
	}
}

// slowLeaves answers some departures late, as a busy database does: the
// departure was recorded when it was asked, and the request leaves later.
type slowLeaves struct {
	freeSlots
	n     int
	every int
	slow  time.Duration
}

func (s *slowLeaves) LeaveRequest(ctx context.Context, key string, perSecond int) (Departure, int, time.Duration, error) {
	d, n, wait, err := s.freeSlots.LeaveRequest(ctx, key, perSecond)
	s.mu.Lock()
	s.n++
	slow := wait == 0 && s.every > 0 && s.n%s.every == 0
	s.mu.Unlock()
	if slow {
		time.Sleep(s.slow)
	}
	return d, n, wait, err
}

// A departure whose record comes back late is moved to when the request
// really leaves: counted where it was recorded, the request would make
// one more than the budget in the second after it.
func TestDepartureAnsweredLateIsMoved(t *testing.T) {
	f := &slowLeaves{every: 7, slow: 300 * time.Millisecond}
	nodes := []*Limiter{NewSharedRegistry("certifier", 10, f).For("acme"), NewSharedRegistry("certifier", 10, f).For("acme")}
	if most := mostInASecond(sendAll(t, 20, nodes...)); most > 10 {
		t.Errorf("%d requests left the two nodes in one second, budget 10", most)
	}
}

// slowPauseRead is one node's view of a shared budget whose answer to one
// pause read comes back late, as a busy database's may: the node's
// slowAt-th read (counting from 1).
type slowPauseRead struct {
	*freeSlots
	n      int
	slowAt int
	slow   time.Duration
}

func (s *slowPauseRead) RequestsPausedFor(ctx context.Context, key string) (time.Duration, error) {
	s.n++ // one node's requests read the pause one at a time
	if s.n == s.slowAt {
		time.Sleep(s.slow)
	}
	return s.freeSlots.RequestsPausedFor(ctx, key)
}

// A request whose departure was recorded still reads the pause before it
// leaves (another node may have been told Retry-After); an answer that
// comes back late there moves the request away from its record as much as
// a late record does, and the second it lands in then holds one more than
// the budget.
func TestDepartureFollowedByALatePauseReadKeepsTheBudget(t *testing.T) {
	f := &freeSlots{}
	// Each request reads the pause before its slot and after its
	// departure: the first node's fourth read is its second request's
	// read after its departure.
	a := &slowPauseRead{freeSlots: f, slowAt: 4, slow: 300 * time.Millisecond}
	b := &slowPauseRead{freeSlots: f}
	nodes := []*Limiter{NewSharedRegistry("certifier", 10, a).For("acme"), NewSharedRegistry("certifier", 10, b).For("acme")}
	if most := mostInASecond(sendAll(t, 20, nodes...)); most > 10 {
		t.Errorf("%d requests left the two nodes in one second, budget 10", most)
	}
}

// A late answer costs the budget no place: its record is moved, not
// another taken. (Seen: one PostgreSQL node's burst went at a third of
// its workspace's 8 a second while the database's WAL flushes made most
// answers late, each late answer spending another place.)
func TestLateDepartureTakesNoOtherPlace(t *testing.T) {
	f := &slowLeaves{every: 1, slow: 40 * time.Millisecond} // every answer late; the tolerance at 20 a second is 25 ms
	l := NewSharedRegistry("certifier", 20, f).For("acme")
	start := time.Now()
	for range 40 {
		if err := l.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	// 40 requests at 20 a second take about 2 s (each answer 40 ms late,
	// one at a time); a place spent per late answer, three for each
	// request, takes 6 s.
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("40 requests at 20 a second, every answer 40 ms late, took %s (%d departures, %d moved)", took, f.departures, f.retimed)
	}
	// A record is taken anew only when its answer came a second late.
	if f.departures > 50 {
		t.Errorf("%d departures recorded for 40 requests (%d moved)", f.departures, f.retimed)
	}
}

// sendAll has each node (one limiter of a shared budget) send n requests,
// the nodes at once, and returns when each request was let go, in order.
func sendAll(t *testing.T, n int, nodes ...*Limiter) []time.Time {
	t.Helper()
	var d sent
	var wg sync.WaitGroup
	for _, l := range nodes {
		wg.Go(func() {
			for range n {
				if err := l.Wait(context.Background()); err != nil {
					t.Error(err)
					return
				}
				d.add(time.Now())
			}
		})
	}
	wg.Wait()
	return d.sorted()
}

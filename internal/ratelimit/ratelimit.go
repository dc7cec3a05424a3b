// Package ratelimit paces requests to each outside account. ActiveCampaign
// allows 5 requests per second per account, shared by every integration of
// that account, so every client of the same account must draw from one
// budget: within a process, a token bucket; across the nodes of a cluster,
// a budget kept in the shared database (see Reserver).
package ratelimit

import (
	"context"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/autocred/autocred/internal/upstream"
)

// Reserver keeps request budgets shared by several processes. The store
// implements it on PostgreSQL, where several nodes serve one database.
type Reserver interface {
	// ReserveRequest takes the next slot of the budget named key, whose
	// requests must be interval apart, and says how long to wait for it.
	ReserveRequest(ctx context.Context, key string, interval time.Duration) (time.Duration, error)
	// PauseRequests holds every request of the budget named key for d
	// from now (a Retry-After), unless it is held longer already.
	PauseRequests(ctx context.Context, key string, d time.Duration) error
	// RequestsPausedFor says how long the budget named key is still held
	// (0: it is not).
	RequestsPausedFor(ctx context.Context, key string) (time.Duration, error)
	// LeaveRequest records a request of the budget named key as leaving
	// now if fewer than perSecond of its requests left in the last second,
	// in every process, and says how many did, this one included; else it
	// records nothing and says how long to wait before asking again.
	LeaveRequest(ctx context.Context, key string, perSecond int) (d Departure, inLastSecond int, wait time.Duration, err error)
	// RetimeDeparture moves a departure LeaveRequest recorded to now,
	// unless another request has taken its place since; ok says it moved.
	RetimeDeparture(ctx context.Context, d Departure) (ok bool, err error)
}

// Departure is a request recorded as leaving by a Reserver: its place
// among the budget's last departures, and the time recorded there, in
// the Reserver's own units.
type Departure struct {
	Place string
	At    int64
}

// Registry hands out one limiter per account key.
type Registry struct {
	name      string
	perSecond float64
	shared    Reserver

	// sleep waits for a slot; tests replace it to make this process
	// late, as a starved CPU or a long GC does. Default: upstream.Sleep.
	sleep func(ctx context.Context, d time.Duration) error
	// onLeave, when set, is told of every paced request as it leaves (see
	// OnLeave).
	onLeave func(inLastSecond int)

	mu      sync.Mutex
	budgets map[string]*budget
}

// budget is one account's budget in this process.
type budget struct {
	// turn lets one request at a time wait for its slot (see Wait).
	turn chan struct{}
	// local paces the requests; nil when the budget is shared or unlimited.
	local *rate.Limiter
	// left holds when the last requests of the account left this process,
	// at most one second's worth of the budget (see leave); nil when the
	// budget is unlimited or shared (the Reserver keeps the departures of
	// every process). Only the holder of turn touches it.
	left *departures

	mu sync.Mutex
	// pausedUntil holds every request of the account until then: the
	// service asked one of them to wait (Retry-After). A shared budget
	// keeps its pause in the Reserver too, for the other processes.
	pausedUntil time.Time
	// lineNext is when the next place in the account's line comes, and
	// firstNext the next place for a single piece of work, ahead of a
	// batch's (see Line); a shared budget keeps them in the Reserver.
	lineNext, firstNext time.Time
}

// NewRegistry returns a Registry of limiters local to this process, each
// allowing perSecond requests per second; perSecond <= 0 means no limit
// (but a Retry-After still pauses the account).
func NewRegistry(perSecond float64) *Registry {
	return &Registry{perSecond: perSecond, budgets: map[string]*budget{}}
}

// NewSharedRegistry returns a Registry whose budgets and pauses are kept by
// r, so that every process using the same r (the same database) shares
// them. name tells this registry's budgets from another's (e.g.
// "activecampaign").
func NewSharedRegistry(name string, perSecond float64, r Reserver) *Registry {
	return &Registry{name: name, perSecond: perSecond, shared: r, budgets: map[string]*budget{}}
}

// OnLeave has f told, as each paced request of any account leaves, how
// many requests of that account left in the second up to it, this one
// included: what the service counts against the account's budget. A
// shared budget counts every process's requests (a cluster's nodes), a
// local one this process's. Call it before the first For.
func (r *Registry) OnLeave(f func(inLastSecond int)) {
	r.onLeave = f
}

// For returns the limiter of one account (e.g. its API host).
//
// The burst is 1: a token bucket that lets a burst through on top of its
// rate would break the service's "N in any one second" limit right after an
// idle spell, which is exactly when a batch starts.
func (r *Registry) For(key string) *Limiter {
	r.mu.Lock()
	defer r.mu.Unlock()
	b, ok := r.budgets[key]
	if !ok {
		b = &budget{turn: make(chan struct{}, 1)}
		if r.shared == nil && r.perSecond > 0 {
			b.local = rate.NewLimiter(rate.Limit(r.perSecond), 1)
		}
		if r.shared == nil && r.perSecond > 0 {
			b.left = newDepartures(int(math.Ceil(r.perSecond)))
		}
		r.budgets[key] = b
	}
	var interval time.Duration
	var inOneSecond int
	if r.perSecond > 0 {
		interval = time.Duration(float64(time.Second) / r.perSecond)
		inOneSecond = int(math.Ceil(r.perSecond))
	}
	sleep := r.sleep
	if sleep == nil {
		sleep = upstream.Sleep
	}
	return &Limiter{budget: b, shared: r.shared, key: r.name + ":" + key, interval: interval, inOneSecond: inOneSecond, sleep: sleep, onLeave: r.onLeave}
}

// Limiter paces requests and holds them while the account is paused; the
// zero Limiter does neither.
type Limiter struct {
	budget *budget

	shared   Reserver
	key      string
	interval time.Duration // 0: no pacing
	// inOneSecond is the most requests that may leave in any one second:
	// the budget, rounded up.
	inOneSecond int
	sleep       func(ctx context.Context, d time.Duration) error
	onLeave     func(inLastSecond int) // nil: nobody is told
}

// Pause holds every request of the account for d from now, in this process
// and, with a shared budget, in every process sharing it. It implements
// upstream.Pauser.
func (l *Limiter) Pause(ctx context.Context, d time.Duration) error {
	if l.budget == nil || d <= 0 {
		return nil
	}
	l.budget.hold(time.Now().Add(d))
	if l.shared == nil {
		return nil
	}
	return l.shared.PauseRequests(ctx, l.key, d)
}

// hold moves the pause to until, if that is later.
func (b *budget) hold(until time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if until.After(b.pausedUntil) {
		b.pausedUntil = until
	}
}

// pausedFor is how long the account's requests are still held.
func (l *Limiter) pausedFor(ctx context.Context) (time.Duration, error) {
	l.budget.mu.Lock()
	left := time.Until(l.budget.pausedUntil)
	l.budget.mu.Unlock()
	if left > 0 || l.shared == nil {
		return max(left, 0), nil
	}
	left, err := l.shared.RequestsPausedFor(ctx, l.key)
	if err != nil || left <= 0 {
		return 0, err
	}
	l.budget.hold(time.Now().Add(left)) // spares the database the next asks
	return left, nil
}

// waitPause waits while the account is paused. A pause longer than the
// context's upstream.WaitLimit is not waited for: it returns a
// *upstream.ThrottledError that says until when.
func (l *Limiter) waitPause(ctx context.Context) error {
	for range 10 { // a pause may be extended while it is waited out
		left, err := l.pausedFor(ctx)
		if err != nil || left <= 0 {
			return err
		}
		if limit, ok := upstream.WaitLimit(ctx); ok && left > limit {
			return &upstream.ThrottledError{RetryAfter: left, Until: time.Now().Add(left)}
		}
		if err := upstream.Sleep(ctx, left); err != nil {
			return err
		}
	}
	return nil
}

// Wait blocks until the next request may go: after the account's pause,
// if any, then at its pace.
//
// The requests of one account wait for their slots one at a time. Each
// waiter holds a reservation of a future slot, and if several did, a pause
// of the whole process (a long GC, a starved CPU) would let all of their
// timers fire together and send their requests in one burst. One at a
// time, a pause lets out at most the one that waited and the next. The
// account's pause is waited out before, so that a request that may not
// wait for it is not stuck behind one that does.
func (l *Limiter) Wait(ctx context.Context) error {
	if l.budget == nil {
		return ctx.Err()
	}
	for {
		if err := l.waitPause(ctx); err != nil {
			return err
		}
		if l.interval == 0 {
			return ctx.Err()
		}
		// The account may have been paused while this request waited for
		// its slot (another request was told Retry-After): then it waits
		// for the pause too, and for a new slot after it.
		if paused, err := l.takeSlot(ctx); err != nil || !paused {
			return err
		}
	}
}

// takeSlot waits, one request of the account at a time, for the next slot
// of its pace, and then for leave; paused says the account was paused
// meanwhile, and the request does not leave.
func (l *Limiter) takeSlot(ctx context.Context) (paused bool, err error) {
	select {
	case l.budget.turn <- struct{}{}:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	defer func() { <-l.budget.turn }()
	var n int
	if l.shared == nil {
		if err := l.localSlot(ctx); err != nil {
			return false, err
		}
		if n, err = l.budget.left.leave(ctx, l.sleep); err != nil {
			return false, err
		}
		left, err := l.pausedFor(ctx)
		if err != nil || left > 0 {
			return left > 0, err
		}
	} else {
		if err := l.sharedSlot(ctx); err != nil {
			return false, err
		}
		if n, paused, err = l.sharedLeave(ctx); err != nil || paused {
			return paused, err
		}
	}
	if l.onLeave != nil {
		l.onLeave(n)
	}
	return false, nil
}

// localSlot waits for the next slot of this process's pace.
func (l *Limiter) localSlot(ctx context.Context) error {
	r := l.budget.local.Reserve()
	if d := r.Delay(); d > 0 {
		if err := l.sleep(ctx, d); err != nil {
			r.Cancel() // the slot goes to the next request
			return err
		}
	}
	return nil
}

// maxLateSlots is how many slots in a row a request of a shared budget
// gives up for coming too late, before it goes with the next one anyway.
const maxLateSlots = 3

// minLateness is the least lateness for which a slot is given up, however
// fast the pace: a few milliseconds late is nothing against the service's
// one-second window, and at 190 requests a second half an interval (2.6
// ms) is within a loaded machine's timer jitter, which would waste slots.
const minLateness = 25 * time.Millisecond

// sharedSlot waits for the next slot of the budget shared with the other
// nodes.
//
// A slot is a moment, not a right: the other nodes send theirs on time,
// so a request that comes to its slot late (this process starved of CPU,
// paused by a long GC) would land next to theirs, and a few such in one
// second would exceed the account's limit although every slot was handed
// out one interval apart; so would a request whose slot's answer came
// back late from the database. A request more than half an interval late
// (minLateness at least) gives its slot up and takes the next free one. A
// slot given up is lost to everyone: the budget errs on the side of fewer
// requests.
func (l *Limiter) sharedSlot(ctx context.Context) error {
	tolerance := max(l.interval/2, minLateness)
	for try := 1; ; try++ {
		// The database says how long from when it answered; the answer
		// may have taken a while to come back (a busy database, a
		// starved process), so the slot is reckoned from when it was
		// asked for: as early as it can have been.
		asked := time.Now()
		wait, err := l.shared.ReserveRequest(ctx, l.key, l.interval)
		if err != nil {
			return err
		}
		due := asked.Add(max(wait, 0))
		wait = time.Until(due)
		if wait > 0 {
			if err := l.sleep(ctx, wait); err != nil {
				return err
			}
		}
		if time.Since(due) <= tolerance || try == maxLateSlots {
			return nil
		}
	}
}

// sharedLeave waits until fewer than the budget's requests left in the
// last second, counted across every process sharing it, and records this
// one as leaving; it returns how many left in that second, this one
// included.
//
// The slots alone keep the pace, not the count the service keeps: a
// request may come to its slot up to the tolerance late, and after
// maxLateSlots given up it goes anyway; and each process counts only its
// own departures. Counted where every node's are, a second of the
// database's clock never holds more than the budget, whatever made them
// late; a request leaves within the tolerance of its record.
// An answer that comes back late recorded the departure too early: the
// record is moved to when the request really leaves (maxLateSlots times
// at most), which takes no other place of the budget's second. Recording
// another instead spent a place for each late answer, and on a busy
// database (answers late by its WAL flushes) a burst went at a third of
// its budget. Only a record so late that its place was taken meanwhile (a
// second) is recorded anew.
//
// The account's pause is read after the departure is recorded (another
// node may have been told Retry-After meanwhile), and that answer may come
// back late too: it is reckoned with the record's, so that the request
// leaves within the tolerance of its record. paused says the account is
// paused: the request does not leave.
func (l *Limiter) sharedLeave(ctx context.Context) (n int, paused bool, err error) {
	tolerance := max(l.interval/2, minLateness)
	late := 1
record:
	for {
		asked := time.Now()
		d, n, wait, err := l.shared.LeaveRequest(ctx, l.key, l.inOneSecond)
		if err != nil {
			return 0, false, err
		}
		if wait > 0 {
			if err := l.sleep(ctx, wait); err != nil {
				return 0, false, err
			}
			continue
		}
		left, err := l.pausedFor(ctx)
		if err != nil || left > 0 {
			return 0, left > 0, err
		}
		for ; time.Since(asked) > tolerance && late < maxLateSlots; late++ {
			asked = time.Now()
			moved, err := l.shared.RetimeDeparture(ctx, d)
			if err != nil {
				return 0, false, err
			}
			if !moved {
				late++
				continue record
			}
		}
		return n, false, nil
	}
}

// departures remembers when the last requests of an account left this
// process: as many as its budget allows in one second.
//
// The pace alone does not keep "n in any one second": a request that comes
// to its slot late (a starved CPU, a long GC) leaves when the next one's
// slot comes, and the two leave together; a token bucket forgives the
// lateness and lets one more through. Counting the requests as they
// leave keeps the budget at the moment that matters to the service.
type departures struct {
	at   []time.Time // a ring of the last len(at) departures
	next int         // the oldest of them, overwritten by the next
}

func newDepartures(perSecond int) *departures {
	return &departures{at: make([]time.Time, max(perSecond, 1))}
}

// leave waits until fewer than the budget's requests left in the last
// second, records this one as leaving now, and says how many left in the
// second up to it, this one included. A nil *departures (no budget) lets
// every request go. Its caller holds the account's turn.
func (d *departures) leave(ctx context.Context, sleep func(context.Context, time.Duration) error) (int, error) {
	if d == nil {
		return 0, nil
	}
	// The oldest of the last len(at) departures must be a second old:
	// then this one makes at most len(at) in any one second.
	if wait := time.Until(d.at[d.next].Add(time.Second)); wait > 0 {
		if err := sleep(ctx, wait); err != nil {
			return 0, err
		}
	}
	now := time.Now()
	d.at[d.next] = now
	d.next = (d.next + 1) % len(d.at)
	n := 0
	for _, t := range d.at {
		if now.Sub(t) < time.Second {
			n++
		}
	}
	return n, nil
}

// Line takes a place in the account's line for a piece of work that will
// make n requests, and says how long until its place comes (0: now).
//
// The requests themselves wait in Wait, one at a time, holding whatever
// runs them. Work that knows its place in advance can wait for it without
// holding anything: a job of a batch of 10,000 is put back in the queue
// until its place comes, so that the workers it would have held serve the
// other accounts meanwhile, and another account's single job, whose place
// comes at once, is not queued behind the batch. The line is paced like the
// requests but kept apart from them: taking a place spends no request
// slot, and the work's requests still wait for their own. A place whose
// work never comes is not handed back: the line errs on the side of less
// work at once. With no pace there is no line.
//
// The work of a batch takes the line's last place. Single work (a contact
// entering alone) does not wait for a batch that came before it: it takes
// the first place after the other single work's, ahead of the batch's
// places, and the batch's places still to be taken move back by as much,
// so that the line keeps the account's pace. A batch's work already given
// a place may then wait for its requests a little longer, holding its
// worker; one single entry costs it one request's interval.
func (l *Limiter) Line(ctx context.Context, n int, batch bool) (time.Duration, error) {
	if l.budget == nil || l.interval == 0 || n <= 0 {
		return 0, nil
	}
	step := time.Duration(n) * l.interval
	if l.shared != nil {
		if batch {
			return l.shared.ReserveRequest(ctx, l.key+"#line", step)
		}
		wait, err := l.shared.ReserveRequest(ctx, l.key+"#line-first", step)
		if err != nil {
			return 0, err
		}
		_, err = l.shared.ReserveRequest(ctx, l.key+"#line", step) // the batch's places move back
		return wait, err
	}
	b := l.budget
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	take := func(next *time.Time) time.Duration {
		start := now
		if next.After(now) {
			start = *next
		}
		*next = start.Add(step)
		return start.Sub(now)
	}
	if batch {
		return take(&b.lineNext), nil
	}
	take(&b.lineNext)
	return take(&b.firstNext), nil
}

// Package ratelimit paces requests to each outside account. ActiveCampaign
// allows 5 requests per second per account, shared by every integration of
// that account, so every client of the same account must draw from one
// budget: within a process, a token bucket; across the nodes of a cluster,
// a budget kept in the shared database (see Reserver).
package ratelimit

import (
	"context"
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
}

// Registry hands out one limiter per account key.
type Registry struct {
	name      string
	perSecond float64
	shared    Reserver

	mu      sync.Mutex
	budgets map[string]*budget
}

// budget is one account's budget in this process.
type budget struct {
	// turn lets one request at a time wait for its slot (see Wait).
	turn chan struct{}
	// local paces the requests; nil when the budget is shared.
	local *rate.Limiter
}

// NewRegistry returns a Registry of limiters local to this process, each
// allowing perSecond requests per second; perSecond <= 0 means no limit.
func NewRegistry(perSecond float64) *Registry {
	return &Registry{perSecond: perSecond, budgets: map[string]*budget{}}
}

// NewSharedRegistry returns a Registry whose budgets are kept by r, so that
// every process using the same r (the same database) shares them. name
// tells this registry's budgets from another's (e.g. "activecampaign").
func NewSharedRegistry(name string, perSecond float64, r Reserver) *Registry {
	return &Registry{name: name, perSecond: perSecond, shared: r, budgets: map[string]*budget{}}
}

// For returns the limiter of one account (e.g. its API host).
//
// The burst is 1: a token bucket that lets a burst through on top of its
// rate would break the service's "N in any one second" limit right after an
// idle spell, which is exactly when a batch starts.
func (r *Registry) For(key string) *Limiter {
	if r.perSecond <= 0 {
		return &Limiter{}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	b, ok := r.budgets[key]
	if !ok {
		b = &budget{turn: make(chan struct{}, 1)}
		if r.shared == nil {
			b.local = rate.NewLimiter(rate.Limit(r.perSecond), 1)
		}
		r.budgets[key] = b
	}
	return &Limiter{budget: b, shared: r.shared, key: r.name + ":" + key, interval: time.Duration(float64(time.Second) / r.perSecond)}
}

// Limiter paces requests; the zero Limiter does not limit.
type Limiter struct {
	budget *budget

	shared   Reserver
	key      string
	interval time.Duration
}

// Wait blocks until the next request may go.
//
// The requests of one account wait for their slots one at a time. Each
// waiter holds a reservation of a future slot, and if several did, a pause
// of the whole process (a long GC, a starved CPU) would let all of their
// timers fire together and send their requests in one burst. One at a
// time, a pause lets out at most the one that waited and the next.
func (l *Limiter) Wait(ctx context.Context) error {
	if l.budget == nil {
		return ctx.Err()
	}
	select {
	case l.budget.turn <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-l.budget.turn }()
	if l.budget.local != nil {
		return l.budget.local.Wait(ctx)
	}
	wait, err := l.shared.ReserveRequest(ctx, l.key, l.interval)
	if err != nil || wait <= 0 {
		return err
	}
	return upstream.Sleep(ctx, wait)
}

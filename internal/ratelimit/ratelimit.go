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

	mu       sync.Mutex
	limiters map[string]*rate.Limiter
}

// NewRegistry returns a Registry of limiters local to this process, each
// allowing perSecond requests per second; perSecond <= 0 means no limit.
func NewRegistry(perSecond float64) *Registry {
	return &Registry{perSecond: perSecond, limiters: map[string]*rate.Limiter{}}
}

// NewSharedRegistry returns a Registry whose budgets are kept by r, so that
// every process using the same r (the same database) shares them. name
// tells this registry's budgets from another's (e.g. "activecampaign").
func NewSharedRegistry(name string, perSecond float64, r Reserver) *Registry {
	return &Registry{name: name, perSecond: perSecond, shared: r}
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
	if r.shared != nil {
		return &Limiter{shared: r.shared, key: r.name + ":" + key, interval: time.Duration(float64(time.Second) / r.perSecond)}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	l, ok := r.limiters[key]
	if !ok {
		l = rate.NewLimiter(rate.Limit(r.perSecond), 1)
		r.limiters[key] = l
	}
	return &Limiter{local: l}
}

// Limiter paces requests; the zero Limiter does not limit.
type Limiter struct {
	local *rate.Limiter

	shared   Reserver
	key      string
	interval time.Duration
}

// Wait blocks until the next request may go.
func (l *Limiter) Wait(ctx context.Context) error {
	switch {
	case l.local != nil:
		return l.local.Wait(ctx)
	case l.shared != nil:
		wait, err := l.shared.ReserveRequest(ctx, l.key, l.interval)
		if err != nil || wait <= 0 {
			return err
		}
		return upstream.Sleep(ctx, wait)
	}
	return ctx.Err()
}

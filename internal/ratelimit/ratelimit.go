// Package ratelimit paces the requests of one process to each outside
// account. ActiveCampaign allows 5 requests per second per account, shared
// by every integration of that account, so every client of the same account
// in the process must draw from one limiter.
package ratelimit

import (
	"context"
	"sync"

	"golang.org/x/time/rate"
)

// Registry hands out one limiter per account key, created on first use.
type Registry struct {
	perSecond float64

	mu       sync.Mutex
	limiters map[string]*rate.Limiter
}

// NewRegistry returns a Registry whose limiters allow perSecond requests per
// second each; perSecond <= 0 means no limit.
func NewRegistry(perSecond float64) *Registry {
	return &Registry{perSecond: perSecond, limiters: map[string]*rate.Limiter{}}
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
	l, ok := r.limiters[key]
	if !ok {
		l = rate.NewLimiter(rate.Limit(r.perSecond), 1)
		r.limiters[key] = l
	}
	return &Limiter{l: l}
}

// Limiter paces requests; the zero Limiter does not limit.
type Limiter struct{ l *rate.Limiter }

// Wait blocks until the next request may go.
func (l *Limiter) Wait(ctx context.Context) error {
	if l.l == nil {
		return ctx.Err()
	}
	return l.l.Wait(ctx)
}

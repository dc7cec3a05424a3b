package engine

import (
	"context"
	"math/rand/v2"
	"strconv"
	"sync/atomic"
	"time"
)

// leaseTTL is how long a lease lasts without renewal: how soon work of a
// process that died is taken up by another.
const leaseTTL = 30 * time.Second

// heldLease is a lease this process holds, in the context of the work it
// guards: the work may give it up with its last write (finish), which
// saves the write of its own that withLease would otherwise make.
type heldLease struct {
	key, holder string
	released    atomic.Bool
}

type heldLeaseKey struct{}

// leaseOf is the lease ctx's work holds, or nil.
func leaseOf(ctx context.Context) *heldLease {
	l, _ := ctx.Value(heldLeaseKey{}).(*heldLease)
	return l
}

// withLease runs fn while holding the lease on key, renewing it as fn runs;
// fn's context is cancelled if the lease is lost. It reports false, without
// running fn, when another live holder has the lease.
func (e *Engine) withLease(ctx context.Context, key string, fn func(ctx context.Context) error) (bool, error) {
	// The holder is this call, not this process: two jobs of one process
	// must exclude each other as much as two processes do.
	holder := e.holder + "/" + strconv.FormatUint(rand.Uint64(), 36)
	ok, err := e.store.AcquireLease(ctx, key, holder, time.Now().Add(leaseTTL))
	if err != nil || !ok {
		return false, err
	}
	lease := &heldLease{key: key, holder: holder}
	// The holder is also who calls Certifier (see Circuits): a probe's
	// later calls in the same work go through.
	ctx, cancel := context.WithCancel(context.WithValue(withCallHolder(ctx, holder), heldLeaseKey{}, lease))
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(leaseTTL / 3)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if ok, err := e.store.RenewLease(ctx, key, holder, time.Now().Add(leaseTTL)); err != nil || !ok {
					if ctx.Err() == nil && !lease.released.Load() {
						e.log.Warn("lease lost; stopping the work it guards", "lease", key, "err", err)
					}
					cancel()
					return
				}
			}
		}
	}()
	err = fn(ctx)
	cancel()
	<-done
	if lease.released.Load() {
		return true, err // given up with the work's last write
	}
	// Released with a fresh context: ctx may be the cancelled job's.
	rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer rcancel()
	if rerr := e.store.ReleaseLease(rctx, key, holder); rerr != nil {
		e.log.Warn("releasing lease", "lease", key, "err", rerr)
	}
	return true, err
}

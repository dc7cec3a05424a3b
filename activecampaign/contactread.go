package activecampaign

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/autocred/autocred"
)

// DefaultContactReadSpacing is the least time between two gathered contact
// reads of one Client (see Contact): at most one request a second of the
// account's five, however many runs are being issued.
const DefaultContactReadSpacing = time.Second

// contactReads gathers the single-contact reads of many goroutines into
// GET /contacts?ids[]= calls of up to 100 ids. One call is in flight at a
// time, and the next starts no sooner than spacing after the one before:
// while a call waits its turn (and the account's limiter), the reads that
// come in join it.
type contactReads struct {
	spacing time.Duration
	turn    chan struct{} // holds a token while a gathered call is in flight

	mu   sync.Mutex
	open *contactBatch // still taking ids; nil when none is
	last time.Time     // when the last gathered call started
}

// contactBatch is one GET /contacts?ids[]= call in the making.
type contactBatch struct {
	ids     []autocred.ContactID
	asked   map[autocred.ContactID]bool
	waiting int // readers that still want the answer
	ctx     context.Context
	cancel  context.CancelFunc
	done    chan struct{}
	found   map[autocred.ContactID]Contact
	err     error
}

// Contact reads one contact's details now. It matches ErrNotFound when the
// contact no longer exists.
//
// The reads of many callers at once (the issue jobs of a bulk retry) are
// gathered into calls of GET /contacts?ids[]=… (spec §2, "Other GET
// /api/3/contacts parameters"; 100 ids a call, the page-size limit): while
// one gathered call is in flight or waiting its turn, reads join the next.
// A lone read is sent at once. Gathered calls of one Client start at least
// Config.ContactReadSpacing apart, so that contact reads take at most that
// share of the account's budget, and go through its limiter like every
// request.
//
// The call runs for every reader that joined it: it ends early only when
// all of them have stopped waiting. Its context carries the values of the
// first reader's (such as a wait limit for Retry-After), not its end.
func (c *Client) Contact(ctx context.Context, id autocred.ContactID) (Contact, error) {
	r := &c.reads
	r.mu.Lock()
	b := r.open
	if b == nil || len(b.ids) >= contactsPerCall {
		bctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		b = &contactBatch{asked: map[autocred.ContactID]bool{}, ctx: bctx, cancel: cancel, done: make(chan struct{})}
		r.open = b
		go c.sendContactBatch(b)
	}
	if !b.asked[id] {
		b.asked[id] = true
		b.ids = append(b.ids, id)
	}
	b.waiting++
	r.mu.Unlock()

	select {
	case <-b.done:
	case <-ctx.Done():
		r.mu.Lock()
		b.waiting--
		if b.waiting == 0 {
			// Nobody wants the answer any more: the call ends, and
			// later readers start a batch of their own.
			b.cancel()
			if r.open == b {
				r.open = nil
			}
		}
		r.mu.Unlock()
		return Contact{}, ctx.Err()
	}
	if b.err != nil {
		return Contact{}, b.err
	}
	ct, ok := b.found[id]
	if !ok {
		return Contact{}, fmt.Errorf("activecampaign GET /contacts?ids: contact %s was not returned: %w", id, ErrNotFound)
	}
	return ct, nil
}

// sendContactBatch waits for b's turn, closes it to new ids and makes its
// call.
func (c *Client) sendContactBatch(b *contactBatch) {
	r := &c.reads
	defer close(b.done)
	defer b.cancel()
	select {
	case r.turn <- struct{}{}:
	case <-b.ctx.Done():
		b.closeTo(r)
		b.err = b.ctx.Err()
		return
	}
	defer func() { <-r.turn }()
	r.mu.Lock()
	wait := time.Until(r.last.Add(r.spacing))
	r.mu.Unlock()
	if wait > 0 {
		if err := c.sleep(b.ctx, wait); err != nil {
			b.closeTo(r)
			b.err = err
			return
		}
	}
	r.mu.Lock()
	r.last = time.Now()
	r.mu.Unlock()
	b.closeTo(r)
	b.found, b.err = c.Contacts(b.ctx, b.ids)
}

// closeTo stops b from taking more ids.
func (b *contactBatch) closeTo(r *contactReads) {
	r.mu.Lock()
	if r.open == b {
		r.open = nil
	}
	r.mu.Unlock()
}

package engine

import (
	"cmp"
	"context"
	"errors"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/activecampaign"
	"github.com/autocred/autocred/store"
)

// Hints. ActiveCampaign has no webhook for entering a segment, so autocred
// registers one for the changes that can move a contact in or out (tags,
// field updates, subscriptions), and takes each delivery as a hint: check
// that one contact against the watched segments now, instead of waiting for
// the next sync. The sync stays the source of truth: deliveries are never
// retried, and imports fire none.

// hintArgs checks one contact of one connection against its watched
// segments. Hints for a contact are debounced in the receiving process
// (hintDebouncer) before the job is enqueued; a job still waiting also
// absorbs later hints for its contact (uniqueness by args).
type hintArgs struct {
	ConnectionID int64              `json:"connection_id"`
	ContactID    autocred.ContactID `json:"contact_id"`
}

func (hintArgs) Kind() string { return "hint" }

func (hintArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: queueIssue, MaxAttempts: 5,
		UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: pendingStates}}
}

// Debouncing. One change can make a burst of deliveries (a tag and an
// update, say), and a contact that keeps changing makes a stream of them;
// each check costs a call. The first hint for a contact after a quiet
// spell is checked after hintSettle, which folds the deliveries of one
// change that arrive together into that check; hints that come after it is
// enqueued are held until hintDelay has passed since, and checked once
// then, which starts another such wait. So a change that makes one
// delivery, or a burst within hintSettle, costs one check, as it did when
// every hint waited hintDelay, without that second's wait; a contact is
// checked at most once per hintDelay after its first check, as before. A
// burst spread over more than hintSettle (and less than hintDelay) costs
// two checks where one used to do.
//
// The waits are spent in the process, not as scheduled jobs: River makes
// scheduled jobs available only every few seconds, which would multiply
// the delay users see.
const (
	hintSettle = 200 * time.Millisecond
	hintDelay  = time.Second
)

// storm: when more than stormHints arrive for one connection within
// stormWindow, checking contacts one by one would cost more calls than
// reading the segments; the hints are then folded into syncs.
const (
	stormHints  = 20
	stormWindow = 10 * time.Second
)

// hintDebouncer holds the hints being debounced (a window per contact),
// and counts recent hints per connection to fold a storm into syncs.
type hintDebouncer struct {
	mu      sync.Mutex
	times   map[int64][]time.Time
	folding map[int64]bool // a storm sync of the connection will be enqueued
	windows map[hintArgs]*hintWindow
	// settle and quiet replace hintSettle and hintDelay when set (tests).
	settle, quiet time.Duration
}

// hintWindow is one contact's debounce: its check is due (timer), and
// whether a hint came after the check was enqueued.
type hintWindow struct {
	timer   *time.Timer
	checked bool // the check that opened the window is enqueued
	again   bool // a hint came since: check again when the window closes
}

func (d *hintDebouncer) waits() (settle, quiet time.Duration) {
	return cmp.Or(d.settle, hintSettle), cmp.Or(d.quiet, hintDelay)
}

// takeLocked debounces a hint about one contact: check is called, from a
// timer, when the contact's check is due. It reports whether the hint was
// coalesced into a check already due. d.mu is held.
func (d *hintDebouncer) takeLocked(args hintArgs, check func(hintArgs)) (coalesced bool) {
	if d.windows == nil {
		d.windows = map[hintArgs]*hintWindow{}
	}
	if w, open := d.windows[args]; open {
		if w.checked {
			w.again = true
		}
		return true
	}
	settle, _ := d.waits()
	w := &hintWindow{}
	w.timer = time.AfterFunc(settle, func() { d.fire(args, w, check) })
	d.windows[args] = w
	return false
}

// fire ends a wait of a contact's window: its check is enqueued if one is
// due, and the window stays open for hintDelay after a check, closing when
// no hint came meanwhile.
func (d *hintDebouncer) fire(args hintArgs, w *hintWindow, check func(hintArgs)) {
	d.mu.Lock()
	if d.windows[args] != w { // flushed at shutdown
		d.mu.Unlock()
		return
	}
	if w.checked && !w.again {
		delete(d.windows, args)
		d.mu.Unlock()
		return
	}
	w.checked, w.again = true, false
	_, quiet := d.waits()
	w.timer = time.AfterFunc(quiet, func() { d.fire(args, w, check) })
	d.mu.Unlock()
	check(args)
}

// flush stops every window and returns the contacts with a check due. A
// timer that has fired but waits for d.mu finds its window gone and does
// nothing: its check is among those returned.
func (d *hintDebouncer) flush() []hintArgs {
	d.mu.Lock()
	defer d.mu.Unlock()
	var due []hintArgs
	for args, w := range d.windows {
		w.timer.Stop()
		if !w.checked || w.again {
			due = append(due, args)
		}
	}
	clear(d.windows)
	return due
}

// Hint takes a webhook delivery about a contact. It only enqueues (and, at
// most once a second per connection, records that the webhook delivers):
// the receiver must answer fast. It reports whether the hint was folded into a
// sync because hints are piling up.
func (e *Engine) Hint(ctx context.Context, connID int64, contactID autocred.ContactID) (folded bool, err error) {
	now := time.Now()
	e.noteDelivery(ctx, connID, now) // the webhook works (silence.go)
	e.hints.mu.Lock()
	if e.hints.times == nil {
		e.hints.times, e.hints.folding = map[int64][]time.Time{}, map[int64]bool{}
	}
	recent := e.hints.times[connID]
	i := 0
	for i < len(recent) && now.Sub(recent[i]) > stormWindow {
		i++
	}
	recent = append(recent[i:], now)
	e.hints.times[connID] = recent
	if len(recent) > stormHints {
		// Folded into a sync of the connection's segments, enqueued after
		// hintDelay: the job is created after this hint arrived, and a sync
		// job is skipped only when a sync started after it was created, so
		// the sync that serves it reads the segment after this change.
		if !e.hints.folding[connID] {
			e.hints.folding[connID] = true
			time.AfterFunc(hintDelay, func() { e.foldedSync(connID) })
		}
		e.hints.mu.Unlock()
		e.metrics.Hints.WithLabelValues("folded").Inc()
		return true, nil
	}
	coalesced := e.hints.takeLocked(hintArgs{ConnectionID: connID, ContactID: contactID}, e.enqueueHint)
	e.hints.mu.Unlock()
	if coalesced {
		e.metrics.Hints.WithLabelValues("coalesced").Inc()
	} else {
		e.metrics.Hints.WithLabelValues("queued").Inc()
	}
	return false, nil
}

// foldedSync enqueues the sync that a storm of hints was folded into.
func (e *Engine) foldedSync(connID int64) {
	e.hints.mu.Lock()
	delete(e.hints.folding, connID)
	e.hints.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.syncConnection(ctx, connID); err != nil {
		e.log.Warn("enqueueing the sync of a hint storm", "connection", connID, "err", err)
	}
}

// enqueueHint ends a hint's debounce: its check becomes a job.
func (e *Engine) enqueueHint(args hintArgs) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := e.river.Insert(ctx, args, nil); err != nil {
		// Lost like an undelivered webhook: the next sync finds the entry.
		e.log.Warn("enqueueing hint", "connection", args.ConnectionID, "contact", args.ContactID, "err", err)
	}
}

// flushHints enqueues the hints still being debounced, at shutdown.
func (e *Engine) flushHints() {
	for _, args := range e.hints.flush() {
		e.enqueueHint(args)
	}
}

// syncConnection enqueues a sync of every segment watched on a connection.
func (e *Engine) syncConnection(ctx context.Context, connID int64) error {
	autos, err := e.store.Automations(ctx, store.AutomationFilter{Statuses: []autocred.AutomationStatus{autocred.AutomationActive}, ConnectionID: connID})
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	var segments []autocred.Trigger
	for _, a := range autos {
		if !seen[a.Trigger.SegmentID] {
			seen[a.Trigger.SegmentID] = true
			segments = append(segments, autocred.Trigger{ConnectionID: connID, SegmentID: a.Trigger.SegmentID})
		}
	}
	return e.store.EnqueueSyncs(ctx, segments...)
}

type hintWorker struct {
	river.WorkerDefaults[hintArgs]
	e *Engine
}

func (w *hintWorker) Work(ctx context.Context, job *river.Job[hintArgs]) error {
	err := w.e.checkContact(w.e.waitLimited(ctx), job.Args.ConnectionID, job.Args.ContactID)
	if te, ok := throttled(err); ok {
		// Rate limited for longer than a job should wait in its worker:
		// checked again when ActiveCampaign lets requests through, not
		// as a failed attempt. Later hints for the contact join it.
		w.e.log.Info("hint check waits for ActiveCampaign's rate limit", "connection", job.Args.ConnectionID, "contact", job.Args.ContactID, "err", err)
		return river.JobSnooze(snoozeFor(te))
	}
	return err
}

// checkContact asks ActiveCampaign whether one contact is in each segment
// watched on a connection, and applies the answer through the same ledger
// path as a sync: an entry makes a run (once: store.RecordEntries skips a contact
// already in), and an "out" from the single-contact check marks a contact
// who was in as left.
func (e *Engine) checkContact(ctx context.Context, connID int64, contactID autocred.ContactID) error {
	autos, err := e.store.Automations(ctx, store.AutomationFilter{Statuses: []autocred.AutomationStatus{autocred.AutomationActive}, ConnectionID: connID})
	if err != nil || len(autos) == 0 {
		return err
	}
	ac, err := e.clients.ActiveCampaign(ctx, e.store, connID)
	if err != nil {
		return err
	}
	// The checks' answers hold from before the first was asked: a contact
	// marked as left since (by a sync) is no entry of theirs.
	checked := time.Now()
	member := map[string]bool{} // by segment: each is checked once
	synced := map[string]bool{} // segments that cannot be checked one contact at a time
	entered := map[int64][]autocred.ContactID{}
	for _, a := range autos {
		if synced[a.Trigger.SegmentID] {
			continue
		}
		in, checked := member[a.Trigger.SegmentID]
		if !checked {
			if in, err = ac.IsMember(ctx, a.Trigger.SegmentID, contactID); err != nil {
				if hintNeedsSync(err) {
					synced[a.Trigger.SegmentID] = true
					if err := e.syncInsteadOfHint(ctx, connID, a.Trigger.SegmentID); err != nil {
						return err
					}
					continue
				}
				return e.hintFailed(ctx, connID, autos, err)
			}
			member[a.Trigger.SegmentID] = in
		}
		m, err := e.store.Membership(ctx, a.ID, contactID)
		if err != nil {
			return err
		}
		switch {
		case in && !m.InSegment:
			entered[a.ID] = []autocred.ContactID{contactID}
		case !in && m.InSegment:
			left, err := e.store.MarkLeft(ctx, a.ID, contactID, time.Now())
			if err != nil {
				return err
			}
			if left {
				e.metrics.Exits.Inc()
			}
		}
	}
	if len(entered) == 0 {
		return nil
	}
	e.log.Debug("hint found an entry", "connection", connID, "contact", contactID.String(), "automations", len(entered))
	if err := e.enter(ctx, ac, autos, entered, checked, nil); err != nil {
		return e.hintFailed(ctx, connID, autos, err)
	}
	return nil
}

// hintFailed decides what a failed hint check means. A refused key breaks
// the connection as a sync would. A missing permission drops the hint: it
// is only a shortcut, the automation's next sync meets the same refusal
// and says which permission is missing, and retrying the hint in between
// would spend the account's budget on an answer that will not change until
// a user grants the permission. Anything else is retried.
func (e *Engine) hintFailed(ctx context.Context, connID int64, autos []autocred.Automation, err error) error {
	switch {
	case errors.Is(err, activecampaign.ErrAuth):
		return e.watchFailed(ctx, connID, autos, err)
	case errors.Is(err, activecampaign.ErrForbidden):
		e.log.Warn("hint dropped: the API key's user lacks a permission; the next sync checks again", "connection", connID, "err", err)
		return nil
	}
	return err
}

package engine

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/store"
)

// Reading an account's segments within its budget. ActiveCampaign allows
// an account 5 requests a second; autocred takes --ac-rate of them (4 by
// default). Every sync reads the whole segment, one request per 10,000
// members, so an account whose watched segments are big enough needs more
// requests per interval than its budget allows: five segments of a
// million members read every minute take 500 requests a minute, against
// 240 at 4 a second.
//
// Such an account cannot be read at its interval, whatever the engine
// does. Left alone, its syncs would queue for its budget, each one late,
// and take its slots (fair.go) for longer and longer. Instead, the sync
// stretches the interval of that account's segments to what its budget
// allows, so that each read starts when it is due, and says so on the
// automations, in numbers, with what brings the interval back. Other
// accounts are not concerned: each has its own budget and its own share
// of the workers.
//
// What a read costs is counted (the requests it sent) and remembered per
// segment in this process; in a cluster each node reckons with the reads
// it made itself, which every few intervals is most of an account's
// segments.

// readShare is the part of an account's budget that periodic reads may
// plan on; the rest is kept for the details of entering contacts, the
// single-contact checks of absences, and webhook hints.
const readShare = 0.75

// readCost is what reading one segment cost last, how often it is due
// (every: its interval, what the budget is asked for), and how long until
// it was read again after that read (next: the interval as the budget
// stretched it then).
type readCost struct {
	requests int
	every    time.Duration
	next     time.Duration
	at       time.Time
}

// stale tells whether a segment's cost is too old to count at now: it has
// not been read here for three of its intervals and ten minutes more
// (read by the cluster's other nodes, or no longer watched). An interval
// stretched by the budget counts as such: a segment read every 20 minutes
// because its account cannot afford every minute is still read, and
// forgetting it between two reads would lift the stretch its cost is the
// cause of.
func (c readCost) stale(now time.Time) bool {
	return now.Sub(c.at) > 3*max(c.every, c.next)+10*time.Minute
}

// sweepEvery is how often note forgets the costs of every account that
// are stale: those of an account no longer read (its connection deleted,
// its automations paused) are never met by its own load again.
const sweepEvery = 10 * time.Minute

// readBudget remembers, per ActiveCampaign connection, the cost of reading
// each watched segment.
type readBudget struct {
	perSecond float64 // the account's budget; 0: unlimited

	mu    sync.Mutex
	costs map[int64]map[string]readCost
	swept time.Time // when note last forgot every stale cost
}

func newReadBudget(perSecond float64) *readBudget {
	return &readBudget{perSecond: perSecond, costs: map[int64]map[string]readCost{}}
}

// note records what a read of a segment cost (at c.at), and every
// sweepEvery forgets the stale costs of every account.
func (b *readBudget) note(connID int64, segmentID string, c readCost) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if c.at.Sub(b.swept) > sweepEvery {
		b.swept = c.at
		for conn := range b.costs {
			b.forgetStaleLocked(conn, c.at)
		}
	}
	if b.costs[connID] == nil {
		b.costs[connID] = map[string]readCost{}
	}
	b.costs[connID][segmentID] = c
}

// forgetStaleLocked forgets an account's stale costs, and the account
// when none is left. b.mu is held.
func (b *readBudget) forgetStaleLocked(connID int64, now time.Time) {
	for segment, c := range b.costs[connID] {
		if c.stale(now) {
			delete(b.costs[connID], segment)
		}
	}
	if len(b.costs[connID]) == 0 {
		delete(b.costs, connID)
	}
}

// readLoad is what reading an account's watched segments at their
// intervals asks of its budget.
type readLoad struct {
	segments  int
	perMinute float64 // requests a minute the reads need
	allowed   float64 // requests a minute they may have
}

// stretch is how much longer than its interval each segment must wait
// between reads for the reads to fit the budget: 1 when they fit.
func (l readLoad) stretch() float64 {
	if l.allowed <= 0 || l.perMinute <= l.allowed {
		return 1
	}
	return l.perMinute / l.allowed
}

// load sums what the connection's segments read lately cost a minute.
// Only the segments still watched count (watched): one whose automations
// were paused, archived or moved to another segment is forgotten at once,
// so that doing what the notice advises (fewer segments) brings the
// interval back at the next read. A segment not read for a while is
// forgotten too (stale).
func (b *readBudget) load(connID int64, now time.Time, watched map[string]bool) readLoad {
	if b.perSecond <= 0 {
		return readLoad{}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.forgetStaleLocked(connID, now)
	l := readLoad{allowed: b.perSecond * 60 * readShare}
	for segment, c := range b.costs[connID] {
		if !watched[segment] {
			delete(b.costs[connID], segment)
			continue
		}
		l.segments++
		l.perMinute += float64(c.requests) * float64(time.Minute) / float64(c.every)
	}
	return l
}

// watchedSegments are the segments that the automations watching a
// connection's segments (active or taking their baseline) watch.
func (e *Engine) watchedSegments(ctx context.Context, connID int64) (map[string]bool, error) {
	autos, err := e.store.Automations(ctx, store.AutomationFilter{
		Statuses: []autocred.AutomationStatus{autocred.AutomationBaselining, autocred.AutomationActive}, ConnectionID: connID})
	if err != nil {
		return nil, fmt.Errorf("listing the segments watched on connection %d: %w", connID, err)
	}
	watched := make(map[string]bool, len(autos))
	for _, a := range autos {
		watched[a.Trigger.SegmentID] = true
	}
	return watched, nil
}

// budgetNotice tells the users of an account's automations, when its
// segments cannot all be read at their interval, how often they are read
// instead and why; "" when they can.
func budgetNotice(l readLoad, every time.Duration) string {
	f := l.stretch()
	if f <= 1 {
		return ""
	}
	return fmt.Sprintf("Reading the %d segments watched on this ActiveCampaign account %s takes about %s requests a minute; "+
		"autocred may spend %s a minute of the account's budget on reading segments (the rest is kept for new contacts' details). "+
		"So this segment is read %s, and new contacts are found that much later. Fewer or smaller segments on this account, "+
		"or a longer interval, bring it back.",
		l.segments, everyWords(every), autocred.Thousands(int(math.Round(l.perMinute))), autocred.Thousands(int(l.allowed)),
		everyWords(stretched(every, f)))
}

// stretched is an interval made f times longer, to the second.
func stretched(every time.Duration, f float64) time.Duration {
	return time.Duration(float64(every) * f).Round(time.Second)
}

// everyWords says how often: "every minute", "every 90 seconds", "about
// every 3.5 minutes".
func everyWords(d time.Duration) string {
	switch {
	case d == time.Second:
		return "every second"
	case d == time.Minute:
		return "every minute"
	case d == time.Hour:
		return "every hour"
	case d < 2*time.Minute:
		return fmt.Sprintf("every %d seconds", int(d.Round(time.Second)/time.Second))
	case d < 2*time.Hour:
		return "about every " + trimZero(fmt.Sprintf("%.1f", d.Minutes())) + " minutes"
	}
	return "about every " + trimZero(fmt.Sprintf("%.1f", d.Hours())) + " hours"
}

// trimZero drops a ".0".
func trimZero(s string) string {
	if len(s) > 2 && s[len(s)-2:] == ".0" {
		return s[:len(s)-2]
	}
	return s
}

package engine

import (
	"strings"
	"testing"
	"time"
)

// An account's segments are read at their interval while their reads fit
// in three quarters of its budget, and less often, in proportion, when
// they do not; a segment not read for a while no longer counts.
func TestReadBudgetStretchesTheIntervalToTheBudget(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct {
		name      string
		perSecond float64
		costs     map[string]readCost
		stretch   float64
		notice    string // part of the notice; "" for none
	}{
		{name: "no limit", perSecond: 0, costs: map[string]readCost{"a": {requests: 1000, every: time.Minute, at: now}}, stretch: 1},
		{name: "small segments fit", perSecond: 4, costs: map[string]readCost{
			"a": {requests: 2, every: time.Minute, at: now}, "b": {requests: 1, every: time.Minute, at: now}}, stretch: 1},
		// Five segments of a million members every minute: 500 requests a
		// minute, against 180 (4 a second, three quarters for reads).
		{name: "five segments of a million", perSecond: 4, costs: map[string]readCost{
			"a": {requests: 100, every: time.Minute, at: now}, "b": {requests: 100, every: time.Minute, at: now},
			"c": {requests: 100, every: time.Minute, at: now}, "d": {requests: 100, every: time.Minute, at: now},
			"e": {requests: 100, every: time.Minute, at: now}},
			stretch: 500.0 / 180,
			notice:  "Reading the 5 segments watched on this ActiveCampaign account every minute takes about 500 requests a minute; autocred may spend 180 a minute",
		},
		{name: "a longer interval costs less", perSecond: 4, costs: map[string]readCost{
			"a": {requests: 100, every: 10 * time.Minute, at: now}}, stretch: 1},
		{name: "a segment not read for long is forgotten", perSecond: 4, costs: map[string]readCost{
			"a": {requests: 1000, every: time.Minute, at: now.Add(-time.Hour)}}, stretch: 1},
		// Read every 20 minutes (3,600 requests a minute asked, 180
		// allowed), last read 15 minutes ago: still read, still counted.
		// Forgotten, the next read would come every minute again.
		{name: "a segment read at its stretched interval still counts", perSecond: 4, costs: map[string]readCost{
			"a": {requests: 3600, every: time.Minute, next: 20 * time.Minute, at: now.Add(-15 * time.Minute)}}, stretch: 20,
			notice: "this segment is read about every 20 minutes"},
		{name: "a segment not read for three stretched intervals is forgotten", perSecond: 4, costs: map[string]readCost{
			"a": {requests: 3600, every: time.Minute, next: 20 * time.Minute, at: now.Add(-71 * time.Minute)}}, stretch: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newReadBudget(tc.perSecond)
			for seg, c := range tc.costs {
				b.note(7, seg, c)
			}
			watched := map[string]bool{}
			for seg := range tc.costs {
				watched[seg] = true
			}
			l := b.load(7, now, watched)
			if got := l.stretch(); got < tc.stretch-0.001 || got > tc.stretch+0.001 {
				t.Errorf("stretch %.3f, want %.3f (load %+v)", got, tc.stretch, l)
			}
			notice := budgetNotice(l, time.Minute)
			if tc.notice == "" && notice != "" || !strings.Contains(notice, tc.notice) {
				t.Errorf("notice %q, want it to hold %q", notice, tc.notice)
			}
			if other := b.load(8, now, watched); other.stretch() != 1 {
				t.Errorf("another account's load %+v: its own segments only", other)
			}
		})
	}
}

// A segment no longer watched (its automations paused, archived or moved
// to another segment) no longer counts against its account's budget from
// the next read on: what the notice advises (fewer segments) brings the
// interval back at once, not once the segment's last read is old.
func TestReadBudgetCountsOnlyTheSegmentsStillWatched(t *testing.T) {
	now := time.Now()
	b := newReadBudget(4)
	for _, seg := range []string{"a", "b", "c", "d", "e"} { // 500 requests a minute, against 180
		b.note(7, seg, readCost{requests: 100, every: time.Minute, next: 3 * time.Minute, at: now.Add(-time.Minute)})
	}
	if l := b.load(7, now, map[string]bool{"a": true, "b": true, "c": true, "d": true, "e": true}); l.stretch() <= 1 {
		t.Fatalf("five segments of a million: stretch %.2f, want more than 1", l.stretch())
	}
	l := b.load(7, now, map[string]bool{"a": true})
	if l.stretch() != 1 || l.segments != 1 {
		t.Errorf("after four of the five were paused: stretch %.2f over %d segments, want 1 over 1", l.stretch(), l.segments)
	}
	if notice := budgetNotice(l, time.Minute); notice != "" {
		t.Errorf("notice %q after four of the five were paused, want none", notice)
	}
}

// What the reads of an account no longer read cost is forgotten, not
// kept for the life of the process: a deleted connection, or one whose
// automations are all paused, is never met by its own load again.
func TestReadBudgetForgetsAccountsNoLongerRead(t *testing.T) {
	for _, perSecond := range []float64{0, 4} {
		b := newReadBudget(perSecond)
		start := time.Now()
		for conn := range int64(100) {
			b.note(conn, "seg", readCost{requests: 1, every: time.Minute, next: time.Minute, at: start})
		}
		// An hour on, only account 100 is read.
		for m := range 60 {
			b.note(100, "seg", readCost{requests: 1, every: time.Minute, next: time.Minute, at: start.Add(time.Duration(m+1) * time.Minute)})
		}
		b.mu.Lock()
		kept := len(b.costs)
		b.mu.Unlock()
		if kept != 1 {
			t.Errorf("budget %v: the costs of %d accounts are kept, want 1 (the one still read)", perSecond, kept)
		}
	}
}

func TestEveryWords(t *testing.T) {
	for d, want := range map[time.Duration]string{
		time.Second:                    "every second",
		90 * time.Second:               "every 90 seconds",
		time.Minute:                    "every minute",
		167 * time.Second:              "about every 2.8 minutes",
		3*time.Minute + 30*time.Second: "about every 3.5 minutes",
		10 * time.Minute:               "about every 10 minutes",
		time.Hour:                      "every hour",
		3 * time.Hour:                  "about every 3 hours",
	} {
		if got := everyWords(d); got != want {
			t.Errorf("everyWords(%s) = %q, want %q", d, got, want)
		}
	}
}

// A process runs at most the limit of syncs of one account at once; the
// other accounts are not counted against it.
func TestAccountSlots(t *testing.T) {
	s := newAccountSlots(2)
	for i := range 2 {
		if !s.take(1) {
			t.Fatalf("sync %d of account 1 was refused", i+1)
		}
	}
	if s.take(1) {
		t.Error("a third sync of account 1 ran beside two")
	}
	if !s.take(2) {
		t.Error("account 2's sync waited for account 1's")
	}
	s.give(1)
	if !s.take(1) {
		t.Error("account 1's slot was not given back")
	}
}

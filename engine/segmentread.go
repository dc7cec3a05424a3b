package engine

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/activecampaign"
)

// Two ways of reading a segment. The client picks the way (segment
// matching, or contacts?segmentid when segment matching refuses the segment
// or its runs keep failing) and remembers it per segment; the sync tells
// the automations which way their segment is read, and sends a hint that
// cannot be checked one contact at a time to a sync of the segment. What a
// snapshot proves (who entered, who left) is decided the same way whatever
// way it was read.

// readSegment takes a snapshot of a segment, the way the client picks.
// listed, when not nil, is given each page of a segment-match run as it is
// read (pageentries.go).
func (e *Engine) readSegment(ctx context.Context, ac *activecampaign.Client, segmentID string,
	progress activecampaign.ReportRead, listed activecampaign.MembersListed) (activecampaign.Snapshot, error) {
	snap, err := ac.Snapshot(ctx, segmentID, progress, listed)
	if err == nil && snap.Via.Notice() != "" {
		e.log.Warn("segment read through the fallback way", "segment", segmentID, "way", string(snap.Via.Way), "why", snap.Via.Fallback)
	}
	return snap, err
}

// tellHowRead records, on the automations watching a segment just read,
// what their users should know about how it is read: the notice of the
// slower fallback way, and that of an account whose budget stretches the
// interval (budget.go); "" when neither applies.
func (e *Engine) tellHowRead(ctx context.Context, autos []autocred.Automation, via activecampaign.Via, budget string) error {
	notice := strings.TrimSpace(via.Notice() + " " + budget)
	if !slices.ContainsFunc(autos, func(a autocred.Automation) bool { return a.SyncNotice != notice }) {
		return nil // as the automations say already (read at the sync's start): no write
	}
	ids := make([]int64, len(autos))
	for i, a := range autos {
		ids[i] = a.ID
	}
	return e.store.SetSyncNotice(ctx, ids, notice)
}

// hintNeedsSync tells whether a single-contact check failed because
// segment matching refuses the segment: the contact can then only be found
// by reading the whole segment, the other way.
func hintNeedsSync(err error) bool {
	return errors.Is(err, activecampaign.ErrMatchUnavailable)
}

// syncInsteadOfHint enqueues a sync of a segment whose single-contact
// check was refused. The sync reads the segment through contacts?segmentid
// and finds the entry; syncs of one segment collapse, so a burst of such
// hints costs one read.
func (e *Engine) syncInsteadOfHint(ctx context.Context, connID int64, segmentID string) error {
	e.metrics.Hints.WithLabelValues("folded").Inc()
	return e.store.EnqueueSyncs(ctx, autocred.Trigger{ConnectionID: connID, SegmentID: segmentID})
}

package engine

import (
	"context"
	"errors"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/activecampaign"
)

// Two ways of reading a segment. The client picks the way (segment
// matching, or contacts?segmentid when segment matching refuses the segment
// or its runs keep failing) and remembers it per segment; the engine tells
// the automations which way their segment is read, and sends a hint that
// cannot be checked one contact at a time to a sync of the segment. What a
// snapshot proves (who entered, who left) is decided the same way whatever
// way it was read.

// readSegment takes a snapshot of a segment and records, on the
// automations watching it, what their users should know about the way it
// was read: the notice when it was read the slower fallback way, nothing
// otherwise. A failed read leaves the notice as it was. listed, when not
// nil, is given each page of a segment-match run as it is read
// (pageentries.go).
func (e *Engine) readSegment(ctx context.Context, ac *activecampaign.Client, autos []autocred.Automation, segmentID string,
	progress activecampaign.ReportRead, listed activecampaign.MembersListed) (activecampaign.Snapshot, error) {
	snap, err := ac.Snapshot(ctx, segmentID, progress, listed)
	if err != nil {
		return snap, err
	}
	notice := snap.Via.Notice()
	if notice != "" {
		e.log.Warn("segment read through the fallback way", "segment", segmentID, "way", string(snap.Via.Way), "why", snap.Via.Fallback)
	}
	ids := make([]int64, len(autos))
	for i, a := range autos {
		ids[i] = a.ID
	}
	if err := e.store.SetSyncNotice(ctx, ids, notice); err != nil {
		return snap, err
	}
	return snap, nil
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

package autocred

import (
	"slices"
	"time"
)

// Membership is the ledger row of one contact for one automation. The ledger
// is kept forever: pruning run history must not forget who is in, or the next
// sync would take them for new entries.
type Membership struct {
	AutomationID int64
	ContactID    ContactID
	InSegment    bool
	Entries      int // how many times the contact entered; the runs' entry numbers
	// MissedSnapshot is the sequence number of the last complete snapshot
	// that did not contain this in-segment contact, or 0.
	MissedSnapshot int64
	FirstSeen      time.Time
	LastEntered    time.Time
	LastLeft       time.Time
}

// Diff compares the contacts the ledger has in the segment with a complete
// snapshot of it. Both must be sorted ascending. Entered are in the snapshot
// but not in the ledger: each is a new entry. Missing are in the ledger but
// not the snapshot: absent, but not yet known to have left. A contact has
// left when it is missing from two consecutive complete snapshots and a
// single-contact check says it is out (the engine verifies, the store
// records): a segment evaluation can lag a change by a moment, and a
// complete-looking answer can be wrong, and marking someone left who is
// still in would issue them a second credential on the next sync.
func Diff(in, snapshot []ContactID) (entered, missing []ContactID) {
	i, j := 0, 0
	for i < len(in) || j < len(snapshot) {
		switch {
		case j == len(snapshot) || (i < len(in) && in[i] < snapshot[j]):
			missing = append(missing, in[i])
			i++
		case i == len(in) || snapshot[j] < in[i]:
			entered = append(entered, snapshot[j])
			j++
		default:
			i++
			j++
		}
	}
	return entered, missing
}

// SortIDs sorts and de-duplicates ids in place, for Diff.
func SortIDs(ids []ContactID) []ContactID {
	slices.Sort(ids)
	return slices.Compact(ids)
}

package activecampaign

import (
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// Way names one of the two ways of reading a segment's members.
type Way string

const (
	// WayMatch is the segment-match API (segmentMatchAll runs): one fixed
	// snapshot per run, 10,000 ids per call. Preferred for every id form.
	WayMatch Way = "segment-match"
	// WayContacts is GET /contacts?segmentid: 100 contacts per call, and a
	// cached evaluation that may have to be waited for (spec §2d).
	WayContacts Way = "contacts?segmentid"
)

// Via says how a snapshot was read.
type Via struct {
	Way Way
	// Fallback is why the preferred way, segment matching, was not used
	// ("" when it was), in words for a user.
	Fallback string
	// Refused: segment matching refused the segment itself, so checking
	// one contact (IsMember) is refused too.
	Refused bool
}

// Notice is what a user should be told about the way a segment is read,
// or "" when there is nothing to say.
func (v Via) Notice() string {
	if v.Fallback == "" {
		return ""
	}
	n := v.Fallback + "; autocred reads it through contacts?segmentid instead (slower) and tries segment matching again from time to time."
	if v.Refused {
		n += " Meanwhile contacts cannot be checked one by one, so autocred cannot confirm that anyone left the segment and marks " +
			"nobody as left: a contact who leaves and comes back gets no new credential until segment matching accepts this segment again."
	}
	return n
}

// ErrMatchUnavailable matches (with errors.Is) an answer of the
// segment-match API that refuses a segment: 400, 403, 404 or 422 for the
// segment id, or a segment remembered as refused. A single-contact check
// that fails so cannot be made; read the whole segment instead (Snapshot
// falls back to contacts?segmentid).
var ErrMatchUnavailable = errors.New("activecampaign: the segment-match API refused this segment")

// errRunsFailing means every segment-match run of a snapshot failed or
// expired: segment matching is not working for the segment.
var errRunsFailing = errors.New("segment-match runs keep failing")

// errContactsRefused means contacts?segmentid refused the segment id.
var errContactsRefused = errors.New("contacts?segmentid refused this segment id")

// refusal tells whether an answer refuses a segment id itself (as opposed
// to a failure worth retrying the same way): 400, 403, 404 or 422.
func refusal(err error) bool {
	var apiErr *Error
	if !errors.As(err, &apiErr) {
		return false
	}
	switch apiErr.Status {
	case http.StatusBadRequest, http.StatusForbidden, http.StatusNotFound, http.StatusUnprocessableEntity:
		return true
	}
	return false
}

// defaultRetryPreferred is how long a segment is read the fallback way
// before segment matching is tried again.
const defaultRetryPreferred = time.Hour

// fallbacks remembers, per segment, that segment matching did not work and
// the other way did, until it is time to try segment matching again. It
// lives in the Client: each process learns on its own, at the cost of one
// refused call (or one round of failing runs) per process per period.
type fallbacks struct {
	mu    sync.Mutex
	bySeg map[string]fallback
}

type fallback struct {
	reason  string    // Via.Fallback
	refused bool      // segment matching refused the id (not just failing runs)
	until   time.Time // try segment matching again after this
}

// current returns the remembered fallback of a segment, if it is still due.
func (f *fallbacks) current(segmentID string, now time.Time) (fallback, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fb, ok := f.bySeg[segmentID]
	return fb, ok && now.Before(fb.until)
}

func (f *fallbacks) remember(segmentID string, fb fallback) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.bySeg == nil {
		f.bySeg = map[string]fallback{}
	}
	f.bySeg[segmentID] = fb
}

func (f *fallbacks) forget(segmentID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.bySeg, segmentID)
}

// fallbackReason says in words why segment matching was given up on.
func fallbackReason(err error) (reason string, refused bool) {
	var apiErr *Error
	if errors.As(err, &apiErr) {
		return fmt.Sprintf("ActiveCampaign's segment-match API refused this segment (%d %s: %s)",
			apiErr.Status, http.StatusText(apiErr.Status), apiErr.Message), true
	}
	return "ActiveCampaign's segment-match runs for this segment kept failing", false
}

package activecampaign

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/autocred/autocred"
)

// Snapshot is the complete membership of a segment at one moment.
type Snapshot struct {
	SegmentID string
	// IDs are the members' contact ids, ascending, without duplicates.
	IDs []autocred.ContactID
	// RunID names the evaluation the ids come from (a segment-match run,
	// or the legacy cache id).
	RunID string
	// Unconfirmed marks an empty legacy result: contacts?segmentid answers
	// the same while it is still evaluating and when nobody matches, so an
	// empty answer must not be taken as "everyone left".
	Unconfirmed bool
	// Via says which way the segment was read, and why not segment
	// matching when it was not (Via.Notice is for the automation's page).
	Via Via
}

// ReportRead is called as a segment's members are read, with how many have
// been read of how many ActiveCampaign said there are. (The progress that
// autocred shows is autocred.Progress; this is only the reading's.)
type ReportRead func(read, total int)

// MembersListed is called with the member ids of each page of a
// segment-match run as the page is read, once it is known to belong to the
// run (the same run id and total as the run's first answer). A run is one
// fixed evaluation: every id on any of its pages was a member when the run
// started, whatever the later pages turn out to be, so a caller may act on
// the members listed before the read is complete. What it must not do is
// take anyone's absence from a page: only the complete snapshot, and the
// caller's own checks of it, can say who is not a member. ids belong to
// the client: read them, do not keep them. An error stops the read and is
// returned by Snapshot. A run replaced by another (failed or expired while
// being read) lists its members again from its first page. Reads through
// contacts?segmentid never call it: their pages are a cached result paged
// by offset, not one fixed run, and are taken only whole.
type MembersListed func(ids []autocred.ContactID) error

// ErrIncomplete means a complete snapshot could not be taken. The caller
// must act as if no snapshot was taken at all: a half-read segment must
// never look like "these contacts left".
var ErrIncomplete = errors.New("activecampaign: segment snapshot incomplete")

// errRunGone means a run failed or expired while being read: start another.
var errRunGone = errors.New("segment match run failed or expired")

// matchPageSize is the largest page the segment-match API serves.
const matchPageSize = 10000

// matchSort is the order autocred asks segment-match runs for: the most
// recently updated contacts first. A contact enters a segment because
// something about it changed (a tag, a field, a subscription) or because
// it is new, and either moves its udate (ActiveCampaign's "date updated"),
// so a run's first pages hold the contacts that just entered and a sync
// can take them (MembersListed) before it has read the rest, which is
// mostly members who were there before. A member that entered without a
// change of its own (a segment on dates) is found on a later page: the
// order changes only how soon an entry is seen, never whether. The same
// sort is asked on every call that names the run: a different one starts
// a new run ("asking for a different sort breaks the cache", spec §2c).
const matchSort = "-udate"

// Snapshot reads the complete membership of a segment, with either id
// form (UUID or numeric). It prefers the segment-match API (one fixed
// snapshot per run, 10,000 ids per call) and reads through
// contacts?segmentid when segment matching refuses the segment (400, 403,
// 404 or 422) or its runs fail MaxRunAttempts times in a row. A segment
// read the fallback way is remembered and read that way, first, for
// RetryPreferredAfter; then segment matching is tried again. Either way
// the snapshot is only what ActiveCampaign answered: whether a
// complete-looking answer is believed is the caller's rule, the same for
// both ways. Snapshot.Via says which way was used, and why.
//
// listed, when not nil, is given each page of a segment-match run as it is
// read (see MembersListed).
//
// When both ways fail, the error wraps both answers.
func (c *Client) Snapshot(ctx context.Context, segmentID string, progress ReportRead, listed MembersListed) (Snapshot, error) {
	if fb, ok := c.ways.current(segmentID, time.Now()); ok {
		snap, err := c.LegacySnapshot(ctx, segmentID, progress)
		if err == nil {
			snap.Via.Fallback, snap.Via.Refused = fb.reason, fb.refused
			return snap, nil
		}
		if !errors.Is(err, errContactsRefused) {
			return Snapshot{}, err
		}
		// The fallback stopped working: back to the preferred way.
		c.ways.forget(segmentID)
	}
	snap, err := c.MatchSnapshot(ctx, segmentID, progress, listed)
	if err == nil || !errors.Is(err, ErrMatchUnavailable) && !errors.Is(err, errRunsFailing) {
		return snap, err
	}
	reason, refused := fallbackReason(err)
	legacy, lerr := c.LegacySnapshot(ctx, segmentID, progress)
	if lerr != nil {
		return Snapshot{}, fmt.Errorf("neither way of reading segment %s works: %w; and through contacts?segmentid: %w", segmentID, err, lerr)
	}
	c.ways.remember(segmentID, fallback{reason: reason, refused: refused, until: time.Now().Add(c.retryPreferred)})
	legacy.Via.Fallback, legacy.Via.Refused = reason, refused
	return legacy, nil
}

// matchRun is the attributes of a segment-match answer.
type matchRun struct {
	RunID    string               `json:"run_id"`
	RunIDEnd *string              `json:"run_id_end"`
	IsReady  bool                 `json:"is_ready"`
	Matches  []autocred.ContactID `json:"matches"`
	Page     struct {
		CurrentPage count `json:"current_page"`
		LastPage    count `json:"last_page"`
		PerPage     count `json:"per_page"`
		Total       count `json:"total"`
	} `json:"page"`
}

// failed: "if is_ready is false and run_id_end is set, the run has failed".
func (r matchRun) failed() bool { return !r.IsReady && r.RunIDEnd != nil && *r.RunIDEnd != "" }

// MatchSnapshot reads a segment through one segment-match run, in
// matchSort's order: start it, poll until it is ready, then read its pages
// with segmentMatchSome, which never starts a new run. A run that fails or
// expires is replaced by a new one, up to MaxRunAttempts. listed, when not
// nil, is given each page as it is read.
func (c *Client) MatchSnapshot(ctx context.Context, segmentID string, progress ReportRead, listed MembersListed) (Snapshot, error) {
	var lastErr error
	for attempt := 1; attempt <= c.runs; attempt++ {
		run, err := c.matchCall(ctx, "GET /segmentMatchAll", "/segmentMatchAll/"+url.PathEscape(segmentID), 1, matchPageSize, matchSort)
		if err != nil {
			if refusal(err) {
				return Snapshot{}, fmt.Errorf("%w: %w", ErrMatchUnavailable, err)
			}
			return Snapshot{}, err
		}
		ids, err := c.readRun(ctx, segmentID, run, progress, listed)
		if errors.Is(err, errRunGone) {
			lastErr = err
			continue
		}
		if err != nil {
			return Snapshot{}, err
		}
		return Snapshot{SegmentID: segmentID, IDs: ids, RunID: run.RunID, Via: Via{Way: WayMatch}}, nil
	}
	return Snapshot{}, fmt.Errorf("%w: %w: %d segment-match runs of segment %s failed or expired (last: %v)", ErrIncomplete, errRunsFailing, c.runs, segmentID, lastErr)
}

// waitReady polls a run until it is ready, asking for pages of pageSize in
// the order sortBy the run was started with.
func (c *Client) waitReady(ctx context.Context, segmentID string, run matchRun, pageSize int, sortBy string) (matchRun, error) {
	deadline := time.Now().Add(c.evalTO)
	wait := c.poll
	for !run.IsReady {
		if run.failed() {
			return run, fmt.Errorf("%w: run %s failed", errRunGone, run.RunID)
		}
		if run.RunID == "" {
			return run, fmt.Errorf("%w: segmentMatchAll answered neither a result nor a run id", ErrIncomplete)
		}
		if time.Now().After(deadline) {
			return run, fmt.Errorf("%w: run %s not ready after %s", ErrIncomplete, run.RunID, c.evalTO)
		}
		if err := c.sleep(ctx, wait); err != nil {
			return run, err
		}
		wait = min(wait*3/2, 5*time.Second)
		next, err := c.matchCall(ctx, "GET /segmentMatchAll/{run}", "/segmentMatchAll"+runPath(segmentID, run.RunID), 1, pageSize, sortBy)
		if errors.Is(err, ErrNotFound) {
			return run, fmt.Errorf("%w: run %s expired: %w", errRunGone, run.RunID, err)
		}
		if err != nil {
			return run, err
		}
		run = next
	}
	return run, nil
}

func runPath(segmentID, runID string) string {
	return "/" + url.PathEscape(segmentID) + "/" + url.PathEscape(runID)
}

// readRun waits for a run to be ready and reads all of its pages, giving
// each to listed (when not nil) once it is known to be the run's.
func (c *Client) readRun(ctx context.Context, segmentID string, run matchRun, progress ReportRead, listed MembersListed) ([]autocred.ContactID, error) {
	run, err := c.waitReady(ctx, segmentID, run, matchPageSize, matchSort)
	if err != nil {
		return nil, err
	}
	path := runPath(segmentID, run.RunID)

	total := int(run.Page.Total)
	// Duplicates (pages that overlap) are dropped after sorting, not with
	// a set as they arrive: at a million members the set would be most of
	// a sync's memory.
	ids := make([]autocred.ContactID, 0, total)
	add := func(page matchRun) error {
		ids = append(ids, page.Matches...)
		if listed == nil || len(page.Matches) == 0 {
			return nil
		}
		return listed(page.Matches)
	}
	// The answer that said "ready" carries page 1 only if it was cut at
	// our page size; otherwise page numbers would not line up.
	first := 1
	if int(run.Page.PerPage) == matchPageSize && int(run.Page.CurrentPage) == 1 {
		if err := add(run); err != nil {
			return nil, err
		}
		first = 2
	}
	lastPage := int(run.Page.LastPage)
	for p := first; p <= lastPage || (p == 1 && total > 0); p++ {
		page, err := c.matchCall(ctx, "GET /segmentMatchSome/{run}", "/segmentMatchSome"+path, p, matchPageSize, "")
		if errors.Is(err, ErrNotFound) {
			return nil, fmt.Errorf("%w: run %s expired while being read: %w", errRunGone, run.RunID, err)
		}
		if err != nil {
			return nil, err
		}
		if page.RunID != "" && page.RunID != run.RunID || int(page.Page.Total) != total {
			return nil, fmt.Errorf("%w: page %d of run %s belongs to another result (run %s, %d members instead of %d)",
				ErrIncomplete, p, run.RunID, page.RunID, page.Page.Total, total)
		}
		if err := add(page); err != nil {
			return nil, err
		}
		lastPage = int(page.Page.LastPage)
		if progress != nil {
			progress(len(ids), total)
		}
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) != total {
		return nil, fmt.Errorf("%w: run %s announced %d members but its pages held %d", ErrIncomplete, run.RunID, total, len(ids))
	}
	if progress != nil {
		progress(len(ids), total)
	}
	return ids, nil
}

// matchCall fetches one page of a segment-match answer; sortBy, when not
// empty, is the run's order (segmentMatchSome keeps the run's own and
// takes none).
func (c *Client) matchCall(ctx context.Context, endpoint, path string, page, pageSize int, sortBy string) (matchRun, error) {
	var resp struct {
		Data json.RawMessage `json:"data"`
	}
	q := url.Values{"page": {strconv.Itoa(page)}, "page_size": {strconv.Itoa(pageSize)}}
	if sortBy != "" {
		q.Set("sort", sortBy)
	}
	if err := c.get(ctx, endpoint, path, q, &resp); err != nil {
		return matchRun{}, err
	}
	var items []struct {
		Attributes matchRun `json:"attributes"`
	}
	if err := decodeOneOrMany(resp.Data, &items); err != nil || len(items) == 0 {
		return matchRun{}, fmt.Errorf("activecampaign %s: unreadable answer (%v)", endpoint, err)
	}
	return items[0].Attributes, nil
}

// FirstMembers returns up to n members of a segment, asking a
// segment-match run for one page of n: the cheapest way to find sample
// contacts (one call, and polls while the run is not ready). It is empty
// for an empty segment.
func (c *Client) FirstMembers(ctx context.Context, segmentID string, n int) ([]autocred.ContactID, error) {
	for attempt := 1; attempt <= c.runs; attempt++ {
		run, err := c.matchCall(ctx, "GET /segmentMatchAll", "/segmentMatchAll/"+url.PathEscape(segmentID), 1, n, "")
		if err != nil {
			return nil, err
		}
		run, err = c.waitReady(ctx, segmentID, run, n, "")
		if errors.Is(err, errRunGone) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return run.Matches[:min(len(run.Matches), n)], nil
	}
	return nil, fmt.Errorf("%w: %d segment-match runs of segment %s failed or expired", ErrIncomplete, c.runs, segmentID)
}

// LegacySnapshot reads a segment through contacts?segmentid. The
// documentation says the first call, or one with forceQuery=1, only starts
// an evaluation, and later calls without forceQuery return the cached
// result (for an hour) in the order asked for; Pipedream's segment source
// relies on a forced call answering the members at once. Both are
// handled: force once, take that answer's contacts if it has any, or else
// wait for contacts to appear, then page through the cached result in a
// fixed order (orders[id]=ASC), checking that every page comes from the
// same result. An answer still empty after EvaluationTimeout is
// Unconfirmed. An id the endpoint refuses (400, 403, 404, 422) is an error
// that Snapshot takes as "use the other way".
func (c *Client) LegacySnapshot(ctx context.Context, segmentID string, progress ReportRead) (Snapshot, error) {
	page := func(offset int, force bool) (contactsPage, error) {
		q := url.Values{"segmentid": {segmentID}, "orders[id]": {"ASC"}, "limit": {"100"}, "offset": {strconv.Itoa(offset)}}
		if force {
			q.Set("forceQuery", "1")
		}
		var resp contactsPage
		err := c.get(ctx, "GET /contacts?segmentid", "/contacts", q, &resp)
		return resp, err
	}
	first, err := page(0, true)
	if refusal(err) {
		return Snapshot{}, fmt.Errorf("%w: %w", errContactsRefused, err)
	}
	if err != nil {
		return Snapshot{}, err
	}
	deadline := time.Now().Add(c.evalTO)
	wait := c.poll
	for len(first.Contacts) == 0 {
		if time.Now().After(deadline) {
			return Snapshot{SegmentID: segmentID, RunID: string(first.Meta.PageInput.CacheID), Unconfirmed: true, Via: Via{Way: WayContacts}}, nil
		}
		if err := c.sleep(ctx, wait); err != nil {
			return Snapshot{}, err
		}
		wait = min(wait*3/2, 5*time.Second)
		if first, err = page(0, false); err != nil {
			return Snapshot{}, err
		}
	}
	total, cacheID := int(first.Meta.Total), first.Meta.PageInput.CacheID
	seen := make(map[autocred.ContactID]struct{}, total)
	ids := make([]autocred.ContactID, 0, total)
	for p := first; ; {
		for _, ct := range p.Contacts {
			if _, dup := seen[ct.ID]; !dup {
				seen[ct.ID] = struct{}{}
				ids = append(ids, ct.ID)
			}
		}
		if progress != nil {
			progress(len(ids), total)
		}
		if len(ids) >= total {
			break
		}
		offset := len(ids)
		var err error
		if p, err = page(offset, false); err != nil {
			return Snapshot{}, err
		}
		if int(p.Meta.Total) != total || len(p.Contacts) == 0 || cacheID != "" && p.Meta.PageInput.CacheID != "" && p.Meta.PageInput.CacheID != cacheID {
			// The cache expired or was refreshed mid-read: a new
			// evaluation answers with nothing, another total or another
			// cache id.
			return Snapshot{}, fmt.Errorf("%w: the cached result of segment %s changed at offset %d (total %d, then %d)",
				ErrIncomplete, segmentID, offset, total, p.Meta.Total)
		}
	}
	if len(ids) != total {
		return Snapshot{}, fmt.Errorf("%w: segment %s announced %d members but its pages held %d", ErrIncomplete, segmentID, total, len(ids))
	}
	slices.Sort(ids)
	return Snapshot{SegmentID: segmentID, IDs: ids, RunID: string(cacheID), Via: Via{Way: WayContacts}}, nil
}

package activecampaign

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The legacy quirk of GET /contacts?segmentid=N (spec §2d): the first call
// for a segment and sort order within the cache lifetime, or any call with
// forceQuery, only STARTS an evaluation and answers no contacts. Once the
// evaluation is done, later calls without forceQuery page through that one
// cached result, whatever happened to the contacts since, until it expires.
// With LegacyReading.ForcedQuery "returns_members" a forced call evaluates
// at once and answers the first page of its result (see readings.go).

type legacyKey struct {
	segment string // the segment's UUID, whichever id the call used
	order   string
}

type legacyEval struct {
	cacheID string
	started time.Time
	readyAt time.Time
	ids     []int32 // the members when the evaluation started, in the request's order
}

// orderKey names a sort order for the cache: the same orders[...] in the
// same sequence share a result set.
func orderKey(orders []order) string {
	var b strings.Builder
	for _, o := range orders {
		b.WriteString(o.field)
		if o.desc {
			b.WriteString(":desc,")
		} else {
			b.WriteString(":asc,")
		}
	}
	return b.String()
}

// legacySegmentContacts answers GET /contacts?segmentid=ref. Which ids it
// accepts and what a forced call answers follow the account's
// LegacyReading: by default only legacy numeric ids (a UUID is a 400 that
// points to segmentMatchAll; an unknown number is the v3 "No Result found"
// 404), and a forced call only starts an evaluation.
func (s *Server) legacySegmentContacts(w http.ResponseWriter, r *http.Request, a *account, ref string) {
	q := r.URL.Query()
	limit, offset := pageParams(q)
	orders := orderParams(r.URL.RawQuery)
	force := truthy(q.Get("forceQuery"))
	now := s.now()

	a.mu.Lock()
	reading := s.legacyReadingOf(a)
	g, ok := a.legacySegmentRef(w, ref, reading)
	if !ok {
		a.mu.Unlock()
		return
	}
	key := legacyKey{segment: g.id, order: orderKey(orders)}
	ev := a.legacyEvals[key]
	if force || ev == nil || !now.Before(ev.started.Add(s.opts.LegacyCacheTTL)) {
		ev = &legacyEval{cacheID: newUUID(), started: now, readyAt: now.Add(s.opts.LegacyEvalDelay),
			ids: a.sortedSnapshot(g.def, orders)}
		if force && reading.returnsMembers() {
			ev.readyAt = now // evaluated at once: this call answers its first page
		}
		ev.ids = a.short.apply(ev.ids)
		a.legacyEvals[key] = ev
	}
	if now.Before(ev.readyAt) {
		a.mu.Unlock()
		s.writeLegacyPage(w, q, limit, offset, ev.cacheID, nil, 0)
		return
	}
	a.mu.Unlock()

	// The cached ids are fixed; their details are read now. A contact
	// deleted since the evaluation is left out of its page.
	a.mu.RLock()
	defer a.mu.RUnlock()
	base := apiBase(r, a)
	lo, hi := pageBounds(len(ev.ids), limit, offset)
	out := make([]contactJSON, 0, hi-lo)
	for _, cid := range ev.ids[lo:hi] {
		if c := a.contact(int64(cid)); c != nil {
			out = append(out, a.renderContact(base, int64(cid), c))
		}
	}
	s.writeLegacyPage(w, q, limit, offset, ev.cacheID, out, len(ev.ids))
}

// legacySegmentRef resolves the segmentid of a contacts query, or answers
// the error the reading calls for. Callers hold a.mu.
func (a *account) legacySegmentRef(w http.ResponseWriter, ref string, reading LegacyReading) (*segment, bool) {
	id, err := strconv.ParseInt(ref, 10, 64)
	numeric := err == nil && id >= 1
	if !numeric && !reading.AudienceIDs {
		writeErrors(w, http.StatusBadRequest, apiError{Title: "Bad Request",
			Detail: "segmentid must be the numeric id of a legacy segment; segments with UUID ids are read with GET /api/3/segmentMatchAll/{segmentId}",
			Code:   "invalid_parameter", Source: &errSource{Pointer: "segmentid"}})
		return nil, false
	}
	if numeric {
		ref = itoa(id)
	}
	g := a.segByRef[ref]
	if g == nil {
		writeNoResult(w, "Segment", ref)
		return nil, false
	}
	return g, true
}

func (s *Server) writeLegacyPage(w http.ResponseWriter, q map[string][]string, limit, offset int, cacheID string, contacts []contactJSON, total int) {
	if contacts == nil {
		contacts = []contactJSON{}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"scoreValues": []any{},
		"contacts":    contacts,
		"meta":        map[string]any{"total": itoa(int64(total)), "page_input": pageInput(q, limit, offset, cacheID)},
	})
}

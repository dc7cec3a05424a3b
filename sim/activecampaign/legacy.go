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

type legacyKey struct {
	segment int64
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

// legacySegmentContacts answers GET /contacts?segmentid=ref. Only legacy
// numeric ids are accepted: a UUID is a 400 that points to segmentMatchAll,
// and an unknown number is the v3 "No Result found" 404.
func (s *Server) legacySegmentContacts(w http.ResponseWriter, r *http.Request, a *account, ref string) {
	q := r.URL.Query()
	id, err := strconv.ParseInt(ref, 10, 64)
	if err != nil || id < 1 {
		writeErrors(w, http.StatusBadRequest, apiError{Title: "Bad Request",
			Detail: "segmentid must be the numeric id of a legacy segment; segments with UUID ids are read with GET /api/3/segmentMatchAll/{segmentId}",
			Code:   "invalid_parameter", Source: &errSource{Pointer: "segmentid"}})
		return
	}
	limit, offset := pageParams(q)
	orders := orderParams(r.URL.RawQuery)
	key := legacyKey{segment: id, order: orderKey(orders)}
	force := truthy(q.Get("forceQuery"))
	now := s.now()

	a.mu.Lock()
	g := a.segByRef[itoa(id)]
	if g == nil {
		a.mu.Unlock()
		writeNoResult(w, "Segment", id)
		return
	}
	ev := a.legacyEvals[key]
	if force || ev == nil || !now.Before(ev.started.Add(s.opts.LegacyCacheTTL)) {
		ev = &legacyEval{cacheID: newUUID(), started: now, readyAt: now.Add(s.opts.LegacyEvalDelay),
			ids: a.sortedSnapshot(g.def, orders)}
		a.legacyEvals[key] = ev
		a.mu.Unlock()
		s.writeLegacyPage(w, q, limit, offset, ev.cacheID, nil, 0)
		return
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

package activecampaign

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// maxRunsPerSegment bounds memory: a run over a million members holds 4 MB
// of ids, and a watcher polling every minute would otherwise keep 90 days
// of them. An evicted run answers 404, as an expired one does.
const maxRunsPerSegment = 16

// matchRun is one segmentMatchAll run: ONE fixed snapshot of member ids,
// taken when the run starts and sorted in the run's order, that becomes
// visible once the run is ready.
type matchRun struct {
	id           string
	seg          *segment
	sort         string
	ids          []int32
	started      time.Time
	readyAt      time.Time // also run_id_end
	failed       bool      // is_ready stays false with run_id_end set
	segTimestamp time.Time
}

func (m *matchRun) ready(now time.Time) bool { return !now.Before(m.readyAt) }

// matchSortKeys maps the documented sort values to contact orders. The
// sandbox keeps no accounts or scores: those sorts fall back to id.
var matchSortKeys = map[string]string{
	"id": "id", "email": "email", "phone": "phone", "first_name": "first_name", "last_name": "last_name",
	"full_name": "name", "cdate": "cdate", "udate": "udate", "account_name": "id",
}

// matchSort validates a sort value; "" is the default, id.
func matchSort(v string) (string, bool) {
	if v == "" {
		return "id", true
	}
	key := strings.TrimPrefix(v, "-")
	_, ok := matchSortKeys[key]
	return v, ok || strings.HasPrefix(key, "score")
}

// snapshotOrder turns a run's sort into contact orders.
func snapshotOrder(sortBy string) []order {
	key := strings.TrimPrefix(sortBy, "-")
	field, ok := matchSortKeys[key]
	if !ok {
		field = "id" // score…
	}
	return []order{{field: field, desc: strings.HasPrefix(sortBy, "-")}}
}

// sortedSnapshot evaluates a segment and sorts the ids. Callers hold a.mu (read).
func (a *account) sortedSnapshot(def SegmentDef, orders []order) []int32 {
	ids := a.members(def)
	if byID, desc := onlyByID(orders); byID {
		if desc {
			slices.Reverse(ids)
		}
		return ids
	}
	if len(orders) == 1 && (orders[0].field == "udate" || orders[0].field == "cdate") {
		a.sortByDate(ids, orders[0].field == "udate", orders[0].desc)
		return ids
	}
	less := a.contactLess(orders)
	slices.SortFunc(ids, func(x, y int32) int { return less(int64(x), int64(y)) })
	return ids
}

// sortByDate sorts ids by the contacts' udate (or cdate), ties by id, as
// contactLess would, on a copy of the keys: autocred asks every run for
// -udate, and sorting a million members through contactLess took the
// sandbox a large part of a second per run.
func (a *account) sortByDate(ids []int32, udate, desc bool) {
	type keyed struct {
		at int64
		id int32
	}
	ks := make([]keyed, len(ids))
	for i, id := range ids {
		c := &a.contacts[id-1]
		ks[i] = keyed{c.cdate, id}
		if udate {
			ks[i].at = c.udate
		}
	}
	slices.SortFunc(ks, func(x, y keyed) int {
		c := cmpInt(x.at, y.at)
		if desc {
			c = -c
		}
		if c != 0 {
			return c
		}
		return cmpInt(int64(x.id), int64(y.id))
	})
	for i, k := range ks {
		ids[i] = k.id
	}
}

// startRun takes the snapshot and registers a new run.
func (s *Server) startRun(a *account, g *segment, sortBy string) *matchRun {
	a.mu.RLock()
	def, stamp := g.def, g.updated
	ids := a.sortedSnapshot(def, snapshotOrder(sortBy))
	a.mu.RUnlock()

	now := s.now()
	run := &matchRun{id: newUUID(), seg: g, sort: sortBy, ids: ids, started: now,
		readyAt: now.Add(time.Duration(s.matchRunDelay.Load())), segTimestamp: stamp}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.failNext > 0 {
		a.failNext--
		run.failed = true
	}
	if s.matchAvailabilityLocked(a).RunsFail {
		run.failed = true
	}
	if !run.failed {
		run.ids = a.short.apply(run.ids)
	}
	a.runs[run.id] = run
	g.runs = append(g.runs, run)
	if len(g.runs) > maxRunsPerSegment {
		delete(a.runs, g.runs[0].id)
		g.runs = slices.Delete(g.runs, 0, 1)
	}
	g.lastUsed = now
	return run
}

// MatchRunStarts returns when each segment-match run the account still
// keeps was started (its snapshot taken), oldest first: a benchmark tells
// from it how long a change waited for a read that could list it. A
// segment keeps its last maxRunsPerSegment runs.
func (s *Server) MatchRunStarts(account string) ([]time.Time, error) {
	a, err := s.mustAccount(account)
	if err != nil {
		return nil, err
	}
	a.mu.RLock()
	defer a.mu.RUnlock()
	starts := make([]time.Time, 0, len(a.runs))
	for _, run := range a.runs {
		starts = append(starts, run.started)
	}
	slices.SortFunc(starts, time.Time.Compare)
	return starts, nil
}

// FailNextMatchRuns makes the account's next n runs fail: they never become
// ready and report run_id_end once their delay has passed.
func (s *Server) FailNextMatchRuns(account string, n int) error {
	a, err := s.mustAccount(account)
	if err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.failNext = max(0, n)
	return nil
}

// shortReads makes segment reads (segment-match runs and contacts?segmentid
// evaluations) answer "ready" with only part of their members, pages and
// total agreeing: a wrong answer that looks complete.
type shortReads struct {
	runs int     // how many upcoming reads are short
	keep float64 // the share of members they keep, from the first: 0 is none
}

// apply shortens the ids of a read that starts now, if reads are short.
// Callers hold a.mu.
func (r *shortReads) apply(ids []int32) []int32 {
	if r.runs <= 0 {
		return ids
	}
	r.runs--
	return ids[:int(r.keep*float64(len(ids)))]
}

// ShortenNextMatchRuns makes the account's next n segment reads (a
// segment-match run, or a contacts?segmentid evaluation) answer "ready" with
// only the first keep (0 ≤ keep < 1) of their members, in the read's order;
// totals and pages agree with the short list, so the answer looks complete. keep 0 is an empty segment. This is the fault
// other segment watchers have shipped bugs for (a segment read briefly as
// empty, then everyone taken as new: PipedreamHQ/pipedream#20091). n 0
// ends it.
func (s *Server) ShortenNextMatchRuns(account string, n int, keep float64) error {
	if keep < 0 || keep >= 1 {
		return fmt.Errorf("keep must be at least 0 and below 1 (the share of members a short run keeps), not %v", keep)
	}
	a, err := s.mustAccount(account)
	if err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.short = shortReads{runs: max(0, n), keep: keep}
	return nil
}

// ExpireMatchRuns expires every existing run of the account: they answer
// 404 from now on. New runs work as usual.
func (s *Server) ExpireMatchRuns(account string) error {
	a, err := s.mustAccount(account)
	if err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	clear(a.runs)
	for _, g := range a.segments {
		g.runs = nil
	}
	return nil
}

// segmentRef resolves a segment named by UUID or legacy numeric id.
func (a *account) segmentRef(ref string) *segment {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.segByRef[ref]
}

func writeSegmentNotFound(w http.ResponseWriter, ref string) {
	writeErrors(w, http.StatusNotFound, apiError{Title: "Not Found", Detail: "Segment " + ref + " was not found.", Code: "not_found"})
}

func writeRunNotFound(w http.ResponseWriter, ref string) {
	writeErrors(w, http.StatusNotFound, apiError{Title: "Not Found", Detail: "Run " + ref + " was not found or has expired.", Code: "not_found"})
}

// matchParams reads page, page_size and sort of the matching API.
func matchParams(w http.ResponseWriter, r *http.Request) (page, size int, sortBy string, ok bool) {
	if page, size, ok = v2Page(w, r); !ok {
		return 0, 0, "", false
	}
	raw := r.URL.Query().Get("sort")
	if sortBy, ok = matchSort(raw); !ok {
		writeErrors(w, http.StatusBadRequest, apiError{Title: "Bad Request", Detail: "sort " + strconv.Quote(raw) + " is not supported: use id, email, phone, first_name, last_name, full_name, cdate, udate, account_name or score…, with - for descending", Code: "invalid_parameter", Source: &errSource{Pointer: "sort"}})
	}
	return page, size, sortBy, ok
}

// startMatchAll is GET /segmentMatchAll/{segment}: it starts a run and
// waits up to InlineWait for it (not at all with instant).
func (s *Server) startMatchAll(w http.ResponseWriter, r *http.Request, a *account) {
	page, size, sortBy, ok := matchParams(w, r)
	if !ok || s.refusedMatch(w, r, a) {
		return
	}
	ref := r.PathValue("segment")
	g := a.segmentRef(ref)
	if g == nil {
		writeSegmentNotFound(w, ref)
		return
	}
	s.runAndAnswer(w, r, a, g, ref, sortBy, page, size)
}

func (s *Server) runAndAnswer(w http.ResponseWriter, r *http.Request, a *account, g *segment, ref, sortBy string, page, size int) {
	run := s.startRun(a, g, sortBy)
	if _, instant := r.URL.Query()["instant"]; !instant || !truthyOrEmpty(r.URL.Query().Get("instant")) {
		s.waitReady(r.Context(), run)
	}
	s.writeRun(w, a, run, ref, "matchAll", page, size)
}

// truthyOrEmpty reads a flag that may be sent bare (?instant).
func truthyOrEmpty(v string) bool { return v == "" || truthy(v) }

// waitReady blocks until the run is ready, InlineWait has passed, or the
// client went away.
func (s *Server) waitReady(ctx context.Context, run *matchRun) {
	wait := min(s.opts.InlineWait, run.readyAt.Sub(s.now()))
	if wait <= 0 {
		return
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// findRun returns a live run of segment g, or nil when it does not exist,
// belongs to another segment, or has expired.
func (s *Server) findRun(a *account, g *segment, id string) *matchRun {
	a.mu.Lock()
	defer a.mu.Unlock()
	run := a.runs[id]
	if run == nil || run.seg != g {
		return nil
	}
	if s.now().After(run.started.Add(s.opts.RunTTL)) {
		delete(a.runs, id)
		return nil
	}
	return run
}

// pollMatchAll is GET /segmentMatchAll/{segment}/{run}: the run's state or
// a page of it. A sort other than the run's starts a new run, as the cache
// is per sort order.
func (s *Server) pollMatchAll(w http.ResponseWriter, r *http.Request, a *account) {
	page, size, sortBy, ok := matchParams(w, r)
	if !ok || s.refusedMatch(w, r, a) {
		return
	}
	g, run, ref, ok := s.segmentRun(w, r, a)
	if !ok {
		return
	}
	if r.URL.Query().Get("sort") != "" && sortBy != run.sort {
		s.runAndAnswer(w, r, a, g, ref, sortBy, page, size)
		return
	}
	s.writeRun(w, a, run, ref, "matchAll", page, size)
}

// pageMatchSome is GET /segmentMatchSome/{segment}/{run}: pages of an
// existing run in its original order; it never starts a run and ignores sort.
func (s *Server) pageMatchSome(w http.ResponseWriter, r *http.Request, a *account) {
	page, size, ok := v2Page(w, r)
	if !ok || s.refusedMatch(w, r, a) {
		return
	}
	_, run, ref, ok := s.segmentRun(w, r, a)
	if !ok {
		return
	}
	s.writeRun(w, a, run, ref, "matchSome", page, size)
}

// segmentRun finds the segment and the run a request's path names, or
// answers 404 for whichever is missing.
func (s *Server) segmentRun(w http.ResponseWriter, r *http.Request, a *account) (*segment, *matchRun, string, bool) {
	ref := r.PathValue("segment")
	g := a.segmentRef(ref)
	if g == nil {
		writeSegmentNotFound(w, ref)
		return nil, nil, ref, false
	}
	run := s.findRun(a, g, r.PathValue("run"))
	if run == nil {
		writeRunNotFound(w, r.PathValue("run"))
		return nil, nil, ref, false
	}
	return g, run, ref, true
}

type runAttrs struct {
	RunID            string   `json:"run_id"`
	RunIDStart       string   `json:"run_id_start"`
	RunIDEnd         *string  `json:"run_id_end"`
	IsReady          bool     `json:"is_ready"`
	Matches          []int32  `json:"matches"`
	SegmentID        string   `json:"segment_id"`
	SegmentTimestamp string   `json:"segment_timestamp"`
	Page             pageJSON `json:"page"`
}

// writeRun answers with a run's state and, once it is ready, one page of
// its ids. segment_id echoes the id form the client used.
func (s *Server) writeRun(w http.ResponseWriter, a *account, run *matchRun, ref, typ string, page, size int) {
	now := s.now()
	attrs := runAttrs{RunID: run.id, RunIDStart: v2Time(run.started), Matches: []int32{},
		SegmentID: ref, SegmentTimestamp: v2Time(run.segTimestamp), Page: newPage(page, size, 0)}
	if run.ready(now) {
		end := v2Time(run.readyAt)
		attrs.RunIDEnd = &end
		if !run.failed {
			attrs.IsReady = true
			// run.ids is never modified after the run starts, so reading it
			// needs no lock.
			lo, hi := pageBounds(len(run.ids), size, (page-1)*size)
			attrs.Matches = run.ids[lo:hi]
			attrs.Page = newPage(page, size, len(run.ids))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": []any{map[string]any{"id": run.id, "type": typ, "attributes": attrs}}})
}

// matchOne is GET /segmentMatch/{segment}/{contact}: whether one contact is
// in the segment now. A contact that does not exist (or was deleted) is
// simply not a match.
func (s *Server) matchOne(w http.ResponseWriter, r *http.Request, a *account) {
	ref := r.PathValue("segment")
	id, ok := parseID(r.PathValue("contact"))
	if !ok {
		writeErrors(w, http.StatusBadRequest, apiError{Title: "Bad Request", Detail: "contact id must be a positive number", Code: "invalid_parameter", Source: &errSource{Pointer: "contactId"}})
		return
	}
	if s.refusedMatch(w, r, a) {
		return
	}
	a.mu.RLock()
	g := a.segByRef[ref]
	if g == nil {
		a.mu.RUnlock()
		writeSegmentNotFound(w, ref)
		return
	}
	c := a.contact(id)
	match := c != nil && a.compile(g.def)(c)
	stamp := g.updated
	a.mu.RUnlock()
	writeJSON(w, http.StatusOK, map[string]any{"data": []any{map[string]any{
		"id": newUUID(), "type": "segmentMatch",
		"attributes": map[string]any{"entity_id": id, "match": match, "segment_id": ref,
			"segment_timestamp": v2Time(stamp), "created_timestamp": v2Time(s.now())},
	}}})
}

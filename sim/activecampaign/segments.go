package activecampaign

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// segment is a saved segment. Membership is never stored: it is computed
// from def over the contacts' current data when someone asks.
type segment struct {
	id       string // UUID
	legacyID int64  // numeric id of a legacy segment, else 0
	def      SegmentDef
	created  time.Time
	updated  time.Time // segment_timestamp: when the definition last changed
	lastUsed time.Time
	runs     []*matchRun // newest last, at most maxRunsPerSegment
}

// Segment describes a defined segment.
type Segment struct {
	ID         string      `json:"id"`
	LegacyID   int64       `json:"legacy_id,omitempty"`
	Hidden     bool        `json:"hidden,omitempty"`
	Audience   bool        `json:"audience,omitempty"`
	Name       string      `json:"name"`
	Logic      string      `json:"logic"`
	Conditions []Condition `json:"conditions"`
	Created    time.Time   `json:"created"`
	Updated    time.Time   `json:"updated"`
}

func (g *segment) public() Segment {
	return Segment{ID: g.id, LegacyID: g.legacyID, Hidden: g.def.Hidden, Audience: g.def.Audience, Name: g.def.Name, Logic: g.def.Logic,
		Conditions: slices.Clone(g.def.Conditions), Created: g.created, Updated: g.updated}
}

// DefineSegment adds a segment. It gets a UUID id and, when def.Legacy, a
// numeric legacy id as well.
func (s *Server) DefineSegment(account string, def SegmentDef) (Segment, error) {
	a, err := s.mustAccount(account)
	if err != nil {
		return Segment{}, err
	}
	def, err = def.normalize()
	if err != nil {
		return Segment{}, err
	}
	now := s.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	g := &segment{id: newUUID(), def: def, created: now, updated: now}
	a.segByRef[g.id] = g
	if def.Legacy {
		a.nextLegacy++
		g.legacyID = a.nextLegacy
		a.segByRef[itoa(g.legacyID)] = g
	}
	a.segments = append(a.segments, g)
	return g.public(), nil
}

// UpdateSegment replaces a segment's name, logic and conditions (not its
// legacy, hidden or audience status) and bumps its segment_timestamp. Runs already started keep
// their snapshot.
func (s *Server) UpdateSegment(account, segmentID string, def SegmentDef) error {
	a, err := s.mustAccount(account)
	if err != nil {
		return err
	}
	def, err = def.normalize()
	if err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	g := a.segByRef[segmentID]
	if g == nil {
		return fmt.Errorf("account %s has no segment %q", account, segmentID)
	}
	def.Legacy, def.Hidden, def.Audience = g.def.Legacy, g.def.Hidden, g.def.Audience
	g.def = def
	g.updated = s.now()
	return nil
}

// Members is the ground truth: the ids of the contacts in the segment now,
// sorted by id. segmentID is the UUID or the legacy numeric id.
func (s *Server) Members(account, segmentID string) ([]int64, error) {
	a, err := s.mustAccount(account)
	if err != nil {
		return nil, err
	}
	a.mu.RLock()
	defer a.mu.RUnlock()
	g := a.segByRef[segmentID]
	if g == nil {
		return nil, fmt.Errorf("account %s has no segment %q", account, segmentID)
	}
	ids := a.members(g.def)
	out := make([]int64, len(ids))
	for i, id := range ids {
		out[i] = int64(id)
	}
	return out, nil
}

// Segment returns one segment by UUID or legacy numeric id.
func (s *Server) Segment(account, segmentID string) (Segment, error) {
	a, err := s.mustAccount(account)
	if err != nil {
		return Segment{}, err
	}
	g := a.segmentRef(segmentID)
	if g == nil {
		return Segment{}, fmt.Errorf("account %s has no segment %q", account, segmentID)
	}
	a.mu.RLock()
	defer a.mu.RUnlock()
	return g.public(), nil
}

// Segments lists an account's segments in the order they were defined.
func (s *Server) Segments(account string) ([]Segment, error) {
	a, err := s.mustAccount(account)
	if err != nil {
		return nil, err
	}
	a.mu.RLock()
	defer a.mu.RUnlock()
	out := make([]Segment, 0, len(a.segments))
	for _, g := range a.segments {
		out = append(out, g.public())
	}
	return out, nil
}

// --- GET /audiences: the saved segments (Segments v2) by UUID, and the
// legacy segments marked Audience by their numeric id ---

// onAudiences tells whether /audiences lists the segment.
func (g *segment) onAudiences() bool { return g.legacyID == 0 || g.def.Audience }

// audienceID is the id /audiences lists the segment under.
func (g *segment) audienceID() string {
	if g.legacyID != 0 {
		return itoa(g.legacyID)
	}
	return g.id
}

type countJSON struct {
	Count            int     `json:"count"`
	LastTotalUpdated *string `json:"last_total_updated"`
	RunID            *string `json:"run_id"`
	RunIDStart       *string `json:"run_id_start"`
	RunIDEnd         *string `json:"run_id_end"`
}

type audienceJSON struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	Attributes struct {
		SegmentID    string  `json:"segment_id"`
		Name         string  `json:"name"`
		Category     string  `json:"category"`
		CreatedDate  string  `json:"created_date"`
		UpdatedDate  string  `json:"updated_date"`
		LastUsedDate *string `json:"last_used_date"`
		Counts       struct {
			LastTotal       countJSON `json:"last_total"`
			LastActiveTotal countJSON `json:"last_active_total"`
		} `json:"counts"`
	} `json:"attributes"`
}

// lastTotal is the count of the segment's newest finished match run: the
// real summary reports the last computed total, not a live one.
func (g *segment) lastTotal(now time.Time) countJSON {
	for i := len(g.runs) - 1; i >= 0; i-- {
		run := g.runs[i]
		if run.ready(now) && !run.failed {
			id, start, end := run.id, v2Time(run.started), v2Time(run.readyAt)
			return countJSON{Count: len(run.ids), LastTotalUpdated: &end, RunID: &id, RunIDStart: &start, RunIDEnd: &end}
		}
	}
	return countJSON{}
}

func (g *segment) audience(now time.Time) audienceJSON {
	var out audienceJSON
	out.ID, out.Type = g.audienceID(), "segmentSummary"
	at := &out.Attributes
	at.SegmentID, at.Name, at.Category = g.audienceID(), g.def.Name, "audience"
	at.CreatedDate, at.UpdatedDate = v2Time(g.created), v2Time(g.updated)
	if !g.lastUsed.IsZero() {
		used := v2Time(g.lastUsed)
		at.LastUsedDate = &used
	}
	// The sandbox keeps no activity data, so every contact counts as active.
	at.Counts.LastTotal = g.lastTotal(now)
	at.Counts.LastActiveTotal = at.Counts.LastTotal
	return out
}

var audienceSorts = map[string]func(x, y *segment) int{
	"updated_date": func(x, y *segment) int { return x.updated.Compare(y.updated) },
	"name":         func(x, y *segment) int { return strings.Compare(lower(x.def.Name), lower(y.def.Name)) },
	"recent":       func(x, y *segment) int { return x.lastUsed.Compare(y.lastUsed) },
}

// v2Page reads page (from 1) and page_size (default 20, max 10,000) of the
// Segments v2 and matching APIs; out of range is a 400.
func v2Page(w http.ResponseWriter, r *http.Request) (page, size int, ok bool) {
	q := r.URL.Query()
	page, size = 1, 20
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeErrors(w, http.StatusBadRequest, apiError{Title: "Bad Request", Detail: "page must be a whole number from 1, got " + strconv.Quote(v), Code: "invalid_parameter", Source: &errSource{Pointer: "page"}})
			return 0, 0, false
		}
		page = n
	}
	if v := q.Get("page_size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPageSize {
			writeErrors(w, http.StatusBadRequest, apiError{Title: "Bad Request", Detail: "page_size must be between 1 and 10000, got " + strconv.Quote(v), Code: "invalid_parameter", Source: &errSource{Pointer: "page_size"}})
			return 0, 0, false
		}
		size = n
	}
	return page, size, true
}

const maxPageSize = 10000

type pageJSON struct {
	CurrentPage int `json:"current_page"`
	LastPage    int `json:"last_page"`
	PerPage     int `json:"per_page"`
	Total       int `json:"total"`
}

func newPage(page, size, total int) pageJSON {
	return pageJSON{CurrentPage: page, LastPage: max(1, (total+size-1)/size), PerPage: size, Total: total}
}

func (s *Server) listAudiences(w http.ResponseWriter, r *http.Request, a *account) {
	page, size, ok := v2Page(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	sortBy := q.Get("sort")
	if sortBy == "" {
		sortBy = "-updated_date"
	}
	key, desc := strings.TrimPrefix(sortBy, "-"), strings.HasPrefix(sortBy, "-")
	now := s.now()
	less := audienceSorts[key]
	if key == "last_total" || key == "last_active_total" {
		less = func(x, y *segment) int { return x.lastTotal(now).Count - y.lastTotal(now).Count }
	}
	if less == nil {
		writeErrors(w, http.StatusBadRequest, apiError{Title: "Bad Request", Detail: "sort must be one of updated_date, name, recent, last_total, last_active_total (prefix - for descending), got " + strconv.Quote(sortBy), Code: "invalid_parameter", Source: &errSource{Pointer: "sort"}})
		return
	}
	search := lower(q.Get("search"))
	a.mu.RLock()
	defer a.mu.RUnlock()
	var segs []*segment
	for _, g := range a.segments {
		if g.onAudiences() && (search == "" || strings.Contains(lower(g.def.Name), search)) {
			segs = append(segs, g)
		}
	}
	slices.SortStableFunc(segs, func(x, y *segment) int {
		if desc {
			return less(y, x)
		}
		return less(x, y)
	})
	lo, hi := pageBounds(len(segs), size, (page-1)*size)
	data := make([]audienceJSON, 0, hi-lo)
	for _, g := range segs[lo:hi] {
		data = append(data, g.audience(now))
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data, "meta": map[string]any{"page": newPage(page, size, len(segs))}})
}

// --- GET /segments: the legacy v3 list, legacy segments only, hidden ones
// included ---

func renderLegacySegment(g *segment) map[string]any {
	hidden := "0"
	if g.def.Hidden {
		hidden = "1"
	}
	return map[string]any{"id": itoa(g.legacyID), "name": g.def.Name, "logic": g.def.Logic,
		"hidden": hidden, "seriesid": "0", "links": []any{}}
}

func (s *Server) listLegacySegments(w http.ResponseWriter, r *http.Request, a *account) {
	limit, offset := pageParams(r.URL.Query())
	a.mu.RLock()
	defer a.mu.RUnlock()
	var segs []*segment
	for _, g := range a.segments {
		if g.legacyID != 0 {
			segs = append(segs, g)
		}
	}
	lo, hi := pageBounds(len(segs), limit, offset)
	out := make([]map[string]any, 0, hi-lo)
	for _, g := range segs[lo:hi] {
		out = append(out, renderLegacySegment(g))
	}
	writeJSON(w, http.StatusOK, map[string]any{"segments": out, "meta": map[string]string{"total": itoa(int64(len(segs)))}})
}

package activecampaign

import (
	"fmt"
	"net/http"
	"strconv"
)

// Two ways of reading a segment, and the open questions about them.
//
// contacts?segmentid: the documentation says a call with forceQuery=1
// only STARTS an evaluation and answers no contacts (spec §2d, [AC-doc]
// list-all-contacts). Pipedream's "New Contact Added to Segment" source
// (PipedreamHQ/pipedream components/activecampaign/sources/
// new-contact-added-to-segment, PR #18896) sends forceQuery=true on every
// page, with the ids /audiences lists, and expects the members back. One
// of them is wrong about the real API; LegacyReading picks one.
//
// Segment matching: which id forms segmentMatchAll accepts is open (spec
// §7, question 1), and an account may not offer it at all or its runs may
// keep failing ("is_ready false and run_id_end set", spec §2c).
// SegmentMatchAvailability models each.

// The two readings of forceQuery.
const (
	// ForcedQueryStartsEvaluation is the documentation's reading: a forced
	// call starts an evaluation and answers no contacts; the members come
	// later, to calls without forceQuery.
	ForcedQueryStartsEvaluation = "starts_evaluation"
	// ForcedQueryReturnsMembers is the reading Pipedream's source relies
	// on: a forced call evaluates at once and answers its first page.
	ForcedQueryReturnsMembers = "returns_members"
)

// LegacyReading is how GET /contacts?segmentid answers. The zero value is
// the documentation's reading, with legacy numeric ids only.
type LegacyReading struct {
	// ForcedQuery is ForcedQueryStartsEvaluation ("" too) or
	// ForcedQueryReturnsMembers.
	ForcedQuery string `json:"forced_query"`
	// AudienceIDs makes segmentid accept every id /audiences lists, UUIDs
	// included, as Pipedream's source assumes; false accepts legacy numeric
	// ids only and answers a UUID with a 400.
	AudienceIDs bool `json:"audience_ids"`
}

func (r LegacyReading) validate() error {
	switch r.ForcedQuery {
	case "", ForcedQueryStartsEvaluation, ForcedQueryReturnsMembers:
		return nil
	}
	return fmt.Errorf("forced_query must be %q or %q, got %q", ForcedQueryStartsEvaluation, ForcedQueryReturnsMembers, r.ForcedQuery)
}

func (r LegacyReading) returnsMembers() bool { return r.ForcedQuery == ForcedQueryReturnsMembers }

// What segment matching refuses.
const (
	MatchRefusesNone    = ""            // available for every segment
	MatchRefusesNumeric = "numeric_ids" // refuses legacy numeric ids (UUIDs only)
	MatchRefusesAll     = "all"         // not available on the account
)

// SegmentMatchAvailability makes the segment-match API unavailable, in
// part or in full. The zero value: available for both id forms.
type SegmentMatchAvailability struct {
	// Refuse is MatchRefusesNone, MatchRefusesNumeric or MatchRefusesAll.
	// A refused segment is refused by segmentMatchAll, segmentMatchSome and
	// segmentMatch/{segment}/{contact} alike.
	Refuse string `json:"refuse"`
	// Status of a refusal: 403 (default) or 400.
	Status int `json:"status,omitempty"`
	// RunsFail makes every segmentMatchAll run fail: is_ready stays false
	// and run_id_end is set. Single-contact checks still answer.
	RunsFail bool `json:"runs_fail"`
}

func (m SegmentMatchAvailability) validate() error {
	switch m.Refuse {
	case MatchRefusesNone, MatchRefusesNumeric, MatchRefusesAll:
	default:
		return fmt.Errorf("refuse must be %q, %q or empty, got %q", MatchRefusesNumeric, MatchRefusesAll, m.Refuse)
	}
	if m.Status != 0 && m.Status != http.StatusForbidden && m.Status != http.StatusBadRequest {
		return fmt.Errorf("status must be 403 or 400, got %d", m.Status)
	}
	return nil
}

// refuses tells whether a segment named by ref is refused.
func (m SegmentMatchAvailability) refuses(ref string) bool {
	switch m.Refuse {
	case MatchRefusesAll:
		return true
	case MatchRefusesNumeric:
		_, err := strconv.ParseInt(ref, 10, 64)
		return err == nil
	}
	return false
}

// writeRefusal answers a refused segment-match call.
func (m SegmentMatchAvailability) writeRefusal(w http.ResponseWriter, ref string) {
	if m.Status == http.StatusBadRequest {
		writeErrors(w, http.StatusBadRequest, apiError{Title: "Bad Request",
			Detail: "Segment " + ref + " cannot be matched: segment matching supports only segments with non-numeric ids",
			Code:   "invalid_parameter", Source: &errSource{Pointer: "segmentId"}})
		return
	}
	writeErrors(w, http.StatusForbidden, apiError{Title: "Forbidden",
		Detail: "You do not have permission to use segment matching for segment " + ref, Code: "forbidden"})
}

// SetLegacyReading sets how an account's contacts?segmentid answers,
// overriding Options.LegacyReading. Evaluations already cached are dropped.
func (s *Server) SetLegacyReading(name string, r LegacyReading) error {
	return override(s, name, r, func(a *account, r *LegacyReading) {
		a.legacyReading = r
		clear(a.legacyEvals)
	})
}

// SetSegmentMatch sets an account's segment-match availability, overriding
// Options.SegmentMatch.
func (s *Server) SetSegmentMatch(name string, m SegmentMatchAvailability) error {
	return override(s, name, m, func(a *account, m *SegmentMatchAvailability) { a.segmentMatch = m })
}

// legacyReadingOf is the account's reading. Callers hold a.mu.
func (s *Server) legacyReadingOf(a *account) LegacyReading {
	return overridden(a.legacyReading, s.opts.LegacyReading)
}

// matchAvailability is the account's segment-match availability.
func (s *Server) matchAvailability(a *account) SegmentMatchAvailability {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return s.matchAvailabilityLocked(a)
}

func (s *Server) matchAvailabilityLocked(a *account) SegmentMatchAvailability {
	return overridden(a.segmentMatch, s.opts.SegmentMatch)
}

// refusedMatch answers a refused segment-match call and reports whether
// it did.
func (s *Server) refusedMatch(w http.ResponseWriter, r *http.Request, a *account) bool {
	ref := r.PathValue("segment")
	m := s.matchAvailability(a)
	if !m.refuses(ref) {
		return false
	}
	m.writeRefusal(w, ref)
	return true
}

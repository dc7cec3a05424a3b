package activecampaign

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// GET /fieldValues: every contact's value of one custom field.
//
// The v3 reference documents one filter for it, filters[fieldid] ("ID of
// the field the value belongs to"), and filters[val]; it pages like every
// collection (limit 20 by default, at most 100, offset, meta.total as a
// string). What it leaves open (spec §3, "Every value of one field"): the
// order of the values, and whether the filter matches the id exactly (the
// v3 filters match "equals" or "contains" as each endpoint is configured,
// and an unknown parameter is ignored). The sandbox answers in contact-id
// order, and FieldValueFilter makes the filter ignored or "contains"
// instead of exact, so that a client can be tested against either.

// How filters[fieldid] matches.
const (
	FieldFilterExact    = ""         // the field whose id is the value (the documentation's reading)
	FieldFilterContains = "contains" // every field whose decimal id contains the value (1 → 1, 10, 21…)
	FieldFilterIgnored  = "ignored"  // no filter: every value of every field
)

// FieldValueFilter is how an account's GET /fieldValues applies
// filters[fieldid]. The zero value is exact.
type FieldValueFilter struct {
	FieldID string `json:"fieldid"` // FieldFilterExact, FieldFilterContains or FieldFilterIgnored
}

func (f FieldValueFilter) validate() error {
	switch f.FieldID {
	case FieldFilterExact, "exact", FieldFilterContains, FieldFilterIgnored:
		return nil
	}
	return fmt.Errorf("fieldid must be %q, %q or %q, got %q", "exact", FieldFilterContains, FieldFilterIgnored, f.FieldID)
}

// matches tells whether a value of field id passes filters[fieldid]=want
// ("" when the request has none).
func (f FieldValueFilter) matches(want string, id int32) bool {
	if want == "" {
		return true
	}
	switch f.FieldID {
	case FieldFilterIgnored:
		return true
	case FieldFilterContains:
		return strings.Contains(strconv.Itoa(int(id)), want)
	}
	return strconv.Itoa(int(id)) == want
}

// SetFieldValueFilter sets how an account's GET /fieldValues applies
// filters[fieldid], overriding Options.FieldValueFilter.
func (s *Server) SetFieldValueFilter(name string, f FieldValueFilter) error {
	return override(s, name, f, func(a *account, f *FieldValueFilter) { a.fieldFilter = f })
}

// fieldFilterOf is the account's reading of filters[fieldid]. Callers hold
// a.mu.
func (s *Server) fieldFilterOf(a *account) FieldValueFilter {
	return overridden(a.fieldFilter, s.opts.FieldValueFilter)
}

// listFieldValues is GET /fieldValues. Each page walks the account's
// contacts (a few milliseconds at a million): values are not indexed by
// field, and a scan of a field costs its pages anyway.
func (s *Server) listFieldValues(w http.ResponseWriter, r *http.Request, a *account) {
	q := r.URL.Query()
	limit, offset := pageParams(q)
	fieldID := strings.TrimSpace(q.Get("filters[fieldid]"))
	val, byVal := q.Get("filters[val]"), q.Has("filters[val]")
	a.mu.RLock()
	defer a.mu.RUnlock()
	filter := s.fieldFilterOf(a)
	base := apiBase(r, a)
	total := 0
	out := make([]fieldValueJSON, 0, limit)
	for i := range a.contacts {
		c := &a.contacts[i]
		if c.deleted {
			continue
		}
		for _, fv := range c.fields {
			if !filter.matches(fieldID, fv.field) || byVal && !strings.EqualFold(fv.value, val) {
				continue
			}
			if total >= offset && len(out) < limit {
				out = append(out, a.renderFieldValue(base, int64(i+1), fv))
			}
			total++
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"fieldValues": out, "meta": map[string]string{"total": itoa(int64(total))}})
}

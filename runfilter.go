package autocred

import (
	"strings"
	"time"
)

// EnteredRange reads the "entered" bounds of a runs filter as a user
// gives them, into RunFilter.EnteredFrom and EnteredBefore. from and to
// are each empty (no bound), a day (YYYY-MM-DD, taken in loc) or an RFC
// 3339 time; both ends are inclusive, so that a "to" day takes in the
// whole day. fromField and toField name the inputs in errors.
func EnteredRange(from, to string, loc *time.Location, fromField, toField string) (start, before time.Time, err error) {
	start, _, err = parseBound(from, loc, fromField)
	if err != nil {
		return start, before, err
	}
	_, before, err = parseBound(to, loc, toField)
	if err != nil {
		return start, before, err
	}
	if !start.IsZero() && !before.IsZero() && !before.After(start) {
		return start, before, FieldErrorf(toField, "is before %s: give a range that ends after it starts", fromField)
	}
	return start, before, nil
}

// parseBound reads one bound: the first instant it takes in, and the
// first instant after it.
func parseBound(v string, loc *time.Location, field string) (first, after time.Time, err error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return first, after, nil
	}
	if d, err := time.ParseInLocation(time.DateOnly, v, loc); err == nil {
		return d, d.AddDate(0, 0, 1), nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		// Times are stored to the millisecond.
		return t, t.Truncate(time.Millisecond).Add(time.Millisecond), nil
	}
	return first, after, FieldErrorf(field, "%q is not a date: write a day as YYYY-MM-DD (2026-03-01) or a time as RFC 3339 (2026-03-01T14:00:00Z)", truncate(v, 40))
}

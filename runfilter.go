package autocred

import (
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// EnteredRange reads the "entered" bounds of a runs filter as a user
// gives them, into RunFilter.EnteredFrom and EnteredBefore. from and to
// are each empty (no bound), a day (YYYY-MM-DD, taken in loc) or an RFC
// 3339 time; both ends are inclusive, so that a "to" day takes in the
// whole day. fromField and toField name the inputs in errors.
func EnteredRange(from, to string, loc *time.Location, fromField, toField string) (start, before time.Time, err error) {
	start, _, fromErr := parseBound(from, loc, fromField)
	_, before, toErr := parseBound(to, loc, toField)
	if fromErr != nil || toErr != nil {
		return start, before, JoinErrors(fromErr, toErr)
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

// MaxSearchWords is how many words of a runs search are matched: a
// person's names and email are a few words, and each word is one more
// condition over every run the search reads.
const MaxSearchWords = 8

// ContactID is the contact id the filter's Contact names, when it is one
// (a whole number), which matches that contact exactly.
func (f RunFilter) ContactID() (ContactID, bool) {
	id, err := strconv.ParseInt(strings.TrimSpace(f.Contact), 10, 64)
	return ContactID(id), err == nil
}

// SearchWords are the words of the filter's Contact, lower-cased as
// Run.SearchText is, that a run's names or email must each contain for
// the run to match: "kim rosa" finds Rosa Kim, as "rosa kim" and
// "rosa@ex" do. Words are split on spaces and on punctuation
// (splitsSearch), so that "grace, kim" and a pasted "Kim Grace
// (kim.grace@example.com)" find her too. A word already inside another is dropped (it adds
// nothing), and only the first MaxSearchWords are kept. None when
// Contact is empty or a contact id.
func (f RunFilter) SearchWords() []string {
	if _, ok := f.ContactID(); ok {
		return nil
	}
	var words []string
	for w := range strings.FieldsFuncSeq(strings.ToLower(f.Contact), splitsSearch) {
		if w = strings.Trim(w, ".-'"); w == "" {
			continue // a full stop or a dash alone
		}
		if !slices.ContainsFunc(words, func(k string) bool { return strings.Contains(k, w) }) {
			words = slices.DeleteFunc(words, func(k string) bool { return strings.Contains(w, k) })
			words = append(words, w)
		}
		if len(words) == MaxSearchWords {
			break
		}
	}
	return words
}

// SearchesNothing tells whether the filter's Contact is text with no
// word to look for: no letter, digit or sign of an email ("😀", "…",
// "!!"). Such a search matches no run (the runs list and the API say
// that a search needs letters, digits or an email), rather than every
// run, as a filter without words would.
func (f RunFilter) SearchesNothing() bool {
	if strings.TrimSpace(f.Contact) == "" {
		return false
	}
	if _, ok := f.ContactID(); ok {
		return false
	}
	return len(f.SearchWords()) == 0
}

// splitsSearch tells whether r separates the words of a search: a space,
// or punctuation that is in no name or email (a comma, parentheses,
// angle brackets, quotes, a semicolon). Letters, digits and accents stay
// in a word, and so do the signs of names and emails (. @ _ + - '), so
// that an email or "O'Brien" is matched whole; a full stop or a dash at a
// word's ends is trimmed by SearchWords ("Grace." is "grace").
func splitsSearch(r rune) bool {
	switch r {
	case '.', '@', '_', '+', '-', '\'':
		return false
	}
	return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r)
}

package autocred

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestEnteredRange(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	utc := func(s string) time.Time { v, _ := time.Parse(time.RFC3339, s); return v }
	tests := []struct {
		name, from, to string
		loc            *time.Location
		start, before  time.Time
		err            string
	}{
		{"no bounds", "", "", time.UTC, time.Time{}, time.Time{}, ""},
		{"one day, both ends inclusive", "2026-03-01", "2026-03-01", time.UTC, utc("2026-03-01T00:00:00Z"), utc("2026-03-02T00:00:00Z"), ""},
		{"days in the browser's zone", "2026-03-01", "2026-03-02", paris, utc("2026-02-28T23:00:00Z"), utc("2026-03-02T23:00:00Z"), ""},
		{"times", "2026-03-01T10:00:00+02:00", "2026-03-01T12:00:00Z", time.UTC, utc("2026-03-01T08:00:00Z"), utc("2026-03-01T12:00:00.001Z"), ""},
		{"only to", "", "2026-03-01", time.UTC, time.Time{}, utc("2026-03-02T00:00:00Z"), ""},
		{"not a date", "yesterday", "", time.UTC, time.Time{}, time.Time{}, `from: "yesterday" is not a date`},
		{"a US date", "", "03/01/2026", time.UTC, time.Time{}, time.Time{}, `to: "03/01/2026" is not a date: write a day as YYYY-MM-DD`},
		{"reversed", "2026-03-02", "2026-03-01", time.UTC, time.Time{}, time.Time{}, "to: is before from"},
	}
	for _, tc := range tests {
		start, before, err := EnteredRange(tc.from, tc.to, tc.loc, "from", "to")
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil || !start.Equal(tc.start) || !before.Equal(tc.before) {
			t.Errorf("%s: [%v, %v) %v; want [%v, %v)", tc.name, start, before, err, tc.start, tc.before)
		}
	}
}

// A runs search is taken word by word, whatever the order, case or
// spacing; a whole number is a contact id, not words.
func TestRunFilterSearchWords(t *testing.T) {
	tests := []struct {
		contact string
		words   []string
		id      ContactID
		isID    bool
	}{
		{"", nil, 0, false},
		{"   ", nil, 0, false},
		{"Kim", []string{"kim"}, 0, false},
		{"  Rosa   KIM ", []string{"rosa", "kim"}, 0, false},
		{"kim rosa", []string{"kim", "rosa"}, 0, false},
		{"ÉLODIE Durand", []string{"élodie", "durand"}, 0, false},
		{"ada ada", []string{"ada"}, 0, false},
		{"ada adams", []string{"adams"}, 0, false},
		{"adams ada", []string{"adams"}, 0, false},
		{"@example.com", []string{"@example.com"}, 0, false},
		{"a b c d e f g h i j", []string{"a", "b", "c", "d", "e", "f", "g", "h"}, 0, false},
		{" 42 ", nil, 42, true},
		{"42 43", []string{"42", "43"}, 0, false},
		// Punctuation between words splits them too: a name written
		// "last, first", or pasted with its email from a mail client.
		{"grace, kim", []string{"grace", "kim"}, 0, false},
		{"Kim Grace (kim.grace@example.com)", []string{"kim.grace@example.com"}, 0, false},
		{"Kim Grace <kim.grace@example.com>;", []string{"kim.grace@example.com"}, 0, false},
		{`"O'Brien", Zoë.`, []string{"o'brien", "zoë"}, 0, false},
		{"kim - grace", []string{"kim", "grace"}, 0, false},
		// No letter, digit or sign of an email: nothing to look for.
		{"😀", nil, 0, false},
		{" ... !! ", nil, 0, false},
		{"😀 kim", []string{"kim"}, 0, false},
	}
	for _, tc := range tests {
		f := RunFilter{Contact: tc.contact}
		if got, want := f.SearchesNothing(), tc.words == nil && !tc.isID && strings.TrimSpace(tc.contact) != ""; got != want {
			t.Errorf("%q: searches nothing %v, want %v", tc.contact, got, want)
		}
		if got := f.SearchWords(); !slices.Equal(got, tc.words) {
			t.Errorf("%q: words %q, want %q", tc.contact, got, tc.words)
		}
		if id, ok := f.ContactID(); ok != tc.isID || id != tc.id {
			t.Errorf("%q: contact id %d, %v; want %d, %v", tc.contact, id, ok, tc.id, tc.isID)
		}
	}
}

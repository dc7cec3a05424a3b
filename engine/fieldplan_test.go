package engine

import (
	"testing"
	"time"

	"github.com/autocred/autocred"
)

// TestFieldPlan: for each batch and field, the first page of a scan is read
// only when a scan may be the cheaper, and the rest only when it is: a
// scan of P pages costs P calls (its first already spent when the choice
// is made), reading each of N entrants N.
func TestFieldPlan(t *testing.T) {
	tests := []struct {
		name      string
		entrants  int
		lastPages int  // pages the last scan of the field announced
		known     bool // lastPages is known (a recent scan)
		pages     int  // pages the first page announces; 0: no total
		done      bool // the first page was all
		probe     bool // read the first page
		scan      bool // then read the rest
	}{
		{"one entrant: read on its own", 1, 0, false, 0, false, false, false},
		{"two entrants, a one-page field", 2, 0, false, 1, true, true, true},
		{"two entrants, a two-page field: a tie", 2, 0, false, 3, false, true, false},
		{"2,000 entrants, 220 pages", 2000, 0, false, 220, false, true, true},
		{"20,000 entrants, 400 pages", 20_000, 0, false, 400, false, true, true},
		{"2,000 entrants, 2,200 pages (a large segment)", 2000, 0, false, 2200, false, true, false},
		{"2,000 entrants, 2,001 pages: one call less, the scan", 2000, 0, false, 2000, false, true, true},
		{"2,000 entrants, 2,001 pages", 2000, 0, false, 2001, false, true, false},
		{"no total, more pages: cost unknown", 500, 0, false, 0, false, true, false},
		{"100,000 entrants, 5,000 pages", 100_000, 0, false, 5000, false, true, true},
		{"100,000 entrants, 5,001 pages: too long a sync", 100_000, 0, false, 5001, false, true, false},
		{"known too long a sync: not even the first page", 100_000, 5001, true, 0, false, false, false},
		{"known too large: not even the first page", 100, 5000, true, 0, false, false, false},
		{"known small enough: probe", 100, 50, true, 50, false, true, true},
		{"known large, but the field shrank", 100, 5000, false, 30, false, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			field := &plannedField{last: tt.lastPages, known: tt.known}
			probe := scansCheaper(tt.entrants, []*plannedField{field})
			if probe != tt.probe {
				t.Fatalf("before the first page (last scan %d pages, known %v): scansCheaper(%d) = %v, want %v", tt.lastPages, tt.known, tt.entrants, probe, tt.probe)
			}
			if !probe {
				return
			}
			if scan := scanCheaper(tt.entrants, tt.pages, tt.done); scan != tt.scan {
				t.Errorf("scanCheaper(%d, %d, %v) = %v, want %v", tt.entrants, tt.pages, tt.done, scan, tt.scan)
			}
		})
	}
}

// TestFieldPlanCountsUnlistedEntrants: the scans' cost counts, besides
// their pages, the entrants expected to be read on their own after them,
// from the share of its entrants each field's last scan did not list. An
// entrant is read on its own if any of its fields' scans misses it: with
// the misses of different fields taken as independent, 1 − Π(1 − share).
func TestFieldPlanCountsUnlistedEntrants(t *testing.T) {
	type field struct {
		last   int     // pages its last scan announced; 0: not known
		missed float64 // share of its entrants its last scan did not list; < 0: not known
		who    int     // its entrants: the batch's first who
	}
	tests := []struct {
		name     string
		entrants int
		fields   []field
		pages    int // still to read: each field's last scan less the first page
		unlisted int
		cheaper  bool
	}{
		{"nothing remembered: pages alone, as before", 60, []field{{0, -1, 60}}, 0, 0, true},
		{"pages remembered, no finished scan: pages alone", 60, []field{{6, -1, 60}}, 5, 0, true},
		{"an optional field, 95% unlisted: 5 + 57 calls, not fewer than 60", 60, []field{{6, 0.95, 60}}, 5, 57, false},
		{"the same field, a batch of 200: 5 + 190 calls", 200, []field{{6, 0.95, 200}}, 5, 190, true},
		{"5% unlisted", 60, []field{{6, 0.05, 60}}, 5, 3, true},
		{"everyone listed", 60, []field{{6, 0, 60}}, 5, 0, true},
		{"no pages known, all unlisted: a tie, read each", 60, []field{{0, 1, 60}}, 0, 60, false},
		{"one entrant", 1, []field{{1, 0, 1}}, 0, 0, false},
		{"too large a field, whatever is listed", 100_000, []field{{5001, 0, 100_000}}, 0, 0, false},
		// Two fields, 30% of their entrants unlisted each: 51 of 100
		// expected to be read on their own (not 30, as if the same, nor
		// 60, as if never the same).
		{"two fields, 30% each, 40 pages", 100, []field{{21, 0.3, 100}, {21, 0.3, 100}}, 40, 51, true},
		{"two fields, 30% each, 50 pages", 100, []field{{26, 0.3, 100}, {26, 0.3, 100}}, 50, 51, false},
		{"two fields, 50% each", 100, []field{{2, 0.5, 100}, {2, 0.5, 100}}, 2, 75, true},
		{"two fields, one known", 100, []field{{2, 0.5, 100}, {2, -1, 100}}, 2, 50, true},
		// An entrant counts only the fields its mapping uses.
		{"a field of half the entrants, none listed", 100, []field{{2, 1, 50}, {2, 0, 100}}, 2, 50, true},
		{"a field of half the entrants, none listed, 50 pages", 100, []field{{2, 1, 50}, {50, 0, 100}}, 50, 50, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var fields []*plannedField
			for _, f := range tt.fields {
				p := &plannedField{last: f.last, known: f.last > 0, missed: f.missed, missedKnown: f.missed >= 0, who: map[autocred.ContactID]bool{}}
				for i := range f.who {
					p.who[autocred.ContactID(i+1)] = true
				}
				fields = append(fields, p)
			}
			if pages, unlisted, ok := scansCost(fields); ok && (pages != tt.pages || unlisted != tt.unlisted) {
				t.Errorf("scansCost = %d pages, %d unlisted; want %d and %d", pages, unlisted, tt.pages, tt.unlisted)
			}
			if got := scansCheaper(tt.entrants, fields); got != tt.cheaper {
				t.Errorf("scansCheaper(%d) = %v, want %v", tt.entrants, got, tt.cheaper)
			}
		})
	}
}

// TestFieldPagesKeepsTheUnlistedShare: the share of its entrants a
// field's last scan did not list is remembered per segment (whom a scan
// misses depends on who enters), its pages per field, and both expire. A
// share is counted for batches up to ten times the entrants it was seen
// on: one seen on three entrants says little of three hundred.
func TestFieldPagesKeepsTheUnlistedShare(t *testing.T) {
	var f fieldPages
	k := fieldKey{1, 7}
	optional, filled := missedKey{k, "12"}, missedKey{k, "13"}
	if _, ok := f.missed.get(optional); ok {
		t.Fatal("a share remembered before any scan")
	}
	f.pages.put(k, 6)
	f.missed.put(optional, missedShare{0.95, 60})
	f.missed.put(filled, missedShare{0, 3})
	if got, ok := f.missed.get(optional); !ok || got != (missedShare{0.95, 60}) {
		t.Errorf("segment 12: %v, %v; want 0.95 of 60", got, ok)
	}
	got, ok := f.missed.get(filled)
	if !ok || got != (missedShare{0, 3}) {
		t.Errorf("segment 13: %v, %v; want 0 of 3", got, ok)
	}
	if !got.fits(30) || got.fits(31) {
		t.Errorf("a share seen on 3 entrants: counted for 30 %v, for 31 %v; want true, false", got.fits(30), got.fits(31))
	}
	if got, ok := f.pages.get(k); !ok || got != 6 {
		t.Errorf("pages: %v, %v; want 6", got, ok)
	}
	s := f.missed.m[optional]
	s.at = s.at.Add(-fieldPagesTTL - time.Second)
	f.missed.m[optional] = s
	if _, ok := f.missed.get(optional); ok {
		t.Error("a share an hour old is still trusted")
	}
}

// TestFieldsReadAtEntry: the entry's first attempt skips its own read only
// when every field its mapping uses was scanned for it, whatever case the
// mapping writes the name in.
func TestFieldsReadAtEntry(t *testing.T) {
	mapping := func(custom map[string]string) autocred.Mapping {
		m, err := autocred.ParseMapping(autocred.Action{RecipientName: "{{contact.firstName}}", RecipientEmail: "{{contact.email}}",
			CustomAttributes: custom})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	one := mapping(map[string]string{"custom.course": "{{contact.fields.Course Name}}"})
	two := mapping(map[string]string{"custom.course": "{{contact.fields.COURSE_NAME}}", "custom.city": "{{contact.fields.CITY}}"})
	none := mapping(nil)
	tests := []struct {
		name    string
		scanned map[string]int
		m       autocred.Mapping
		want    bool
		note    string
	}{
		{"scanned", map[string]int{"course name": 3}, one, true,
			`Custom field "Course Name" read by scanning 3 pages of its values, with this batch's other entrants.`},
		{"one of two scanned", map[string]int{"course_name": 1}, two, false,
			`Custom field "CITY" read for this contact. Custom field "COURSE_NAME" read by scanning 1 page of its values, with this batch's other entrants.`},
		{"not scanned", nil, one, false, `Custom field "Course Name" read for this contact.`},
		{"no field in the mapping", nil, none, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := autocred.Contact{Scanned: tt.scanned}
			if got := fieldsReadAtEntry(c, tt.m); got != tt.want {
				t.Errorf("fieldsReadAtEntry = %v, want %v", got, tt.want)
			}
			if got := fieldsReadNote(tt.m, tt.scanned); got != tt.note {
				t.Errorf("fieldsReadNote = %q, want %q", got, tt.note)
			}
		})
	}
}

package engine

import (
	"testing"

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

package store

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/autocred/autocred"
)

// The ledger's members come as one list (InSegment): every form SQLite
// and PostgreSQL give it is read, and anything else is an error, never a
// wrong member.
func TestParseIDList(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []autocred.ContactID
		ok   bool
	}{
		{"", nil, true},
		{"7", []autocred.ContactID{7}, true},
		{"1,20,300", []autocred.ContactID{1, 20, 300}, true},
		{"9223372036854775", []autocred.ContactID{9223372036854775}, true},
		{"1,,2", nil, false},
		{"1,2,", nil, false},
		{",1", nil, false},
		{"1, 2", nil, false},
		{"-1", nil, false},
		{"12345678901234567890", nil, false},
	} {
		got, err := parseIDList([]byte(tc.in))
		if (err == nil) != tc.ok || !slices.Equal(got, tc.want) {
			t.Errorf("parseIDList(%q) = %v, %v; want %v (ok %v)", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

// InSegment lists the members in, ascending, and none of those out.
func TestInSegmentListsTheMembersIn(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		a := activeFixture(t, db)
		if in, err := db.InSegment(ctx, a.ID); err != nil || len(in) != 0 {
			t.Fatalf("an empty ledger: %v, %v; want none", in, err)
		}
		if _, err := db.RecordEntries(ctx, contactRuns(a.ID, 1, 1200), time.Now(), time.Now(), true); err != nil {
			t.Fatal(err)
		}
		if left, err := db.MarkLeft(ctx, a.ID, 700, time.Now()); err != nil || !left {
			t.Fatalf("marking 700 left: %v %v", left, err)
		}
		in, err := db.InSegment(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := slices.DeleteFunc(autocred.SortIDs(func() []autocred.ContactID {
			var ids []autocred.ContactID
			for c := 1; c <= 1200; c++ {
				ids = append(ids, autocred.ContactID(c))
			}
			return ids
		}()), func(c autocred.ContactID) bool { return c == 700 })
		if !slices.Equal(in, want) {
			t.Errorf("InSegment: %d members from %v to %v; want 1 to 1200 but 700", len(in), in[:min(len(in), 3)], in[max(len(in)-3, 0):])
		}
	})
}

package engine

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/autocred/autocred"
)

func seq(from, to autocred.ContactID) []autocred.ContactID {
	var ids []autocred.ContactID
	for id := from; id <= to; id++ {
		ids = append(ids, id)
	}
	return ids
}

// TestAbsenceVerdicts: what the single-contact checks make of the members
// a read left out. stillIn are the contacts that are really in the segment
// when they are checked.
func TestAbsenceVerdicts(t *testing.T) {
	tests := []struct {
		name             string
		leavers, missing []autocred.ContactID // leavers (missing from the last read too) ⊆ missing
		stillIn          []autocred.ContactID
		wantWrong        bool
		wantLeft         []autocred.ContactID
		wantAbsent       []autocred.ContactID // nil: not compared
		maxChecks        int
	}{
		{name: "an empty read of 20 members", missing: seq(1, 20), stillIn: seq(1, 20),
			wantWrong: true, maxChecks: earlyWrongChecks},
		{name: "half a read of 1,200", missing: seq(601, 1200), stillIn: seq(1, 1200),
			wantWrong: true, maxChecks: earlyWrongChecks},
		{name: "a wrong read while others really leave", leavers: seq(1, 5), missing: seq(1, 100), stillIn: seq(6, 100),
			wantWrong: true, maxChecks: earlyWrongChecks},
		{name: "one left, first absence", missing: []autocred.ContactID{7}, wantAbsent: []autocred.ContactID{7}, maxChecks: 1},
		{name: "one left, second absence: not checked again", leavers: []autocred.ContactID{7}, missing: []autocred.ContactID{7}, stillIn: []autocred.ContactID{7},
			wantLeft: []autocred.ContactID{7}, maxChecks: 0},
		{name: "everyone left (tag removed from all 1,200)", missing: seq(1, 1200),
			wantAbsent: seq(1, 1200), maxChecks: absenceChecks},
		{name: "40 left, 10 of them back since the read", missing: seq(1, 40), stillIn: seq(31, 40),
			wantAbsent: seq(1, 30), maxChecks: 40},
		{name: "1,000 left, a few back: the sample decides", missing: seq(1, 1000), stillIn: []autocred.ContactID{500},
			maxChecks: absenceChecks},
		{name: "a glitch hiding behind a larger departure is sampled again", missing: seq(1, 200),
			stillIn: seq(1, 60), wantAbsent: nil, maxChecks: absenceChecks},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			check := func(_ context.Context, id autocred.ContactID) (bool, error) {
				calls++
				_, in := slices.BinarySearch(tt.stillIn, id)
				return in, nil
			}
			var firstMissing []autocred.ContactID
			for _, id := range tt.missing {
				if !slices.Contains(tt.leavers, id) {
					firstMissing = append(firstMissing, id)
				}
			}
			v, err := sampleMissing(context.Background(), check, firstMissing, rand.New(rand.NewPCG(1, 2)))
			if err != nil {
				t.Fatal(err)
			}
			if v.wrong != tt.wantWrong {
				t.Fatalf("wrong = %v after %d checks (%d in), want %v", v.wrong, v.checked, v.in, tt.wantWrong)
			}
			if calls > tt.maxChecks {
				t.Errorf("%d calls, want at most %d", calls, tt.maxChecks)
			}
			if v.wrong {
				return
			}
			left, absent := v.leftAndAbsent(tt.leavers, tt.missing)
			if !slices.Equal(left, tt.wantLeft) {
				t.Errorf("left = %v, want %v", left, tt.wantLeft)
			}
			if tt.wantAbsent != nil && !slices.Equal(absent, tt.wantAbsent) {
				t.Errorf("absent = %v, want %v", absent, tt.wantAbsent)
			}
			for _, id := range absent {
				if in, checked := v.stillIn[id]; checked && in {
					t.Errorf("contact %d was checked in but is marked absent", id)
				}
			}
		})
	}
}

// A right read of a segment with churn is never held back, in whatever
// order its absences are checked: 40 left, and 10 of them (quick returns)
// are back by the time they are checked. With checking stopping early at
// 5 in and four in five of those checked, about 1 order in 500 held it back.
func TestChurnIsNotAWrongRead(t *testing.T) {
	stillIn := seq(31, 40)
	check := func(_ context.Context, id autocred.ContactID) (bool, error) {
		_, in := slices.BinarySearch(stillIn, id)
		return in, nil
	}
	held := 0
	for s := range uint64(5000) {
		v, err := sampleMissing(context.Background(), check, seq(1, 40), rand.New(rand.NewPCG(s, s)))
		if err != nil {
			t.Fatal(err)
		}
		if v.wrong {
			held++
		}
	}
	if held > 0 {
		t.Errorf("a right read was taken as wrong in %d of 5000 check orders", held)
	}
}

// A check that fails is no answer: the verdict is an error, not a guess.
func TestAbsenceCheckFails(t *testing.T) {
	boom := errors.New("503")
	check := func(context.Context, autocred.ContactID) (bool, error) { return false, boom }
	if _, err := sampleMissing(context.Background(), check, []autocred.ContactID{1, 2}, rand.New(rand.NewPCG(1, 2))); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the check's error", err)
	}
}

// Where nothing can be checked one by one, no absence counts at all.
func TestUnconfirmableAbsencesCountNothing(t *testing.T) {
	v := absenceVerdict{stillIn: map[autocred.ContactID]bool{}, unconfirmable: true}
	if left, absent := v.leftAndAbsent([]autocred.ContactID{1, 2}, seq(1, 10)); len(left) != 0 || len(absent) != 0 {
		t.Fatalf("left %v, absent %v; want nothing from a read that cannot be checked", left, absent)
	}
}

package autocred

import (
	"slices"
	"testing"
)

func TestDiff(t *testing.T) {
	tests := []struct {
		name                  string
		in, snapshot          []int64
		wantEntered, wantGone []int64
	}{
		{"nothing changed", []int64{1, 2, 3}, []int64{1, 2, 3}, nil, nil},
		{"first snapshot", nil, []int64{4, 5}, []int64{4, 5}, nil},
		{"empty snapshot", []int64{4, 5}, nil, nil, []int64{4, 5}},
		{"both ways", []int64{1, 3, 5, 7}, []int64{2, 3, 6, 7, 9}, []int64{2, 6, 9}, []int64{1, 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entered, missing := Diff(tt.in, tt.snapshot)
			if !slices.Equal(entered, tt.wantEntered) || !slices.Equal(missing, tt.wantGone) {
				t.Errorf("Diff = %v, %v; want %v, %v", entered, missing, tt.wantEntered, tt.wantGone)
			}
		})
	}
}

func TestLeftNeedsTwoConsecutiveAbsences(t *testing.T) {
	tests := []struct {
		name   string
		m      Membership
		seq    int64
		wanted bool
	}{
		{"first absence", Membership{InSegment: true}, 7, false},
		{"absent in the previous snapshot too", Membership{InSegment: true, MissedSnapshot: 6}, 7, true},
		{"absent, back, absent again", Membership{InSegment: true, MissedSnapshot: 5}, 7, false},
		{"already out", Membership{InSegment: false, MissedSnapshot: 6}, 7, false},
	}
	for _, tt := range tests {
		if got := Left(tt.m, tt.seq); got != tt.wanted {
			t.Errorf("%s: Left = %v, want %v", tt.name, got, tt.wanted)
		}
	}
}

func TestSortIDs(t *testing.T) {
	if got := SortIDs([]int64{5, 1, 5, 3, 1}); !slices.Equal(got, []int64{1, 3, 5}) {
		t.Errorf("SortIDs = %v", got)
	}
}

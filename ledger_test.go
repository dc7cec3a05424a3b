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

func TestSortIDs(t *testing.T) {
	if got := SortIDs([]int64{5, 1, 5, 3, 1}); !slices.Equal(got, []int64{1, 3, 5}) {
		t.Errorf("SortIDs = %v", got)
	}
}

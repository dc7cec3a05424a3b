package autocred

import (
	"slices"
	"testing"
)

func TestDiff(t *testing.T) {
	tests := []struct {
		name                  string
		in, snapshot          []ContactID
		wantEntered, wantGone []ContactID
	}{
		{"nothing changed", []ContactID{1, 2, 3}, []ContactID{1, 2, 3}, nil, nil},
		{"first snapshot", nil, []ContactID{4, 5}, []ContactID{4, 5}, nil},
		{"empty snapshot", []ContactID{4, 5}, nil, nil, []ContactID{4, 5}},
		{"both ways", []ContactID{1, 3, 5, 7}, []ContactID{2, 3, 6, 7, 9}, []ContactID{2, 6, 9}, []ContactID{1, 5}},
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
	if got := SortIDs([]ContactID{5, 1, 5, 3, 1}); !slices.Equal(got, []ContactID{1, 3, 5}) {
		t.Errorf("SortIDs = %v", got)
	}
}

package certifier

import (
	"testing"
	"time"
)

func TestIDsAreStrictlyIncreasing(t *testing.T) {
	clk := &clock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	src := &idSource{now: clk.Now}
	prev, prevAt := src.next()
	for i := range 2000 {
		switch i {
		case 500:
			clk.Advance(time.Millisecond)
		case 1000:
			clk.Advance(-time.Hour) // the clock steps back
		}
		id, at := src.next()
		if len(id) != 26 || id <= prev || at.Before(prevAt) {
			t.Fatalf("id %d: %s (%v) after %s (%v)", i, id, at, prev, prevAt)
		}
		prev, prevAt = id, at
	}
}

func TestEncodeID(t *testing.T) {
	var zero, ones [16]byte
	for i := range ones {
		ones[i] = 0xff
	}
	if got := encodeID(zero); got != "00000000000000000000000000" {
		t.Errorf("zero: %s", got)
	}
	if got := encodeID(ones); got != "7zzzzzzzzzzzzzzzzzzzzzzzzz" {
		t.Errorf("max: %s", got)
	}
}

func TestAddMonths(t *testing.T) {
	for _, tc := range [][3]any{
		{"2025-03-01", 24, "2027-03-01"},
		{"2024-01-31", 1, "2024-02-29"},
		{"2024-02-29", 12, "2025-02-28"},
		{"2025-08-31", 1, "2025-09-30"},
		{"2025-12-15", 1, "2026-01-15"},
	} {
		if got := addMonths(tc[0].(string), tc[1].(int)); got != tc[2] {
			t.Errorf("addMonths(%v, %v) = %s, want %v", tc[0], tc[1], got, tc[2])
		}
	}
}

package autocred

import (
	"testing"
	"time"
)

// A wait line reads as a sentence, and reads back as the wait it counts;
// any other line of a log is no wait line.
func TestWaitLine(t *testing.T) {
	first := time.Date(2026, 11, 30, 14, 2, 3, 0, time.UTC)
	last := first.Add(7 * time.Minute)
	tests := []struct {
		name    string
		w       WaitLine
		message string
	}{
		{"once", WaitLine{What: "Certifier did not answer (503 Service Unavailable)", Times: 1, First: first, Last: first},
			"Waiting: Certifier did not answer (503 Service Unavailable)."},
		{"again and again", WaitLine{What: "Certifier did not answer (503 Service Unavailable)", Times: 14, First: first, Last: last},
			"Waiting: Certifier did not answer (503 Service Unavailable), 14 times between 2026-11-30T14:02:03Z and 2026-11-30T14:09:03Z."},
		{"a what of sentences", WaitLine{What: "You lack a permission. Grant it", Times: 2, First: first, Last: last},
			"Waiting: You lack a permission. Grant it, 2 times between 2026-11-30T14:02:03Z and 2026-11-30T14:09:03Z."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.w.Message(); got != tt.message {
				t.Errorf("Message() = %q, want %q", got, tt.message)
			}
			got, ok := ParseWaitLine(tt.message, first)
			if !ok || got.What != tt.w.What || got.Times != tt.w.Times || !got.First.Equal(tt.w.First) || !got.Last.Equal(tt.w.Last) {
				t.Errorf("ParseWaitLine(%q) = %+v, %v; want %+v", tt.message, got, ok, tt.w)
			}
		})
	}
	again := WaitLine{What: "x", Times: 1, First: first, Last: first}.Again(last)
	if again.Times != 2 || !again.First.Equal(first) || !again.Last.Equal(last) {
		t.Errorf("Again: %+v, want twice, from the first time to the last", again)
	}
	for _, other := range []string{"Retry requested by ada@example.com.", "Waiting for a group.", "Sent to Certifier: {}"} {
		if _, ok := ParseWaitLine(other, first); ok {
			t.Errorf("%q reads as a wait line", other)
		}
	}
}

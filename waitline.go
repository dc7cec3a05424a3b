package autocred

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// WaitLine is the line of a run's log that says why the run waits (a
// failed attempt retried later, a Certifier that does not answer, a
// missing permission). The same wait, repeated, keeps one line that
// counts it: "Waiting: Certifier did not answer (503 Service
// Unavailable), 14 times between … and …." A day-long outage so adds one
// line to a run's log, not one per try, and the log still says how often
// and over how long. The times are written in RFC 3339 (UTC), which the
// UI shows in the reader's time zone.
type WaitLine struct {
	// What says the wait in words, without a final full stop; two lines
	// of the same What are the same wait.
	What        string
	Times       int
	First, Last time.Time
}

const waitPrefix = "Waiting: "

// waitLine reads a stored WaitLine: its What, then the count and the two
// times when it repeated.
var waitLine = regexp.MustCompile(`(?s)^Waiting: (.+?)(?:, (\d+) times between (\S+) and (\S+))?\.$`)

// Normal is What as the line keeps it: without the full stop at its end,
// which the line adds.
func (w WaitLine) Normal() string { return strings.TrimRight(strings.TrimSpace(w.What), ".") }

// Message is the line as the run's log stores it.
func (w WaitLine) Message() string {
	what := w.Normal()
	if w.Times <= 1 {
		return waitPrefix + what + "."
	}
	return fmt.Sprintf("%s%s, %d times between %s and %s.", waitPrefix, what, w.Times,
		w.First.UTC().Format(time.RFC3339), w.Last.UTC().Format(time.RFC3339))
}

// ParseWaitLine reads a line written by Message; at is the line's time
// (its first occurrence). ok is false for any other line.
func ParseWaitLine(message string, at time.Time) (w WaitLine, ok bool) {
	m := waitLine.FindStringSubmatch(message)
	if m == nil {
		return WaitLine{}, false
	}
	w = WaitLine{What: m[1], Times: 1, First: at, Last: at}
	if m[2] == "" {
		return w, true
	}
	n, err := strconv.Atoi(m[2])
	first, ferr := time.Parse(time.RFC3339, m[3])
	last, lerr := time.Parse(time.RFC3339, m[4])
	if err != nil || ferr != nil || lerr != nil {
		// Not a count this package wrote: the whole text is the wait.
		return WaitLine{What: strings.TrimSuffix(strings.TrimPrefix(message, waitPrefix), "."), Times: 1, First: at, Last: at}, true
	}
	w.Times, w.First, w.Last = n, first, last
	return w, true
}

// Again is the line after the same wait happened once more, at now.
func (w WaitLine) Again(now time.Time) WaitLine {
	w.Times++
	w.Last = now
	return w
}

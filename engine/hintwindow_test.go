package engine

import (
	"sync"
	"testing"
	"time"
)

// checks records when a debouncer enqueued each check.
type checks struct {
	mu    sync.Mutex
	start time.Time
	at    []time.Duration
}

func (c *checks) check(hintArgs) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at = append(c.at, time.Since(c.start))
}

func (c *checks) times() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.at...)
}

// A contact's first hint is checked after the short settle, not after the
// full wait; hints during the settle join that check; hints after it are
// checked once when the wait since it ends; and a contact is never checked
// twice within the wait. Times are in units of 50 ms: settle 2, wait 10.
func TestHintWindows(t *testing.T) {
	const unit = 50 * time.Millisecond
	for _, tc := range []struct {
		name  string
		hints []int // when each hint arrives
		want  int   // checks
	}{
		{"one hint", []int{0}, 1},
		{"a burst within the settle", []int{0, 1}, 1},
		{"a second delivery after the check", []int{0, 5}, 2},
		{"three deliveries after the check", []int{0, 4, 6, 8}, 2},
		{"a stream for a while", []int{0, 3, 6, 9, 12, 15, 18, 21, 24, 27, 30}, 4},
		{"two changes far apart", []int{0, 20}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := &hintDebouncer{settle: 2 * unit, quiet: 10 * unit}
			c := &checks{start: time.Now()}
			args := hintArgs{ConnectionID: 1, ContactID: 7}
			for _, at := range tc.hints {
				time.Sleep(time.Until(c.start.Add(time.Duration(at) * unit)))
				d.mu.Lock()
				d.takeLocked(args, c.check)
				d.mu.Unlock()
			}
			time.Sleep(time.Until(c.start.Add(time.Duration(tc.hints[len(tc.hints)-1]+25) * unit)))
			got := c.times()
			if len(got) != tc.want {
				t.Fatalf("%d checks at %v, want %d", len(got), got, tc.want)
			}
			// The first check comes after the settle and well before the
			// wait: the point of the settle. (Late timers on a busy
			// machine make checks later, never earlier.)
			if got[0] < 2*unit || got[0] >= 10*unit {
				t.Errorf("first check at %v, want after the settle (%v) and before the wait (%v)", got[0], 2*unit, 10*unit)
			}
			for i := 1; i < len(got); i++ {
				if gap := got[i] - got[i-1]; gap < 10*unit {
					t.Errorf("checks %d and %d only %v apart, want at least the wait (%v): %v", i-1, i, gap, 10*unit, got)
				}
			}
			d.mu.Lock()
			open := len(d.windows)
			d.mu.Unlock()
			if open != 0 {
				t.Errorf("%d windows still open after the hints stopped", open)
			}
		})
	}
}

// At shutdown, a contact whose check is due (still settling, or hinted
// again after its check) is handed back to be enqueued; one already
// checked with nothing since is not.
func TestHintWindowsFlush(t *testing.T) {
	d := &hintDebouncer{settle: time.Hour, quiet: time.Hour}
	c := &checks{start: time.Now()}
	settling, checked := hintArgs{ConnectionID: 1, ContactID: 1}, hintArgs{ConnectionID: 1, ContactID: 2}
	d.mu.Lock()
	d.takeLocked(settling, c.check)
	d.windows[checked] = &hintWindow{timer: time.NewTimer(time.Hour), checked: true}
	d.mu.Unlock()
	due := d.flush()
	if len(due) != 1 || due[0] != settling {
		t.Errorf("flush returned %v, want only the contact still settling", due)
	}
}

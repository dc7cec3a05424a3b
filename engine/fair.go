package engine

import (
	"math/rand/v2"
	"sync"
	"time"
)

// Fair sharing between accounts. A sync spends most of its time waiting:
// for ActiveCampaign to evaluate the segment, and for the account's
// requests to be let through at its pace. So many syncs run at once
// (Config.SyncWorkers), but no more than Config.SyncsPerAccount of one
// ActiveCampaign connection in a process: an account with many segments due
// together, or with segments bigger than its budget reads in an interval,
// waits for its own turn and never holds the workers the other accounts'
// syncs need. A sync over its account's share is snoozed for a moment,
// which puts it behind the syncs of other accounts that are waiting (River
// takes jobs in the order of the time they are due), and it starts when
// one of its account's syncs ends. River has no limit per key of its own.

// accountSlots counts the syncs of each connection running in this
// process.
type accountSlots struct {
	limit int

	mu      sync.Mutex
	running map[int64]int
}

func newAccountSlots(limit int) *accountSlots {
	return &accountSlots{limit: limit, running: map[int64]int{}}
}

// take reserves a slot for a sync of the connection, if it has one free.
func (s *accountSlots) take(connID int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running[connID] >= s.limit {
		return false
	}
	s.running[connID]++
	return true
}

// give frees a slot taken by take.
func (s *accountSlots) give(connID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running[connID] <= 1 {
		delete(s.running, connID)
		return
	}
	s.running[connID]--
}

// accountBusySnooze is how long a sync waits when its account has no free
// slot: about the time an evaluation takes, with jitter so that the
// account's waiting syncs do not all come back in the same instant.
func accountBusySnooze() time.Duration {
	return time.Second + rand.N(time.Second)
}

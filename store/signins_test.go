package store

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestSigninRules walks the limiter's rules on a clock the test moves:
// each step is one attempt (or a successful sign-in giving its attempt
// back) at a time after the start, and what it must get.
func TestSigninRules(t *testing.T) {
	account := SigninRule{Attempts: 3, Window: 10 * time.Minute, Lock: 15 * time.Minute}
	address := SigninRule{Attempts: 5, Window: 10 * time.Minute, Lock: 15 * time.Minute}
	acct := func(email string) SigninKey { return SigninKey{"account:" + email, account} }
	addr := func(ip string) SigninKey { return SigninKey{"address:" + ip, address} }
	const ms = time.Millisecond
	type step struct {
		at      time.Duration
		keys    []SigninKey
		success bool   // the password was right: give the attempt back
		locked  string // "" allowed, else the key refused
		until   time.Duration
	}
	for _, c := range []struct {
		name  string
		steps []step
	}{
		{"three attempts, then the fourth locks for the lock's length", []step{
			{at: 0, keys: []SigninKey{acct("ann")}},
			{at: time.Second, keys: []SigninKey{acct("ann")}},
			{at: 2 * time.Second, keys: []SigninKey{acct("ann")}},
			{at: 3 * time.Second, keys: []SigninKey{acct("ann")}, locked: "account:ann", until: 15*time.Minute + 3*time.Second},
			// Refusals do not lengthen the lock.
			{at: 14 * time.Minute, keys: []SigninKey{acct("ann")}, locked: "account:ann", until: 15*time.Minute + 3*time.Second},
			{at: 15*time.Minute + 2*time.Second, keys: []SigninKey{acct("ann")}, locked: "account:ann", until: 15*time.Minute + 3*time.Second},
			// The lock ends and the count starts again.
			{at: 15*time.Minute + 3*time.Second, keys: []SigninKey{acct("ann")}},
			{at: 15*time.Minute + 4*time.Second, keys: []SigninKey{acct("ann")}},
			{at: 15*time.Minute + 5*time.Second, keys: []SigninKey{acct("ann")}},
			{at: 15*time.Minute + 6*time.Second, keys: []SigninKey{acct("ann")}, locked: "account:ann", until: 30*time.Minute + 6*time.Second},
		}},
		{"attempts spread past the window never lock", []step{
			{at: 0, keys: []SigninKey{acct("ann")}},
			{at: time.Minute, keys: []SigninKey{acct("ann")}},
			{at: 2 * time.Minute, keys: []SigninKey{acct("ann")}},
			{at: 10 * time.Minute, keys: []SigninKey{acct("ann")}}, // a new window
			{at: 11 * time.Minute, keys: []SigninKey{acct("ann")}},
			{at: 12 * time.Minute, keys: []SigninKey{acct("ann")}},
			{at: 13 * time.Minute, keys: []SigninKey{acct("ann")}, locked: "account:ann", until: 28 * time.Minute},
		}},
		{"a successful sign-in gives its attempt back", []step{
			{at: 0, keys: []SigninKey{acct("ann")}},
			{at: 1 * ms, keys: []SigninKey{acct("ann")}},
			{at: 2 * ms, keys: []SigninKey{acct("ann")}, success: true},
			{at: 3 * ms, keys: []SigninKey{acct("ann")}, success: true},
			{at: 4 * ms, keys: []SigninKey{acct("ann")}},
			{at: 5 * ms, keys: []SigninKey{acct("ann")}, locked: "account:ann", until: 15*time.Minute + 5*ms},
		}},
		{"accounts and addresses are counted apart", []step{
			{at: 0, keys: []SigninKey{acct("ann"), addr("192.0.2.1")}},
			{at: 1 * ms, keys: []SigninKey{acct("ann"), addr("192.0.2.1")}},
			{at: 2 * ms, keys: []SigninKey{acct("ann"), addr("192.0.2.1")}},
			// The account's fourth attempt locks it, and is the address's
			// fourth.
			{at: 3 * ms, keys: []SigninKey{acct("ann"), addr("192.0.2.1")}, locked: "account:ann", until: 15*time.Minute + 3*ms},
			// Another account from the same address (its fifth), and the
			// same account's lock seen from another address (not counted).
			{at: 4 * ms, keys: []SigninKey{acct("bob"), addr("192.0.2.1")}},
			{at: 5 * ms, keys: []SigninKey{acct("ann"), addr("192.0.2.2")}, locked: "account:ann", until: 15*time.Minute + 3*ms},
			{at: 6 * ms, keys: []SigninKey{acct("cat"), addr("192.0.2.2")}},
			// The address's sixth attempt locks it, for every account.
			{at: 7 * ms, keys: []SigninKey{acct("dan"), addr("192.0.2.1")}, locked: "address:192.0.2.1", until: 15*time.Minute + 7*ms},
			{at: 8 * ms, keys: []SigninKey{acct("eve"), addr("192.0.2.1")}, locked: "address:192.0.2.1", until: 15*time.Minute + 7*ms},
			{at: 9 * ms, keys: []SigninKey{acct("eve"), addr("192.0.2.3")}},
		}},
		{"the first locked key in the caller's order is named", []step{
			{at: 0, keys: []SigninKey{acct("ann"), {"address:x", SigninRule{Attempts: 1, Window: time.Hour, Lock: time.Hour}}}},
			{at: 1 * ms, keys: []SigninKey{acct("ann"), {"address:x", SigninRule{Attempts: 1, Window: time.Hour, Lock: time.Hour}}}, locked: "address:x", until: time.Hour + 1*ms},
			{at: 2 * ms, keys: []SigninKey{acct("ann")}},
			{at: 3 * ms, keys: []SigninKey{acct("ann")}, locked: "account:ann", until: 15*time.Minute + 3*ms},
			{at: 4 * ms, keys: []SigninKey{acct("ann"), {"address:x", SigninRule{Attempts: 1, Window: time.Hour, Lock: time.Hour}}}, locked: "account:ann", until: 15*time.Minute + 3*ms},
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			forEachDB(t, func(t *testing.T, db *DB) {
				ctx := context.Background()
				start := time.UnixMilli(1_800_000_000_000)
				for i, s := range c.steps {
					now := start.Add(s.at)
					got, err := db.BeginSignin(ctx, now, s.keys...)
					if err != nil {
						t.Fatalf("step %d: %v", i, err)
					}
					switch {
					case s.locked == "" && got != nil:
						t.Errorf("step %d at +%v: refused (%s locked until +%v), want allowed", i, s.at, got.Key, got.Until.Sub(start))
					case s.locked != "" && got == nil:
						t.Errorf("step %d at +%v: allowed, want %s locked", i, s.at, s.locked)
					case s.locked != "" && (got.Key != s.locked || !got.Until.Equal(start.Add(s.until).Truncate(time.Millisecond))):
						t.Errorf("step %d at +%v: %s locked until +%v, want %s until +%v", i, s.at, got.Key, got.Until.Sub(start), s.locked, s.until)
					}
					if s.success && got == nil {
						keys := make([]string, len(s.keys))
						for j, k := range s.keys {
							keys[j] = k.Key
						}
						if err := db.SigninSucceeded(ctx, keys...); err != nil {
							t.Fatal(err)
						}
					}
				}
			})
		})
	}
}

// TestSigninParallel: many guesses at once, as from many nodes, get no
// more password checks than the rule allows.
func TestSigninParallel(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		rule := SigninRule{Attempts: 10, Window: 15 * time.Minute, Lock: 15 * time.Minute}
		now := time.Now()
		var allowed atomic.Int32
		var wg sync.WaitGroup
		for range 40 {
			wg.Go(func() {
				got, err := db.BeginSignin(context.Background(), now, SigninKey{"account:ann", rule})
				if err != nil {
					t.Error(err)
				}
				if got == nil {
					allowed.Add(1)
				}
			})
		}
		wg.Wait()
		if n := allowed.Load(); n != 10 {
			t.Errorf("40 guesses at once: %d allowed, want 10", n)
		}
	})
}

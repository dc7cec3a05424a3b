package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"time"
)

// SigninRule limits the sign-in attempts of one key (an account, a client
// address): at most Attempts attempts in a Window that starts at the first
// of them; the next attempt in the window is refused and locks the key for
// Lock, during which every attempt is refused, the right password too.
// When the lock ends, the count starts again. So a key gets at most about
// Attempts password checks per Lock, whatever the number of nodes.
type SigninRule struct {
	Attempts int
	Window   time.Duration
	Lock     time.Duration
}

// SigninKey is one thing whose attempts are counted under Rule. Key is any
// text ("account:ann@example.com"); the database keeps only its SHA-256.
type SigninKey struct {
	Key  string
	Rule SigninRule
}

// SigninLocked says that an attempt was refused: Key is locked until Until.
type SigninLocked struct {
	Key   string
	Until time.Time
}

func signinHash(key string) []byte {
	h := sha256.Sum256([]byte(key))
	return h[:]
}

// BeginSignin counts an attempt against each key, before the password is
// checked, so that neither many guesses at once nor guesses spread over
// several nodes get more password checks than the rules allow. It returns
// nil when the attempt may go on, or the first of keys that is locked (the
// caller lists the key whose message it prefers first). An attempt on a
// key that is locked already is not counted anywhere and writes nothing,
// so that refusals are cheap and do not lengthen a lock.
//
// now is the caller's clock; the nodes' clocks need only agree to within
// a small part of the lock (seconds against minutes).
func (db *DB) BeginSignin(ctx context.Context, now time.Time, keys ...SigninKey) (*SigninLocked, error) {
	t := ms(now)
	for _, k := range keys {
		var until int64
		err := db.pool().QueryRowContext(ctx, `SELECT locked_until FROM signin_attempts WHERE key = ?`, signinHash(k.Key)).Scan(&until)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("reading sign-in attempts: %w", err)
		}
		if until > t {
			return &SigninLocked{Key: k.Key, Until: fromMS(until)}, nil
		}
	}
	// Stale rows go when an attempt is counted (a refusal writes
	// nothing); the index on window_ends keeps this short.
	if _, err := db.pool().ExecContext(ctx, `DELETE FROM signin_attempts WHERE window_ends <= ? AND locked_until <= ?`, t, t); err != nil {
		return nil, fmt.Errorf("forgetting old sign-in attempts: %w", err)
	}
	// Counted one statement a key, in the order of the hashes, so that
	// attempts on other nodes wait for each other's rows instead of
	// deadlocking; each statement counts atomically.
	order := make([]int, len(keys))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool {
		return bytes.Compare(signinHash(keys[order[a]].Key), signinHash(keys[order[b]].Key)) < 0
	})
	var locked *SigninLocked
	lockedAt := len(keys)
	for _, i := range order {
		k := keys[i]
		var until int64
		// over: this attempt is the one past the limit, and locks.
		over := `(signin_attempts.locked_until <= ? AND signin_attempts.window_ends > ? AND signin_attempts.attempts >= ?)`
		err := db.pool().QueryRowContext(ctx, `INSERT INTO signin_attempts (key, attempts, window_ends, locked_until) VALUES (?, 1, ?, 0)
			ON CONFLICT (key) DO UPDATE SET
			  attempts = CASE WHEN signin_attempts.window_ends <= ? THEN 1 WHEN `+over+` THEN 0 ELSE signin_attempts.attempts + 1 END,
			  window_ends = CASE WHEN signin_attempts.window_ends <= ? THEN excluded.window_ends WHEN `+over+` THEN ? ELSE signin_attempts.window_ends END,
			  locked_until = CASE WHEN `+over+` THEN ? ELSE signin_attempts.locked_until END
			RETURNING locked_until`,
			signinHash(k.Key), ms(now.Add(k.Rule.Window)),
			t, t, t, k.Rule.Attempts,
			t, t, t, k.Rule.Attempts, ms(now.Add(k.Rule.Lock)),
			t, t, k.Rule.Attempts, ms(now.Add(k.Rule.Lock))).Scan(&until)
		if err != nil {
			return nil, fmt.Errorf("counting a sign-in attempt: %w", err)
		}
		if until > t && i < lockedAt {
			locked, lockedAt = &SigninLocked{Key: k.Key, Until: fromMS(until)}, i
		}
	}
	return locked, nil
}

// SigninSucceeded gives back the attempt that BeginSignin counted against
// each key, once the password was right: people who sign in are never
// locked out by their own sign-ins, while the failures before stay counted
// until their window ends.
func (db *DB) SigninSucceeded(ctx context.Context, keys ...string) error {
	for _, k := range keys {
		if _, err := db.pool().ExecContext(ctx, `UPDATE signin_attempts SET attempts = attempts - 1 WHERE key = ? AND attempts > 0`, signinHash(k)); err != nil {
			return fmt.Errorf("giving back a sign-in attempt: %w", err)
		}
	}
	return nil
}

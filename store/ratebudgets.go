package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// nowMicros is the database's clock in Unix microseconds. The budgets are
// reckoned by the one clock every node shares, so that skew between the
// nodes' clocks cannot squeeze two requests closer than the interval.
func (db *DB) nowMicros() string {
	if db.postgres {
		return `(extract(epoch FROM clock_timestamp()) * 1000000)::bigint`
	}
	return `CAST(unixepoch('subsec') * 1000000 AS INTEGER)`
}

// ReserveRequest takes the next request slot of the budget named key, whose
// requests must be at least interval apart, and returns how long the caller
// must wait before sending its request (0: at once).
//
// It is GCRA with no burst: the row holds the earliest time the next
// request may go; a reservation moves it one interval past the later of
// that time and now. One statement, so concurrent callers on any node get
// distinct slots. A slot whose caller gives up is not handed back: the
// budget errs on the side of fewer requests.
func (db *DB) ReserveRequest(ctx context.Context, key string, interval time.Duration) (time.Duration, error) {
	step := interval.Microseconds()
	if step <= 0 {
		return 0, nil
	}
	greatest := "MAX"
	if db.postgres {
		greatest = "GREATEST"
	}
	now := db.nowMicros()
	var wait int64
	err := db.pool().QueryRowContext(ctx, `INSERT INTO rate_budgets (key, next_at) VALUES (?, `+now+` + ?)
		ON CONFLICT (key) DO UPDATE SET next_at = `+greatest+`(rate_budgets.next_at, excluded.next_at - ?) + ?
		RETURNING next_at - ? - `+now,
		key, step, step, step, step).Scan(&wait)
	if err != nil {
		return 0, fmt.Errorf("reserving a request of %s: %w", key, err)
	}
	return time.Duration(max(wait, 0)) * time.Microsecond, nil
}

// pauseKey names the row that holds a budget's pause: its next_at is when
// the budget's requests may go again, whatever their pace.
func pauseKey(key string) string { return key + "#pause" }

// PauseRequests holds every request of the budget named key for d from now
// (by the database's clock), unless it is held longer already: the service
// answered one of them "Retry-After", and the budget is the account's, so
// every node's requests wait.
func (db *DB) PauseRequests(ctx context.Context, key string, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	greatest := "MAX"
	if db.postgres {
		greatest = "GREATEST"
	}
	_, err := db.pool().ExecContext(ctx, `INSERT INTO rate_budgets (key, next_at) VALUES (?, `+db.nowMicros()+` + ?)
		ON CONFLICT (key) DO UPDATE SET next_at = `+greatest+`(rate_budgets.next_at, excluded.next_at)`,
		pauseKey(key), d.Microseconds())
	if err != nil {
		return fmt.Errorf("pausing the requests of %s: %w", key, err)
	}
	return nil
}

// RequestsPausedFor says how long the budget named key is still paused
// (0: it is not).
func (db *DB) RequestsPausedFor(ctx context.Context, key string) (time.Duration, error) {
	var left int64
	err := db.pool().QueryRowContext(ctx, `SELECT next_at - `+db.nowMicros()+` FROM rate_budgets WHERE key = ?`, pauseKey(key)).Scan(&left)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("reading the pause of %s: %w", key, err)
	}
	return time.Duration(max(left, 0)) * time.Microsecond, nil
}

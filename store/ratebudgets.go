package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/autocred/autocred/internal/ratelimit"
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

// leftKey names the row that holds when one of a budget's last requests
// left, the i-th of them. The rows of one budget are one range of the
// primary key, from leftKey(key, 0) to leftKey(key, perSecond-1).
func leftKey(key string, i int) string { return fmt.Sprintf("%s#left#%04d", key, i) }

// maxLeaveTries bounds how often LeaveRequest looks for a free place when
// another node took the one it found at the same moment.
const maxLeaveTries = 8

// LeaveRequest records a request of the budget named key as leaving now,
// if fewer than perSecond of the budget's requests left in the last second
// (on any node, by the database's clock), and returns the departure, how
// many left in that second, this one included, and a zero wait. When
// perSecond left already, it records nothing and returns how long until
// the oldest of them is a second old.
//
// The budget's last perSecond departures are perSecond rows, each the time
// one request left (0: none yet): a request may leave when the oldest is a
// second old, and takes its row. One UPDATE takes the row, so concurrent
// callers on any node never take the same one: a caller whose row another
// took first (the WHERE no longer holds once it has the row's lock) looks
// again. perSecond above 9999 is taken as 9999.
func (db *DB) LeaveRequest(ctx context.Context, key string, perSecond int) (d ratelimit.Departure, inLastSecond int, wait time.Duration, err error) {
	if perSecond <= 0 {
		return d, 0, 0, nil
	}
	perSecond = min(perSecond, 9999)
	first, last := leftKey(key, 0), leftKey(key, perSecond-1)
	now := db.nowMicros()
	for range maxLeaveTries {
		err := db.pool().QueryRowContext(ctx, `UPDATE rate_budgets SET next_at = `+now+`
			WHERE key = (SELECT key FROM rate_budgets WHERE key BETWEEN ? AND ? ORDER BY next_at, key LIMIT 1)
			AND next_at <= `+now+` - 1000000
			RETURNING key, next_at, 1 + (SELECT count(*) FROM rate_budgets r WHERE r.key BETWEEN ? AND ? AND r.key <> rate_budgets.key AND r.next_at > `+now+` - 1000000)`,
			first, last, first, last).Scan(&d.Place, &d.At, &inLastSecond)
		if err == nil {
			return d, inLastSecond, 0, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return d, 0, 0, fmt.Errorf("recording a request of %s as it leaves: %w", key, err)
		}
		// No row was free: either perSecond left in the last second, or
		// another node took the free row first, or the rows are not there
		// yet (the budget's first request, or a larger budget than before).
		var rows int
		var oldest int64
		err = db.pool().QueryRowContext(ctx, `SELECT count(*), COALESCE(MIN(next_at), 0) + 1000000 - `+now+`
			FROM rate_budgets WHERE key BETWEEN ? AND ?`, first, last).Scan(&rows, &oldest)
		if err != nil {
			return d, 0, 0, fmt.Errorf("reading when the requests of %s left: %w", key, err)
		}
		if rows < perSecond {
			if err := db.addLeftRows(ctx, key, perSecond); err != nil {
				return d, 0, 0, err
			}
			continue
		}
		if oldest > 0 {
			// At most a second, whatever the rows say: a row further
			// ahead is a database clock stepped back, and the caller
			// asks again rather than wait out the step.
			return d, 0, min(time.Duration(oldest)*time.Microsecond, time.Second), nil
		}
	}
	// Others kept taking the free rows first: the caller waits a moment
	// and asks again, rather than loop on the database.
	return d, 0, time.Millisecond, nil
}

// RetimeDeparture moves the departure d, recorded by LeaveRequest, to now
// (by the database's clock), unless its row has been taken by another
// request since (its record was a second old): ok says it moved. Later
// is always safe: the row frees a second after the new time.
func (db *DB) RetimeDeparture(ctx context.Context, d ratelimit.Departure) (ok bool, err error) {
	res, err := db.pool().ExecContext(ctx, `UPDATE rate_budgets SET next_at = `+db.nowMicros()+` WHERE key = ? AND next_at = ?`, d.Place, d.At)
	if err != nil {
		return false, fmt.Errorf("moving the departure %s to now: %w", d.Place, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("moving the departure %s to now: %w", d.Place, err)
	}
	return n == 1, nil
}

// addLeftRows adds the rows of a budget's departures that are missing,
// each as a departure long ago.
func (db *DB) addLeftRows(ctx context.Context, key string, perSecond int) error {
	var q strings.Builder
	q.WriteString(`INSERT INTO rate_budgets (key, next_at) VALUES `)
	args := make([]any, 0, perSecond)
	for i := range perSecond {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, 0)")
		args = append(args, leftKey(key, i))
	}
	q.WriteString(` ON CONFLICT (key) DO NOTHING`)
	if _, err := db.pool().ExecContext(ctx, q.String(), args...); err != nil {
		return fmt.Errorf("adding the departures of %s: %w", key, err)
	}
	return nil
}

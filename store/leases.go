package store

import (
	"context"
	"fmt"
	"time"
)

// AcquireLease takes or renews the lease on key for holder until the given
// time. It fails (false) while another holder's lease is live.
func (db *DB) AcquireLease(ctx context.Context, key, holder string, until time.Time) (bool, error) {
	res, err := db.pool().ExecContext(ctx, `INSERT INTO leases (key, holder, until) VALUES (?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET holder = excluded.holder, until = excluded.until
		WHERE leases.until < ? OR leases.holder = excluded.holder`,
		key, holder, ms(until), ms(db.now()))
	if err != nil {
		return false, fmt.Errorf("taking lease %s: %w", key, err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// RenewLease extends a lease that holder holds until the given time. It
// fails (false) when holder no longer holds it: another holder took it
// after it lapsed, or it was released.
func (db *DB) RenewLease(ctx context.Context, key, holder string, until time.Time) (bool, error) {
	res, err := db.pool().ExecContext(ctx, `UPDATE leases SET until = ? WHERE key = ? AND holder = ?`, ms(until), key, holder)
	if err != nil {
		return false, fmt.Errorf("renewing lease %s: %w", key, err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// Lease names a lease and its holder, for a write that gives it up with
// the work it guarded (SaveRunWith).
type Lease struct{ Key, Holder string }

// ReleaseLease gives a lease up, if holder still holds it.
func (db *DB) ReleaseLease(ctx context.Context, key, holder string) error {
	return db.releaseLease(ctx, db.pool(), key, holder)
}

func (db *DB) releaseLease(ctx context.Context, q querier, key, holder string) error {
	_, err := q.ExecContext(ctx, `DELETE FROM leases WHERE key = ? AND holder = ?`, key, holder)
	return err
}

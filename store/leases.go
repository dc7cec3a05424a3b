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

// ReleaseLease gives a lease up, if holder still holds it.
func (db *DB) ReleaseLease(ctx context.Context, key, holder string) error {
	_, err := db.pool().ExecContext(ctx, `DELETE FROM leases WHERE key = ? AND holder = ?`, key, holder)
	return err
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/autocred/autocred"
)

const circuitColumns = `connection_id, open, reason, message, failures, failing_since, next_probe_at, interval_ms, probe_holder, probe_until, probes`

func scanCircuit(row rowScanner) (autocred.Circuit, error) {
	var c autocred.Circuit
	var open bool
	var since, next, interval, until int64
	err := row.Scan(&c.ConnectionID, &open, &c.Reason, &c.Message, &c.Failures, &since, &next, &interval, &c.ProbeHolder, &until, &c.Probes)
	c.Open = open
	c.FailingSince, c.NextProbe, c.ProbeUntil = fromMS(since), fromMS(next), fromMS(until)
	c.Interval = time.Duration(interval) * time.Millisecond
	return c, err
}

// Circuit reads the circuit of a Certifier connection; a connection that
// never failed has a closed one.
func (db *DB) Circuit(ctx context.Context, connID int64) (autocred.Circuit, error) {
	c, err := scanCircuit(db.pool().QueryRowContext(ctx, `SELECT `+circuitColumns+` FROM certifier_circuits WHERE connection_id = ?`, connID))
	if errors.Is(err, sql.ErrNoRows) {
		return autocred.Circuit{ConnectionID: connID}, nil
	}
	if err != nil {
		return c, fmt.Errorf("reading the circuit of connection %d: %w", connID, err)
	}
	return c, nil
}

// OpenCircuits lists the circuits that are open, by connection.
func (db *DB) OpenCircuits(ctx context.Context) ([]autocred.Circuit, error) {
	return queryAll(ctx, db.pool(), scanCircuit, `SELECT `+circuitColumns+` FROM certifier_circuits WHERE open = 1 ORDER BY connection_id`)
}

// UpdateCircuit reads the circuit of a Certifier connection, with its row
// locked against every other node, and saves it if fn says it changed it.
// It returns the circuit as it stands after fn.
func (db *DB) UpdateCircuit(ctx context.Context, connID int64, fn func(c *autocred.Circuit) (changed bool)) (autocred.Circuit, error) {
	var c autocred.Circuit
	err := db.tx(ctx, func(tx *sql.Tx) error {
		q := db.in(tx)
		// The row exists before it is locked, so that two nodes that
		// count the first failure at once both wait for one row.
		if _, err := q.ExecContext(ctx, `INSERT INTO certifier_circuits (connection_id, updated_at) VALUES (?, ?)
			ON CONFLICT (connection_id) DO NOTHING`, connID, ms(db.now())); err != nil {
			return err
		}
		lock := "" // SQLite: the transaction holds the write lock already
		if db.postgres {
			lock = " FOR UPDATE"
		}
		var err error
		c, err = scanCircuit(q.QueryRowContext(ctx, `SELECT `+circuitColumns+` FROM certifier_circuits WHERE connection_id = ?`+lock, connID))
		if err != nil {
			return err
		}
		if !fn(&c) {
			return nil
		}
		_, err = q.ExecContext(ctx, `UPDATE certifier_circuits SET open = ?, reason = ?, message = ?, failures = ?, failing_since = ?,
			next_probe_at = ?, interval_ms = ?, probe_holder = ?, probe_until = ?, probes = ?, updated_at = ? WHERE connection_id = ?`,
			boolInt(c.Open), c.Reason, c.Message, c.Failures, ms(c.FailingSince), ms(c.NextProbe), c.Interval.Milliseconds(),
			c.ProbeHolder, ms(c.ProbeUntil), c.Probes, ms(db.now()), connID)
		return err
	})
	if err != nil {
		return c, fmt.Errorf("updating the circuit of connection %d: %w", connID, err)
	}
	return c, nil
}

// WaitingRuns counts the pending runs of the automations that issue
// through a Certifier connection: the runs its circuit keeps waiting.
func (db *DB) WaitingRuns(ctx context.Context, connID int64) (int, error) {
	var n int
	err := db.pool().QueryRowContext(ctx, `SELECT count(*) FROM runs r JOIN automations a ON a.id = r.automation_id
		WHERE r.status IN `+sqlPending+` AND a.action_connection_id = ?`, connID).Scan(&n)
	return n, err
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

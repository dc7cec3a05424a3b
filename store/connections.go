package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/autocred/autocred"
)

const connectionColumns = `id, app, name, api_url, secret_hint, status, status_reason, created_at, updated_at`

func scanConnection(row rowScanner) (autocred.Connection, error) {
	var s connectionScan
	err := row.Scan(s.dest()...)
	return s.decode(), err
}

// connectionScan is one row of connectionColumns being read: dest is
// where Scan puts it, decode makes the connection of it.
type connectionScan struct {
	c                autocred.Connection
	created, updated int64
}

func (s *connectionScan) dest() []any {
	c := &s.c
	return []any{&c.ID, &c.App, &c.Name, &c.APIURL, &c.SecretHint, &c.Status, &c.StatusReason, &s.created, &s.updated}
}

func (s *connectionScan) decode() autocred.Connection {
	c := s.c
	c.CreatedAt, c.UpdatedAt = fromMS(s.created), fromMS(s.updated)
	return c
}

// CreateConnection stores a connection with its sealed key and sets c.ID.
func (db *DB) CreateConnection(ctx context.Context, c *autocred.Connection, sealed []byte) error {
	now := db.now()
	c.CreatedAt, c.UpdatedAt = now.UTC(), now.UTC()
	if c.Status == "" {
		c.Status = autocred.ConnectionOK
	}
	err := db.pool().QueryRowContext(ctx, `INSERT INTO connections (app, name, api_url, secret, secret_hint, status, status_reason, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		c.App, c.Name, c.APIURL, sealed, c.SecretHint, c.Status, c.StatusReason, ms(now), ms(now)).Scan(&c.ID)
	if err != nil {
		return fmt.Errorf("storing connection: %w", err)
	}
	return nil
}

// ReplaceConnection saves a connection's new name, URL and key (a user
// reconnecting it): it works again, so its status is ok. The automations it
// stopped stay stopped until a user resumes them, but once none of their
// connections is broken they are no longer broken: they become paused,
// what they said about the refused key is cleared, and their reason says
// that resuming is what is left (settleReconnected).
func (db *DB) ReplaceConnection(ctx context.Context, c *autocred.Connection, sealed []byte) error {
	c.UpdatedAt = db.now().UTC()
	c.Status, c.StatusReason = autocred.ConnectionOK, ""
	return db.tx(ctx, func(tx *sql.Tx) error {
		res, err := db.in(tx).ExecContext(ctx, `UPDATE connections SET name = ?, api_url = ?, secret = ?, secret_hint = ?,
			status = ?, status_reason = '', updated_at = ? WHERE id = ? AND app = ?`,
			c.Name, c.APIURL, sealed, c.SecretHint, c.Status, ms(c.UpdatedAt), c.ID, c.App)
		if err != nil {
			return fmt.Errorf("saving connection %d: %w", c.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return autocred.Errorf(autocred.ENOTFOUND, "connection %d does not exist", c.ID)
		}
		err = db.settleReconnected(ctx, tx, `(trigger_connection_id = ? OR action_connection_id = ?)`, c.ID, c.ID)
		if err != nil {
			return fmt.Errorf("clearing what the automations of connection %d said about its old key: %w", c.ID, err)
		}
		return nil
	})
}

// settleReconnected pauses the broken automations (of those where selects,
// with its args) whose connections all work again: a badge that says
// "Broken" when nothing is broken any more would send the user looking for
// a fault. Their reason says that resuming is what is left
// (autocred.ReconnectedReason), and their sync error, about the refused
// key, is cleared.
func (db *DB) settleReconnected(ctx context.Context, tx *sql.Tx, where string, args ...any) error {
	_, err := db.in(tx).ExecContext(ctx, `UPDATE automations SET status = ?, status_reason = ?, last_sync_error = '', updated_at = ?
		WHERE status = ? AND `+where+`
		AND NOT EXISTS (SELECT 1 FROM connections k WHERE k.status = ?
			AND (k.id = automations.trigger_connection_id OR k.id = automations.action_connection_id))`,
		append([]any{autocred.AutomationPaused, autocred.ReconnectedReason, ms(db.now()), autocred.AutomationBroken}, append(args, autocred.ConnectionBroken)...)...)
	return err
}

// Connection reads one connection.
func (db *DB) Connection(ctx context.Context, id int64) (autocred.Connection, error) {
	c, err := scanConnection(db.pool().QueryRowContext(ctx, `SELECT `+connectionColumns+` FROM connections WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, autocred.Errorf(autocred.ENOTFOUND, "connection %d does not exist", id)
	}
	return c, err
}

// ConnectionSecret reads a connection's sealed key.
func (db *DB) ConnectionSecret(ctx context.Context, id int64) ([]byte, error) {
	var sealed []byte
	err := db.pool().QueryRowContext(ctx, `SELECT secret FROM connections WHERE id = ?`, id).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, autocred.Errorf(autocred.ENOTFOUND, "connection %d does not exist", id)
	}
	return sealed, err
}

// Connections lists every connection, oldest first.
func (db *DB) Connections(ctx context.Context) ([]autocred.Connection, error) {
	return queryAll(ctx, db.pool(), scanConnection, `SELECT `+connectionColumns+` FROM connections ORDER BY id`)
}

// DeleteConnection removes a connection that no automation uses.
func (db *DB) DeleteConnection(ctx context.Context, id int64) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		var users, archived int
		err := db.in(tx).QueryRowContext(ctx, `SELECT count(*), count(CASE WHEN status = ? THEN 1 END) FROM automations
			WHERE trigger_connection_id = ? OR action_connection_id = ?`, autocred.AutomationArchived, id, id).Scan(&users, &archived)
		if err != nil {
			return err
		}
		switch {
		case users > archived:
			return autocred.Errorf(autocred.ECONFLICT, "connection %d is used by %d automation(s); delete them or point them at another connection first", id, users-archived)
		case archived > 0:
			return autocred.Errorf(autocred.ECONFLICT, "connection %d is used by %d archived automation(s), which keep their history and their connection: delete their history, then delete them for good, first", id, archived)
		}
		res, err := db.in(tx).ExecContext(ctx, `DELETE FROM connections WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return autocred.Errorf(autocred.ENOTFOUND, "connection %d does not exist", id)
		}
		return nil
	})
}

// SetConnectionStatus records whether a connection's key works. Marking it
// broken also stops every watching automation that uses it, in the same
// transaction, so no job keeps calling with a refused key (and makes broken
// again those paused only for a user to resume them since the last
// reconnect, whose reason would otherwise say that their keys work); and it marks
// broken as well every other connection of the same account with the same
// key (see SetSameKey), which that refusal also concerns.
func (db *DB) SetConnectionStatus(ctx context.Context, id int64, status autocred.ConnectionStatus, reason string) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		now := ms(db.now())
		ids := []int64{id}
		if status == autocred.ConnectionBroken {
			same, err := db.sameKeyAs(ctx, tx, id)
			if err != nil {
				return err
			}
			ids = append(ids, same...)
		}
		for _, id := range ids {
			if _, err := db.in(tx).ExecContext(ctx, `UPDATE connections SET status = ?, status_reason = ?, updated_at = ? WHERE id = ?`, status, reason, now, id); err != nil {
				return err
			}
			if status != autocred.ConnectionBroken {
				continue
			}
			_, err := db.in(tx).ExecContext(ctx, `UPDATE automations SET status = ?, status_reason = ?, updated_at = ?
				WHERE (status IN `+sqlWatching+` OR status = ? AND status_reason = ?) AND (trigger_connection_id = ? OR action_connection_id = ?)`,
				autocred.AutomationBroken, "connection stopped working: "+reason, now, autocred.AutomationPaused, autocred.ReconnectedReason, id, id)
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// SetSameKey gives the store the way to tell whether two sealed keys are
// the same key. The store never opens a key (it holds no secret.Box), and
// sealing is randomised, so one key sealed twice gives two different byte
// strings: only opening both tells. It is a function the service hands
// over once, rather than a list of connections the service works out,
// because most refusals are met by the engine (a sync or an issue), which
// calls SetConnectionStatus directly, and the duplicates are marked in the
// same transaction as the refused one. (A fingerprint column would need a
// migration, for the few connections made before an account could no
// longer be connected twice.) Without it (a store used with no service), a
// refused key marks only its own connection broken. It may be set after
// the engine started, hence atomic.
func (db *DB) SetSameKey(same func(a, b []byte) bool) { db.sameKey.Store(&same) }

// sameKeyAs lists the other working connections of connection id's app and
// API URL whose key is the same as its key.
func (db *DB) sameKeyAs(ctx context.Context, tx *sql.Tx, id int64) ([]int64, error) {
	sameKey := db.sameKey.Load()
	if sameKey == nil {
		return nil, nil
	}
	var app, apiURL string
	var sealed []byte
	err := db.in(tx).QueryRowContext(ctx, `SELECT app, api_url, secret FROM connections WHERE id = ?`, id).Scan(&app, &apiURL, &sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	type keyed struct {
		id     int64
		sealed []byte
	}
	others, err := queryAll(ctx, db.in(tx), func(row rowScanner) (keyed, error) {
		var k keyed
		return k, row.Scan(&k.id, &k.sealed)
	}, `SELECT id, secret FROM connections WHERE app = ? AND api_url = ? AND id <> ? AND status = ?`, app, apiURL, id, autocred.ConnectionOK)
	if err != nil {
		return nil, err
	}
	var same []int64
	for _, o := range others {
		if (*sameKey)(sealed, o.sealed) {
			same = append(same, o.id)
		}
	}
	return same, nil
}

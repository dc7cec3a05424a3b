package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Setting reads a setting of the installation; "" if it was never set.
func (db *DB) Setting(ctx context.Context, name string) (string, error) {
	var v string
	err := db.pool().QueryRowContext(ctx, `SELECT value FROM settings WHERE name = ?`, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("reading setting %s: %w", name, err)
	}
	return v, nil
}

// InitSetting sets a setting unless it is set already, and returns the
// value it has: the first of several processes starting at once wins.
func (db *DB) InitSetting(ctx context.Context, name, value string) (string, error) {
	if _, err := db.pool().ExecContext(ctx, `INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`, name, value); err != nil {
		return "", fmt.Errorf("setting %s: %w", name, err)
	}
	return db.Setting(ctx, name)
}

// SetSetting sets a setting, replacing any value it had.
func (db *DB) SetSetting(ctx context.Context, name, value string) error {
	_, err := db.pool().ExecContext(ctx, `INSERT INTO settings (name, value) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, value)
	if err != nil {
		return fmt.Errorf("setting %s: %w", name, err)
	}
	return nil
}

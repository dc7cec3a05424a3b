package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/autocred/autocred"
)

// SessionTTL is how long a web session lasts after sign-in.
const SessionTTL = 14 * 24 * time.Hour

// errNoSession covers a missing, unknown and expired session alike.
var errNoSession = autocred.Errorf(autocred.EUNAUTHORIZED, "not signed in, or the session has expired")

// CreateSession starts a session for a user and returns its token, for the
// cookie. Only the token's hash is stored. Expired sessions are removed on
// the way, so the table never grows without bound.
func (db *DB) CreateSession(ctx context.Context, userID int64) (token string, expires time.Time, err error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", time.Time{}, err
	}
	token = base64.RawURLEncoding.EncodeToString(raw)
	hash := sha256.Sum256([]byte(token))
	now := db.now().UTC()
	expires = now.Add(SessionTTL)
	err = db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := db.in(tx).ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= ?`, ms(now)); err != nil {
			return err
		}
		_, err := db.in(tx).ExecContext(ctx, `INSERT INTO sessions (id, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)`,
			hash[:], userID, ms(now), ms(expires))
		return err
	})
	if err != nil {
		return "", time.Time{}, fmt.Errorf("storing session: %w", err)
	}
	return token, expires, nil
}

// SessionUser returns the user of a live session.
func (db *DB) SessionUser(ctx context.Context, token string) (autocred.User, error) {
	if token == "" {
		return autocred.User{}, errNoSession
	}
	hash := sha256.Sum256([]byte(token))
	var u autocred.User
	var created int64
	err := db.pool().QueryRowContext(ctx, `SELECT u.id, u.email, u.created_at FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.id = ? AND s.expires_at > ?`, hash[:], ms(db.now())).Scan(&u.ID, &u.Email, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return autocred.User{}, errNoSession
	}
	if err != nil {
		return autocred.User{}, err
	}
	u.CreatedAt = fromMS(created)
	return u, nil
}

// DeleteSession ends a session (sign out). An unknown token is not an error.
func (db *DB) DeleteSession(ctx context.Context, token string) error {
	hash := sha256.Sum256([]byte(token))
	_, err := db.pool().ExecContext(ctx, `DELETE FROM sessions WHERE id = ?`, hash[:])
	return err
}

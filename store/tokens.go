package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/autocred/autocred"
)

// tokenPrefix marks autocred API tokens, so that a leaked one is easy to
// recognise in a log or a secret scanner.
const tokenPrefix = "acr_"

// CreateToken makes a new API token and returns it; only its hash is kept,
// so it cannot be shown again.
func (db *DB) CreateToken(ctx context.Context, name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return "", autocred.FieldErrorf("name", "is required (at most 100 characters): say who or what uses the token")
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	token := tokenPrefix + base64.RawURLEncoding.EncodeToString(raw)
	hash := sha256.Sum256([]byte(token))
	_, err := db.pool().ExecContext(ctx, `INSERT INTO api_tokens (name, hash, created_at) VALUES (?, ?, ?)`, name, hash[:], ms(db.now()))
	if err != nil {
		return "", fmt.Errorf("storing token: %w", err)
	}
	return token, nil
}

// CheckToken returns the name of a valid token and records its use. The
// lookup is by hash, so timing tells nothing about stored tokens.
func (db *DB) CheckToken(ctx context.Context, token string) (string, error) {
	if !strings.HasPrefix(token, tokenPrefix) {
		return "", autocred.Errorf(autocred.EUNAUTHORIZED, "invalid API token")
	}
	hash := sha256.Sum256([]byte(token))
	var id int64
	var name string
	err := db.pool().QueryRowContext(ctx, `SELECT id, name FROM api_tokens WHERE hash = ?`, hash[:]).Scan(&id, &name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", autocred.Errorf(autocred.EUNAUTHORIZED, "invalid API token")
	}
	if err != nil {
		return "", err
	}
	_, _ = db.pool().ExecContext(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, ms(db.now()), id)
	return name, nil
}

// Token is an API token as it is listed: its hash is never read back.
type Token struct {
	ID         int64
	Name       string
	CreatedAt  time.Time
	LastUsedAt time.Time // zero if never used
}

// Tokens lists the API tokens, oldest first.
func (db *DB) Tokens(ctx context.Context) ([]Token, error) {
	return queryAll(ctx, db.pool(), func(row rowScanner) (Token, error) {
		var t Token
		var created, used int64
		err := row.Scan(&t.ID, &t.Name, &created, &used)
		t.CreatedAt, t.LastUsedAt = fromMS(created), fromMS(used)
		return t, err
	}, `SELECT id, name, created_at, last_used_at FROM api_tokens ORDER BY id`)
}

// RevokeToken deletes an API token. Every node looks tokens up in the
// database on each request, so the next request with it is refused.
func (db *DB) RevokeToken(ctx context.Context, id int64) error {
	res, err := db.pool().ExecContext(ctx, `DELETE FROM api_tokens WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("revoking token %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return autocred.Errorf(autocred.ENOTFOUND, "there is no API token %d; `autocred token list` shows them", id)
	}
	return nil
}

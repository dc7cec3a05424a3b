package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/autocred/autocred/internal/testdb"
)

// The database's own errors become a sentence that says what to do, and
// never carry the driver's text.
func TestDescribeError(t *testing.T) {
	ctx := context.Background()
	// Real errors from each driver.
	pg, err := sql.Open("pgx", testdb.CreatePostgres(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	var s string
	nulErr := pg.QueryRowContext(ctx, `SELECT $1::text`, "a\x00b").Scan(&s)
	bad := filepath.Join(t.TempDir(), "bad.db")
	if err := os.WriteFile(bad, []byte(strings.Repeat("not a database ", 300)), 0o600); err != nil {
		t.Fatal(err)
	}
	lite, err := sql.Open("sqlite", bad)
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	_, notADB := lite.ExecContext(ctx, `CREATE TABLE t (x)`)
	refused, err := sql.Open("pgx", "postgres://postgres@127.0.0.1:1/test?sslmode=disable&connect_timeout=2")
	if err != nil {
		t.Fatal(err)
	}
	defer refused.Close()
	connErr := refused.PingContext(ctx)

	tests := []struct {
		name string
		err  error
		says string // "" for not a database error
	}{
		{"PostgreSQL: a NUL in text", fmt.Errorf("recording run: %w", nulErr), "could not be stored"},
		{"SQLite: not a database", notADB, "damaged"},
		{"PostgreSQL: connection refused", connErr, "could not reach its database"},
		{"PostgreSQL: disk full", &pgconn.PgError{Code: "53100"}, "disk is full"},
		{"PostgreSQL: statement timeout", &pgconn.PgError{Code: "57014"}, "took too long"},
		{"PostgreSQL: admin shutdown", &pgconn.PgError{Code: "57P01"}, "could not reach its database"},
		{"PostgreSQL: damaged data", &pgconn.PgError{Code: "XX001"}, "damaged"},
		{"PostgreSQL: another refusal", &pgconn.PgError{Code: "23505"}, "refused a change"},
		{"not a database error", errors.New("activecampaign GET /api/3/contacts: no answer: connection refused"), ""},
		{"a deadline", context.DeadlineExceeded, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.err == nil {
				t.Fatal("the driver gave no error")
			}
			got, ok := DescribeError(tt.err)
			if tt.says == "" {
				if ok {
					t.Errorf("DescribeError(%v) = %q, want not a database error", tt.err, got)
				}
				return
			}
			if !ok || !strings.Contains(got, tt.says) {
				t.Errorf("DescribeError(%v) = %q, %v; want a sentence with %q", tt.err, got, ok, tt.says)
			}
			if strings.Contains(got, "SQLSTATE") || strings.Contains(got, tt.err.Error()) {
				t.Errorf("the sentence %q carries the driver's text", got)
			}
		})
	}
}

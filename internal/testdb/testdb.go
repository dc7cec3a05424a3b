// Package testdb gives tests a fresh database of each kind autocred
// supports: a SQLite file in a temporary folder, and a PostgreSQL database
// created for the test and dropped after it.
package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, for creating databases
)

// PostgresURL is the server tests create their databases on:
// AUTOCRED_TEST_POSTGRES, or the one CI and the development machines run
// (127.0.0.1:5432, user postgres, trust authentication, database test).
func PostgresURL() string {
	if v := os.Getenv("AUTOCRED_TEST_POSTGRES"); v != "" {
		return v
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// Kinds are the databases, by the name subtests use.
var Kinds = []string{"sqlite", "postgres"}

// DSN returns a fresh, empty database of the kind ("sqlite" or
// "postgres"), as the --database value that opens it. A PostgreSQL server
// that cannot be reached fails the test: it is a dependency, never a skip.
func DSN(t testing.TB, kind string) string {
	t.Helper()
	if kind == "postgres" {
		return CreatePostgres(t)
	}
	return filepath.Join(t.TempDir(), "autocred.db")
}

// CreatePostgres creates an empty database for the test and returns its URL;
// the database is dropped when the test ends.
func CreatePostgres(t testing.TB) string {
	t.Helper()
	admin, err := sql.Open("pgx", PostgresURL())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	raw := make([]byte, 6)
	_, _ = rand.Read(raw)
	name := "autocred_test_" + hex.EncodeToString(raw)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("creating a PostgreSQL database for the test on %s: %v (start PostgreSQL, or set AUTOCRED_TEST_POSTGRES)", redact(PostgresURL()), err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", PostgresURL())
		if err != nil {
			return
		}
		defer admin.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("dropping test database %s: %v", name, err)
		}
	})
	u, err := url.Parse(PostgresURL())
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// redact hides a password in a URL for messages.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "the PostgreSQL URL"
	}
	return u.Redacted()
}

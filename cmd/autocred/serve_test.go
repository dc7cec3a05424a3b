package main

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"testing"

	"github.com/autocred/autocred/internal/testdb"
	"github.com/autocred/autocred/store"
)

func TestRedactDatabase(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"/var/lib/autocred/autocred.db", "/var/lib/autocred/autocred.db"},
		{"postgres://autocred:s3cret@db:5432/autocred", "postgres://autocred:xxxxx@db:5432/autocred"},
		{"postgresql://autocred@db/autocred?sslmode=require", "postgresql://autocred@db/autocred?sslmode=require"},
	} {
		if got := redactDatabase(tc.in); got != tc.want {
			t.Errorf("redactDatabase(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// "autocred migrate" says which database it brought up to date without
// printing its password.
func TestMigrateDoesNotPrintThePassword(t *testing.T) {
	t.Parallel()
	u, err := url.Parse(testdb.DSN(t, "postgres"))
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), "hunter2-secret") // trust authentication ignores it
	var out, errOut bytes.Buffer
	if err := runMigrate(context.Background(), []string{"--database", u.String()}, &out, &errOut); err != nil {
		t.Fatalf("migrate: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "is up to date") || strings.Contains(out.String()+errOut.String(), "hunter2-secret") {
		t.Errorf("migrate printed %q", out.String()+errOut.String())
	}
}

// Too few PostgreSQL connections stops serve before it opens anything, with
// the least it takes.
func TestServeRefusesTooFewConnections(t *testing.T) {
	t.Parallel()
	var stderr strings.Builder
	code := run(context.Background(), []string{"serve", "--db-max-conns", "2"}, io.Discard, &stderr)
	if code == 0 || !strings.Contains(stderr.String(), "--db-max-conns 2") || !strings.Contains(stderr.String(), "at least 4") {
		t.Errorf("--db-max-conns 2: exit %d, %q", code, stderr.String())
	}
}

// serve warns at start when PostgreSQL's autovacuum is off (as in CI's
// PostgreSQL), and only then; never on SQLite.
func TestServeWarnsWhenAutovacuumIsOff(t *testing.T) {
	t.Parallel()
	for _, kind := range testdb.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			dsn := testdb.DSN(t, kind)
			st, err := store.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			want := false
			if kind == "postgres" {
				db, err := sql.Open("pgx", dsn)
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
				var setting string
				if err := db.QueryRow(`SHOW autovacuum`).Scan(&setting); err != nil {
					t.Fatal(err)
				}
				want = setting == "off"
			}
			var logs bytes.Buffer
			warnServerSettings(ctx, st, slog.New(slog.NewTextHandler(&logs, nil)))
			if got := strings.Contains(logs.String(), "autovacuum is off"); got != want || strings.Contains(logs.String(), "could not check") {
				t.Errorf("%s, autovacuum off %v: logged %q", kind, want, logs.String())
			}
		})
	}
}

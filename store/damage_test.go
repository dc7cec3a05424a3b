package store

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/autocred/autocred/internal/testdb"
)

// damageFile overwrites the start of the first page of table's b-tree
// in a closed SQLite file, as a failing disk or an interrupted copy would.
func damageFile(t *testing.T, path, table string) {
	t.Helper()
	ctx := context.Background()
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	var page, size int64
	if err := db.sql.QueryRowContext(ctx, `SELECT rootpage FROM sqlite_schema WHERE name = ?`, table).Scan(&page); err != nil {
		t.Fatal(err)
	}
	if err := db.sql.QueryRowContext(ctx, `PRAGMA page_size`).Scan(&size); err != nil {
		t.Fatal(err)
	}
	db.Close() // the last connection folds the WAL into the file
	if _, err := os.Stat(path + "-wal"); err == nil {
		t.Fatalf("%s-wal is still there after close", path)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	garbage := []byte(strings.Repeat("\xa5\x5a", 32))
	if _, err := f.WriteAt(garbage, (page-1)*size); err != nil {
		t.Fatal(err)
	}
}

// A damaged SQLite file (issue 13, point 3) is found by the start-up
// check, with the recovery path, and once a query meets the damage Ready
// fails, so that a load balancer stops sending requests to it.
func TestDamagedFileIsFound(t *testing.T) {
	ctx := context.Background()
	path := testdb.DSN(t, "sqlite")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	a := fixture(t, db)
	if done, err := db.CheckIntegrity(ctx, time.Minute); !done || err != nil {
		t.Fatalf("CheckIntegrity of a sound file = %v, %v", done, err)
	}
	db.Close()
	damageFile(t, path, "automations")

	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	done, err := db.CheckIntegrity(ctx, time.Minute)
	if !done || !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), ".recover") || !strings.Contains(err.Error(), "backup") {
		t.Errorf("CheckIntegrity of a damaged file = %v, %v; want ErrDamaged with the recovery path", done, err)
	}

	// Without the start-up check, the first query that meets the damage
	// (one row or a list) makes Ready fail, and it keeps failing.
	for name, read := range map[string]func(db *DB) error{
		"one automation": func(db *DB) error { _, err := db.Automation(ctx, a.ID); return err },
		"the list":       func(db *DB) error { _, err := db.Automations(ctx, AutomationFilter{}); return err },
	} {
		db, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.Ready(ctx); err != nil {
			t.Fatalf("Ready before any query met the damage: %v", err)
		}
		if err := read(db); err == nil {
			t.Fatalf("reading %s from a damaged table succeeded", name)
		}
		for range 2 {
			if err := db.Ready(ctx); !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), "malformed") || !strings.Contains(err.Error(), ".recover") {
				t.Errorf("Ready after reading %s met the damage: %v, want ErrDamaged with SQLite's words and the recovery path", name, err)
			}
		}
	}
}

package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
)

// openSQLiteForTest opens a fresh, migrated SQLite store.
func openSQLiteForTest(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "autocred.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

// A statement run again while the rows of its earlier run are still being
// read (in one transaction, on SQLite's one connection) must not disturb
// them: the kept statement is in use, so the second gets its own.
func TestKeptStatementInUseIsNotShared(t *testing.T) {
	db := openSQLiteForTest(t)
	ctx := context.Background()
	for i := range 3 {
		if _, err := db.sql.ExecContext(ctx, `INSERT INTO settings (name, value) VALUES (?, ?)`, fmt.Sprint("k", i), fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	const query = `SELECT name FROM settings WHERE name >= ? ORDER BY name`
	err := inTx(ctx, db.sql.BeginTx, func(tx *sql.Tx) error {
		outer, err := tx.QueryContext(ctx, query, "k0")
		if err != nil {
			return err
		}
		defer outer.Close()
		var got []string
		for outer.Next() {
			var k string
			if err := outer.Scan(&k); err != nil {
				return err
			}
			// The same text, other arguments, before the outer rows end.
			var inner []string
			rows, err := tx.QueryContext(ctx, query, "k2")
			if err != nil {
				return err
			}
			for rows.Next() {
				var k2 string
				if err := rows.Scan(&k2); err != nil {
					return err
				}
				inner = append(inner, k2)
			}
			if err := rows.Close(); err != nil {
				return err
			}
			if len(inner) != 1 || inner[0] != "k2" {
				t.Errorf("inner query read %v, want [k2]", inner)
			}
			got = append(got, k)
		}
		if err := outer.Err(); err != nil {
			return err
		}
		if fmt.Sprint(got) != "[k0 k1 k2]" {
			t.Errorf("outer query read %v, want [k0 k1 k2]", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A kept statement runs again with new arguments, and more distinct
// statements than the cache keeps still all answer right.
func TestKeptStatementsAnswerWithTheirArguments(t *testing.T) {
	db := openSQLiteForTest(t)
	ctx := context.Background()
	for i := range stmtCacheSize + 10 {
		var got int
		// Each text is distinct (the literal), so the oldest are closed.
		query := fmt.Sprintf(`SELECT ? + %d`, i)
		for _, arg := range []int{1, 2} {
			if err := db.sql.QueryRowContext(ctx, query, arg).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != arg+i {
				t.Fatalf("%s with %d = %d, want %d", query, arg, got, arg+i)
			}
		}
	}
	var n int
	if err := db.sql.QueryRowContext(ctx, `SELECT ? + 0`, 7).Scan(&n); err != nil || n != 7 {
		t.Fatalf("a statement closed from the cache and run again: %d, %v", n, err)
	}
}

// The counts are what the benchmark reports as the database work per
// credential: every statement, the writes among them, the transactions.
func TestStatementCounts(t *testing.T) {
	db := openSQLiteForTest(t)
	ctx := context.Background()
	before := db.StatementCounts()
	err := inTx(ctx, db.sql.BeginTx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO settings (name, value) VALUES ('a', '1')`); err != nil {
			return err
		}
		var v string
		return tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = 'a'`).Scan(&v)
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.sql.ExecContext(ctx, `UPDATE settings SET value = '2' WHERE name = 'a'`); err != nil {
		t.Fatal(err)
	}
	after := db.StatementCounts()
	got := StatementCounts{Statements: after.Statements - before.Statements, Writes: after.Writes - before.Writes,
		Transactions: after.Transactions - before.Transactions, Commits: after.Commits - before.Commits}
	if want := (StatementCounts{Statements: 3, Writes: 2, Transactions: 1, Commits: 2}); got != want {
		t.Errorf("counted %+v, want %+v", got, want)
	}
}

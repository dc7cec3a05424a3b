package store

import (
	"context"
	"database/sql"
	"io/fs"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/testdb"
)

// Numbers are never reused (issue 13, point 4): after the newest
// automation (with its runs), connection or API token is deleted, the next
// one gets a new number, so an old link, email or log line never points at
// another record.
func TestIDsAreNeverReused(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		a := fixture(t, db)
		if a.ID != 1 || a.Trigger.ConnectionID != 1 {
			t.Errorf("a new database numbers automation %d and connection %d, want 1 and 1", a.ID, a.Trigger.ConnectionID)
		}
		insertRun := func(automationID int64, contact autocred.ContactID) int64 {
			t.Helper()
			r := autocred.Run{AutomationID: automationID, ContactID: contact, Entry: 1, Email: "ana@example.com"}
			if err := db.tx(ctx, func(tx *sql.Tx) error { return db.insertRun(ctx, tx, &r) }); err != nil {
				t.Fatal(err)
			}
			return r.ID
		}
		insertRun(a.ID, 1)

		// The newest automation and its run (the newest run) go.
		b := a
		b.ID, b.Name = 0, "Second"
		if err := db.CreateAutomation(ctx, &b); err != nil {
			t.Fatal(err)
		}
		deletedRun := insertRun(b.ID, 2)
		deleteForGood(t, db, b.ID)
		c := a
		c.ID, c.Name = 0, "Third"
		if err := db.CreateAutomation(ctx, &c); err != nil {
			t.Fatal(err)
		}
		if c.ID <= b.ID {
			t.Errorf("automation created after deleting automation %d got number %d, want a new one", b.ID, c.ID)
		}
		if run := insertRun(c.ID, 2); run <= deletedRun {
			t.Errorf("run created after deleting run %d got number %d, want a new one", deletedRun, run)
		}

		// The newest connection.
		conn := autocred.Connection{App: autocred.AppCertifier, Name: "Spare", APIURL: "https://api.certifier.io/v1", SecretHint: "…0001"}
		if err := db.CreateConnection(ctx, &conn, []byte("sealed")); err != nil {
			t.Fatal(err)
		}
		if err := db.DeleteConnection(ctx, conn.ID); err != nil {
			t.Fatal(err)
		}
		again := conn
		again.ID = 0
		if err := db.CreateConnection(ctx, &again, []byte("sealed")); err != nil {
			t.Fatal(err)
		}
		if again.ID <= conn.ID {
			t.Errorf("connection created after deleting connection %d got number %d, want a new one", conn.ID, again.ID)
		}

		// The newest API token.
		newestToken := func() int64 {
			t.Helper()
			list, err := db.Tokens(ctx)
			if err != nil || len(list) == 0 {
				t.Fatalf("Tokens = %v, %v", list, err)
			}
			var max int64
			for _, tok := range list {
				max = maxInt(max, tok.ID)
			}
			return max
		}
		for _, name := range []string{"ci", "zapier"} {
			if _, err := db.CreateToken(ctx, name); err != nil {
				t.Fatal(err)
			}
		}
		revoked := newestToken()
		if err := db.RevokeToken(ctx, revoked); err != nil {
			t.Fatal(err)
		}
		if _, err := db.CreateToken(ctx, "make"); err != nil {
			t.Fatal(err)
		}
		if got := newestToken(); got <= revoked {
			t.Errorf("token created after revoking token %d got number %d, want a new one", revoked, got)
		}
	})
}

// deleteForGood archives an automation, deletes its history and then the
// automation, as a user deleting it for good does.
func deleteForGood(t *testing.T, db *DB, id int64) {
	t.Helper()
	ctx := context.Background()
	if _, err := db.ArchiveAutomation(ctx, id); err != nil {
		t.Fatal(err)
	}
	// Its runs end first: the history of runs still pending is kept.
	if _, err := db.pool().ExecContext(ctx, `UPDATE runs SET status = ? WHERE automation_id = ?`, autocred.RunFailed, id); err != nil {
		t.Fatal(err)
	}
	if _, err := db.DeleteRunHistory(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteAutomation(ctx, id); err != nil {
		t.Fatal(err)
	}
}

func maxInt(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

// A SQLite database from before migration 0014 keeps every row, with the
// rows that refer to them, and afterwards gives no number that it gave
// before, not even the one of the newest automation deleted before the
// upgrade.
func TestUpgradeKeepsRowsAndNeverReusesIDs(t *testing.T) {
	ctx := context.Background()
	path := testdb.DSN(t, "sqlite")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// The schema as it was before 0014.
	files, err := fs.Glob(migrations, "migrations/sqlite/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	if _, err := db.sql.ExecContext(ctx, `CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		version, _ := strconv.Atoi(strings.SplitN(filepath.Base(f), "_", 2)[0])
		if version >= 14 {
			continue
		}
		body, _ := migrations.ReadFile(f)
		if _, err := db.sql.ExecContext(ctx, string(body)); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if _, err := db.sql.ExecContext(ctx, `INSERT INTO schema_migrations VALUES (?, 0)`, version); err != nil {
			t.Fatal(err)
		}
	}
	a := fixture(t, db)
	b := a
	b.ID, b.Name = 0, "Deleted before the upgrade"
	if err := db.CreateAutomation(ctx, &b); err != nil {
		t.Fatal(err)
	}
	var runID int64
	err = db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.markBaseline(ctx, tx, a.ID, []autocred.ContactID{1, 2, 3}, db.now()); err != nil {
			return err
		}
		// Written in SQL, with the columns runs had then: insertRunsAsGiven
		// writes the columns of the newest schema.
		return tx.QueryRowContext(ctx, `INSERT INTO runs (automation_id, contact_id, entry, email, status, created_at, updated_at)
			VALUES (?, 4, 1, 'ana@example.com', 'pending', 0, 0) RETURNING id`, a.ID).Scan(&runID)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.AddRunEvent(ctx, runID, "issued"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateToken(ctx, "ci"); err != nil {
		t.Fatal(err)
	}
	// Deleted as the code before the upgrade deleted automations.
	if _, err := db.sql.ExecContext(ctx, `DELETE FROM automations WHERE id = ?`, b.ID); err != nil {
		t.Fatal(err)
	}

	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	count := func(query string) int {
		t.Helper()
		var n int
		if err := db.sql.QueryRowContext(ctx, query).Scan(&n); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return n
	}
	for query, want := range map[string]int{
		`SELECT count(*) FROM connections`: 2,
		`SELECT count(*) FROM automations`: 1,
		`SELECT count(*) FROM memberships`: 3,
		`SELECT count(*) FROM runs`:        1,
		`SELECT count(*) FROM run_events`:  1,
		`SELECT count(*) FROM api_tokens`:  1,
		`SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name IN ('automations_segment', 'runs_by_status', 'runs_by_email', 'runs_by_credential')`: 4,
		`SELECT count(*) FROM sqlite_schema WHERE name LIKE '%_new'`:                                                                                           0,
		`PRAGMA foreign_keys`: 1,
	} {
		if got := count(query); got != want {
			t.Errorf("after the upgrade, %s = %d, want %d", query, got, want)
		}
	}
	if got, err := db.Run(ctx, runID); err != nil || got.AutomationID != a.ID {
		t.Errorf("run %d after the upgrade: %+v, %v", runID, got, err)
	}
	// Foreign keys hold again: deleting the automation takes its ledger and runs.
	c := a
	c.ID, c.Name = 0, "After the upgrade"
	if err := db.CreateAutomation(ctx, &c); err != nil {
		t.Fatal(err)
	}
	if c.ID <= b.ID {
		t.Errorf("the first automation after the upgrade got number %d; %d was deleted before it", c.ID, b.ID)
	}
	deleteForGood(t, db, a.ID)
	if n := count(`SELECT count(*) FROM memberships`) + count(`SELECT count(*) FROM runs`) + count(`SELECT count(*) FROM run_events`); n != 0 {
		t.Errorf("deleting an automation after the upgrade left %d ledger rows, runs and events", n)
	}
}

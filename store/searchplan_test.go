package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/autocred/autocred"
)

// queryPlan is how the database would run a query: SQLite's EXPLAIN
// QUERY PLAN or PostgreSQL's EXPLAIN, one line per step. On PostgreSQL
// it is asked with sequential scans off (on conn only): with the few
// rows of a test, a scan of the whole table is cheapest and the planner
// rightly takes it, which would tell nothing of the 100,000 runs of a
// real history.
func queryPlan(t *testing.T, db *DB, query string, args []any) string {
	t.Helper()
	ctx := context.Background()
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	explain := `EXPLAIN QUERY PLAN `
	if db.postgres {
		explain = `EXPLAIN `
		if _, err := conn.ExecContext(ctx, `SET enable_seqscan = off`); err != nil {
			t.Fatal(err)
		}
		defer conn.ExecContext(ctx, `RESET enable_seqscan`)
	}
	rows, err := conn.QueryContext(ctx, rebinder{postgres: db.postgres}.bind(explain+query), args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for rows.Next() {
		values := make([]sql.NullString, len(cols))
		dest := make([]any, len(cols))
		for i := range values {
			dest[i] = &values[i]
		}
		if err := rows.Scan(dest...); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, values[len(values)-1].String) // SQLite: the step is the last column
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}

// The search for a person across automations reads an index, not every
// run's row: a page finds its ids newest first in the narrow
// (id, search_text) index, without sorting every match, and reads only
// their rows; the count reads an index alone. (At 110,000 runs, see
// docs/benchmarks.md.)
func TestSearchAcrossAutomationsReadsAnIndex(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		for _, a := range []autocred.Automation{fixture(t, db), fixture(t, db)} {
			runs := make([]autocred.Run, 1000)
			for i := range runs {
				email := fmt.Sprintf("person%d@example.org", i)
				runs[i] = autocred.Run{AutomationID: a.ID, ContactID: autocred.ContactID(i + 1), Entry: 1, Email: email,
					Contact: autocred.Contact{Email: email, FirstName: fmt.Sprintf("Person%d", i), LastName: "Lovelace"}}
			}
			if err := db.tx(ctx, func(tx *sql.Tx) error { return db.insertRuns(ctx, tx, runs) }); err != nil {
				t.Fatal(err)
			}
		}
		if db.postgres {
			// As autovacuum leaves a table in use: the index-only scan
			// needs the visibility map.
			if _, err := db.sql.ExecContext(ctx, `VACUUM runs`); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.analyze(ctx); err != nil {
			t.Fatal(err)
		}
		f := autocred.RunFilter{Contact: "lovelace person42"}
		page, args := runsPageQuery(f, "", 0, "DESC", 51)
		older, olderArgs := runsPageQuery(autocred.RunFilter{Contact: f.Contact, After: 1500}, `id < ?`, 1500, "DESC", 51)
		back, backArgs := runsPageQuery(autocred.RunFilter{Contact: f.Contact, Before: 500}, `id > ?`, 500, "ASC", 51)
		count, countArgs := countRunsQuery(f)
		for _, q := range []struct {
			name  string
			query string
			args  []any
			want  string
		}{
			{"the first page", page, args, "runs_by_id_search"},
			{"an older page", older, olderArgs, "runs_by_id_search"},
			{"a page back", back, backArgs, "runs_by_id_search"},
			{"the count", count, countArgs, "Index Only Scan|COVERING INDEX"},
		} {
			plan := queryPlan(t, db, q.query, q.args)
			if !containsAny(plan, q.want) {
				t.Errorf("%s does not read %s:\n%s", q.name, q.want, plan)
			}
			if strings.Contains(plan, "TEMP B-TREE") || strings.Contains(plan, "Seq Scan") || strings.HasPrefix(plan, "SCAN runs\n") || plan == "SCAN runs" {
				t.Errorf("%s reads or sorts every run:\n%s", q.name, plan)
			}
		}
		// And it finds what it should: person42 and person420 to 429, in
		// both automations.
		if n, err := db.CountRuns(ctx, f); err != nil || n != 22 {
			t.Errorf("count %d, want 22 (%v)", n, err)
		}
		if got, _, err := db.Runs(ctx, f); err != nil || len(got) != 22 {
			t.Errorf("page of %d, want 22 (%v)", len(got), err)
		}
	})
}

// containsAny tells whether s holds one of the |-separated texts.
func containsAny(s, texts string) bool {
	for _, t := range strings.Split(texts, "|") {
		if strings.Contains(s, t) {
			return true
		}
	}
	return false
}

package e2e

import (
	"cmp"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// PostgreSQL's own account of where its time goes: pg_stat_statements,
// read at the start and end of a benchmark's phase, gives each statement's
// calls, rows and execution time in the phase, for the world's database.
// It is there only when the server loads it (shared_preload_libraries =
// 'pg_stat_statements' in postgresql.conf, and a restart); otherwise the
// benchmark says how to turn it on and reports the rest as before.

// pgSettings says how the server that the world's database is on is set
// where it changes autocred's figures: autovacuum above all. Off (as in
// CI's PostgreSQL), the hot tables' dead rows (leases, rate_budgets,
// automations, river_job) are never reclaimed and the ledger's reads
// cannot be index-only scans; docs/deploy.md says to keep it on, so
// figures measured without it are not a deployment's.
func pgSettings(dsn string) (string, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return "", err
	}
	defer db.Close()
	var parts []string
	for _, name := range []string{"autovacuum", "shared_buffers", "synchronous_commit", "max_connections", "server_version"} {
		var v string
		if err := db.QueryRow(`SELECT current_setting($1)`, name).Scan(&v); err != nil {
			return "", err
		}
		parts = append(parts, name+" "+v)
	}
	return strings.Join(parts, ", "), nil
}

// vacuumAnalyze vacuums and analyzes the database at dsn, and says how
// long it took.
func vacuumAnalyze(t testing.TB, dsn string) time.Duration {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	start := time.Now()
	if _, err := db.Exec(`VACUUM (ANALYZE)`); err != nil {
		t.Fatal(err)
	}
	return time.Since(start)
}

// pgStatement is one statement's totals in pg_stat_statements.
type pgStatement struct {
	query string
	calls int64
	rows  int64
	ms    float64 // total execution time
}

// pgStatements is a reading of pg_stat_statements for one database, by
// queryid; nil when the extension is not loaded.
type pgStatements map[int64]pgStatement

// readPGStatements reads pg_stat_statements for the database at dsn,
// creating the extension there first. It returns nil, and the reason, when
// the server does not load the extension.
func readPGStatements(dsn string) (pgStatements, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE EXTENSION IF NOT EXISTS pg_stat_statements`); err != nil {
		return nil, err
	}
	rows, err := db.Query(`SELECT queryid, query, calls, rows, total_exec_time FROM pg_stat_statements
		WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND queryid IS NOT NULL`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	s := pgStatements{}
	for rows.Next() {
		var id int64
		var st pgStatement
		if err := rows.Scan(&id, &st.query, &st.calls, &st.rows, &st.ms); err != nil {
			return nil, err
		}
		s[id] = st
	}
	return s, rows.Err()
}

// pgStatementsIn is what each statement did between readings a and b,
// the most time first.
func pgStatementsIn(a, b pgStatements) []pgStatement {
	var in []pgStatement
	for id, st := range b {
		st.calls -= a[id].calls
		st.rows -= a[id].rows
		st.ms -= a[id].ms
		if st.calls > 0 {
			in = append(in, st)
		}
	}
	slices.SortFunc(in, func(x, y pgStatement) int { return cmp.Compare(y.ms, x.ms) })
	return in
}

// logPGStatements logs the statements that took the most of PostgreSQL's
// execution time in a phase of length took: their share, calls a second,
// mean time and rows a call.
func logPGStatements(b *testing.B, phase string, took time.Duration, a, z pgStatements, top int) {
	in := pgStatementsIn(a, z)
	var total float64
	for _, st := range in {
		total += st.ms
	}
	if total == 0 {
		return
	}
	lines := []string{fmt.Sprintf("%s: PostgreSQL's statements by execution time (pg_stat_statements): %.1f s in all, %.2f of a core",
		phase, total/1000, total/1000/took.Seconds())}
	for _, st := range in[:min(top, len(in))] {
		lines = append(lines, fmt.Sprintf("  %4.1f%%  %7.1f calls/s  %7.2f ms a call  %8.1f rows a call  %s",
			100*st.ms/total, float64(st.calls)/took.Seconds(), st.ms/float64(st.calls), float64(st.rows)/float64(st.calls), oneLine(st.query, 140)))
	}
	b.Log(strings.Join(lines, "\n"))
}

// oneLine folds a statement's whitespace and cuts it to n bytes.
func oneLine(q string, n int) string {
	q = strings.Join(strings.Fields(q), " ")
	if len(q) > n {
		q = q[:n] + "..."
	}
	return q
}

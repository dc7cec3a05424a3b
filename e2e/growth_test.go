package e2e

import (
	"database/sql"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite" // the database/sql driver "sqlite", to read the file autocred left

	simac "github.com/autocred/autocred/sim/activecampaign"
)

// BenchmarkDatabaseGrowth measures what the run history costs on disk and
// what pruning gives back (issue 16). N contacts (default 100,000) enter a
// segment at once and get their credentials, every limit off as in
// EngineThroughput; then the runs are dated 500 days back and autocred is
// started again with --run-retention 400d, which prunes them all; then the
// database is vacuumed. At each point, with autocred stopped, it prints
// the rows of runs, run_events, memberships (the ledger), pruned_runs and
// River's jobs, and the bytes on disk, on SQLite and on PostgreSQL:
//
//	go test -run XXX -bench DatabaseGrowth -benchtime 1x -timeout 60m ./e2e/
//
// AUTOCRED_GROWTH_ENTRIES sets N.
func BenchmarkDatabaseGrowth(b *testing.B) {
	entries := envInt("AUTOCRED_GROWTH_ENTRIES", 100_000)
	for _, database := range []string{"sqlite", "postgres"} {
		b.Run(database, func(b *testing.B) {
			for range b.N {
				measureGrowth(b, entries, database)
			}
		})
	}
}

func measureGrowth(b *testing.B, entries int, database string) {
	w := newWorld(b, worldOptions{database: database, poll: time.Second})
	acConn, certConn := w.connect()
	in := make([]simac.ContactInput, entries)
	for i := range in {
		in[i] = contact("Growth", fmt.Sprint("Member", i))
	}
	ids := w.importContacts(in...)
	a := w.automation(acConn, certConn, w.segment("Completers", "Completed"), w.group("Course"), nil)
	w.stop()
	empty := w.footprint()
	w.start()

	w.tag("Completed", ids...)
	issued := func() int {
		var got automation
		w.mustCall("GET", fmt.Sprintf("/api/v1/automations/%d", a.ID), nil, &got, 200)
		return got.Runs["issued"]
	}
	w.waitFor("every credential", 40*time.Minute, func() bool { return issued() == entries })
	w.stop()
	full := w.footprint()
	// The same rows rewritten without the space that updates left behind
	// (on PostgreSQL each save of a run leaves a dead version of its row
	// until vacuumed): what steady use, vacuumed as it goes, would hold.
	compact := map[string]string{"sqlite": "VACUUM", "postgres": "VACUUM FULL"}[database]
	took := w.vacuum(compact)
	compacted := w.footprint()

	// 500 days later, with a retention of 400 days.
	back := int64(500 * 24 * time.Hour / time.Millisecond)
	w.exec(`UPDATE runs SET created_at = created_at - ?, updated_at = updated_at - ?`, back, back)
	w.serveArgs = append(w.serveArgs, "--run-retention", "400d")
	w.start()
	pass := w.waitForPrune()
	if n := issued(); n != entries {
		b.Errorf("the automation counts %d issued after pruning, want %d", n, entries)
	}
	w.stop()
	pruned := w.footprint()
	if pruned.rows["runs"] != 0 || pruned.rows["run_events"] != 0 || pruned.rows["memberships"] != full.rows["memberships"] {
		b.Errorf("after pruning: %v rows, want no run, no log line and the whole ledger (%d)", pruned.rows, full.rows["memberships"])
	}
	table := []string{footprintHeader, empty.row("before the batch"), full.row(fmt.Sprintf("after %d credentials", entries)),
		compacted.row(fmt.Sprintf("the same after %s (%s)", compact, took)), pruned.row("after pruning every run (" + pass + ")")}
	statements := []string{"VACUUM"}
	if database == "postgres" {
		statements = append(statements, "VACUUM FULL")
	}
	for _, s := range statements {
		took = w.vacuum(s)
		table = append(table, w.footprint().row(fmt.Sprintf("after %s (%s)", s, took)))
	}

	perCredential := float64(full.history()-empty.history()) / float64(entries)
	compactPerCredential := float64(compacted.history()-empty.history()) / float64(entries)
	b.ReportMetric(perCredential, "history-bytes/credential")
	b.Logf("%s, %d credentials:\n%s\nRuns, their logs and the ledger, indexes included, per credential: %.0f bytes (%.0f after %s)",
		database, entries, strings.Join(table, "\n"), perCredential, compactPerCredential, compact)
}

// footprint is what the database holds at one point, autocred stopped.
type footprint struct {
	rows  map[string]int64 // by table
	bytes map[string]int64 // by table, its indexes included
	disk  int64            // SQLite: the file and its WAL; PostgreSQL: the database
	free  int64            // SQLite: pages on the free list, which new rows reuse
}

// footprintTables are the tables the history lives in, then River's jobs
// (kept a day after they finish).
var footprintTables = []string{"runs", "run_events", "memberships", "pruned_runs", "river_job"}

const footprintHeader = "| | runs | run_events | memberships | pruned_runs | river_job | history MiB | river_job MiB | on disk MiB | free MiB |\n|---|---|---|---|---|---|---|---|---|---|"

// history is the bytes of runs, run_events, memberships and pruned_runs.
func (f footprint) history() int64 {
	return f.bytes["runs"] + f.bytes["run_events"] + f.bytes["memberships"] + f.bytes["pruned_runs"]
}

func (f footprint) row(label string) string {
	mib := func(n int64) string { return fmt.Sprintf("%.1f", float64(n)/(1<<20)) }
	cells := []string{label}
	for _, t := range footprintTables {
		cells = append(cells, fmt.Sprint(f.rows[t]))
	}
	cells = append(cells, mib(f.history()), mib(f.bytes["river_job"]), mib(f.disk), mib(f.free))
	return "| " + strings.Join(cells, " | ") + " |"
}

// openDB opens the world's database directly, autocred stopped.
func (w *world) openDB() *sql.DB {
	w.t.Helper()
	driver := "pgx"
	if w.database == "sqlite" {
		driver = "sqlite"
	}
	db, err := sql.Open(driver, w.dbArg)
	must(w.t, err)
	db.SetMaxOpenConns(1)
	return db
}

// exec runs a statement, with ? placeholders, on the stopped world's database.
func (w *world) exec(query string, args ...any) {
	w.t.Helper()
	db := w.openDB()
	defer db.Close()
	if w.database == "postgres" {
		for i := 1; strings.Contains(query, "?"); i++ {
			query = strings.Replace(query, "?", fmt.Sprintf("$%d", i), 1)
		}
	}
	_, err := db.Exec(query, args...)
	must(w.t, err)
}

func (w *world) footprint() footprint {
	w.t.Helper()
	db := w.openDB()
	defer db.Close()
	f := footprint{rows: map[string]int64{}, bytes: map[string]int64{}}
	for _, t := range footprintTables {
		var n int64
		must(w.t, db.QueryRow(`SELECT count(*) FROM `+t).Scan(&n))
		f.rows[t] = n
	}
	if w.database == "postgres" {
		for _, t := range footprintTables {
			var n int64
			must(w.t, db.QueryRow(`SELECT pg_total_relation_size($1::regclass)`, t).Scan(&n))
			f.bytes[t] = n
		}
		must(w.t, db.QueryRow(`SELECT pg_database_size(current_database())`).Scan(&f.disk))
		return f
	}
	rows, err := db.Query(`SELECT m.tbl_name, sum(d.pgsize) FROM dbstat d JOIN sqlite_master m ON m.name = d.name GROUP BY m.tbl_name`)
	must(w.t, err)
	for rows.Next() {
		var t string
		var n int64
		must(w.t, rows.Scan(&t, &n))
		f.bytes[t] = n
	}
	must(w.t, rows.Err())
	rows.Close()
	var pageSize, freePages int64
	must(w.t, db.QueryRow(`PRAGMA page_size`).Scan(&pageSize))
	must(w.t, db.QueryRow(`PRAGMA freelist_count`).Scan(&freePages))
	f.free = pageSize * freePages
	for _, name := range []string{w.dbArg, w.dbArg + "-wal"} {
		if info, err := os.Stat(name); err == nil {
			f.disk += info.Size()
		}
	}
	return f
}

// prunedLine is the log line of a pruning pass with the retention the
// benchmark gives (400d), said in days as it was written.
var prunedLine = regexp.MustCompile(`msg="run history pruned" runs=(\d+) .*retention_days=400 transactions=(\d+) took=(\S+)`)

// waitForPrune waits for a pruning pass to finish, and says what the log
// line of the one that pruned most says.
func (w *world) waitForPrune() string {
	w.t.Helper()
	w.waitFor("a pruning pass", 30*time.Minute, func() bool {
		return strings.Contains(w.metric("autocred_run_prune_passes_total"), `result="ok"`)
	})
	w.mu.Lock()
	defer w.mu.Unlock()
	most, pass := -1, ""
	for _, m := range prunedLine.FindAllStringSubmatch(w.nodes[0].logs.String(), -1) {
		if n, _ := strconv.Atoi(m[1]); n > most {
			most, pass = n, fmt.Sprintf("%s runs in %s transactions, %s", m[1], m[2], m[3])
		}
	}
	if most < 0 {
		w.t.Errorf("no log line of a pruning pass that says its runs, retention_days=400 and how long it took (%s)", prunedLine)
	}
	return pass
}

// vacuum runs a VACUUM statement on the stopped world's database and says
// how long it took. SQLite's rewrites the file; PostgreSQL's plain VACUUM
// (what autovacuum does) marks the space reusable, and VACUUM FULL
// rewrites the tables, holding an exclusive lock on each meanwhile.
func (w *world) vacuum(statement string) time.Duration {
	w.t.Helper()
	db := w.openDB()
	defer db.Close()
	start := time.Now()
	_, err := db.Exec(statement)
	must(w.t, err)
	took := time.Since(start).Round(time.Millisecond)
	if w.database == "sqlite" {
		_, err = db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
		must(w.t, err)
	}
	return took
}

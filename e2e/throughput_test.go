package e2e

import (
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	simac "github.com/autocred/autocred/sim/activecampaign"
)

// BenchmarkEngineThroughput measures autocred's own cost per credential:
// both sandboxes and autocred's limits are off, so a batch goes as fast as
// the engine (and the sandboxes beside it, on the same cores) can go. It
// reports credentials per second from the tag change to the last
// credential, autocred's CPU time per credential, and each node's peak
// memory, on SQLite, PostgreSQL with one node and with three, and the
// database work per credential (dbWork):
//
//	go test -run XXX -bench EngineThroughput -benchtime 1x -timeout 30m ./e2e/
//
// AUTOCRED_THROUGHPUT_ENTRIES (default 10000) sets the batch.
func BenchmarkEngineThroughput(b *testing.B) {
	entries := envInt("AUTOCRED_THROUGHPUT_ENTRIES", 10_000)
	for _, setup := range []struct {
		name     string
		database string
		nodes    int
	}{{"sqlite", "sqlite", 1}, {"postgres-1-node", "postgres", 1}, {"postgres-3-nodes", "postgres", 3}} {
		b.Run(setup.name, func(b *testing.B) {
			for range b.N {
				measureThroughput(b, entries, setup.database, setup.nodes)
			}
		})
	}
}

func measureThroughput(b *testing.B, entries int, database string, nodes int) {
	w := newWorld(b, worldOptions{database: database, nodes: nodes, poll: time.Second})
	acConn, certConn := w.connect()
	in := make([]simac.ContactInput, entries)
	for i := range in {
		in[i] = contact("Throughput", fmt.Sprint("Member", i))
	}
	ids := w.importContacts(in...)
	a := w.automation(acConn, certConn, w.segment("Completers", "Completed"), w.group("Course"), nil)
	cpu0 := make([]time.Duration, nodes)
	for i := range nodes {
		cpu0[i] = w.nodeCPU(i)
	}
	work0 := w.dbWork()

	b.ResetTimer()
	start := time.Now()
	w.tag("Completed", ids...)
	w.waitFor("every credential", 20*time.Minute, func() bool {
		got := w.automationNow(a.ID)
		return got.Runs["issued"] == entries
	})
	took := time.Since(start)
	b.StopTimer()
	work := w.dbWork().minus(work0)

	var cpu time.Duration
	var peaks []string
	for i := range nodes {
		cpu += w.nodeCPU(i) - cpu0[i]
		peaks = append(peaks, fmt.Sprintf("%.0f", w.nodePeakRSS(i)))
	}
	if n := len(w.cert.Credentials(workspace)); n != entries {
		b.Fatalf("%d credentials for %d entries", n, entries)
	}
	rate := float64(entries) / took.Seconds()
	b.ReportMetric(rate, "credentials/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(entries), "cpu-µs/credential")
	b.Logf("%s, %d node(s): %d credentials in %s, %.0f per second; autocred CPU %s (%.0f µs per credential); peak memory per node %s MiB",
		database, nodes, entries, took.Round(time.Millisecond), rate, cpu.Round(time.Millisecond),
		float64(cpu.Microseconds())/float64(entries), strings.Join(peaks, " / "))
	b.Logf("database work per credential: %s", work.per(entries))
}

// dbWork is what the database has done so far, by name: on SQLite, the
// statements, writes and transactions autocred counts
// (autocred_database_*_total, node 0's: SQLite has one node); on
// PostgreSQL, the database's own statistics (pg_stat_database), every
// node's and the test's few API reads included. PostgreSQL publishes a
// session's statistics up to a second after its transaction ends, and
// those of a session that then stays idle up to 10 s later, so the
// figures are read after 11 s.
type dbWork map[string]float64

func (w *world) dbWork() dbWork {
	w.t.Helper()
	out := dbWork{}
	if w.database == "sqlite" {
		for _, name := range []string{"statements", "writes", "transactions", "commits"} {
			v, _ := strconv.ParseFloat(strings.TrimPrefix(w.metric("autocred_database_"+name+"_total"), "autocred_database_"+name+"_total "), 64)
			out[name] = v
		}
		return out
	}
	time.Sleep(11 * time.Second)
	db, err := sql.Open("pgx", w.dbArg)
	must(w.t, err)
	defer db.Close()
	var commits, inserted, updated, deleted, returned float64
	must(w.t, db.QueryRow(`SELECT xact_commit, tup_inserted, tup_updated, tup_deleted, tup_fetched FROM pg_stat_database WHERE datname = current_database()`).
		Scan(&commits, &inserted, &updated, &deleted, &returned))
	return dbWork{"transactions": commits, "rows inserted": inserted, "rows updated": updated, "rows deleted": deleted, "rows fetched": returned}
}

func (d dbWork) minus(before dbWork) dbWork {
	out := dbWork{}
	for k, v := range d {
		out[k] = v - before[k]
	}
	return out
}

func (d dbWork) per(n int) string {
	var parts []string
	for _, k := range []string{"statements", "writes", "transactions", "commits", "rows inserted", "rows updated", "rows deleted", "rows fetched"} {
		if v, ok := d[k]; ok {
			parts = append(parts, fmt.Sprintf("%s %.2f", k, v/float64(n)))
		}
	}
	return strings.Join(parts, ", ")
}

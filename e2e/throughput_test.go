package e2e

import (
	"fmt"
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
// memory, on SQLite, PostgreSQL with one node and with three:
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

	b.ResetTimer()
	start := time.Now()
	w.tag("Completed", ids...)
	w.waitFor("every credential", 20*time.Minute, func() bool {
		got := w.automationNow(a.ID)
		return got.Runs["issued"] == entries
	})
	took := time.Since(start)
	b.StopTimer()

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
}

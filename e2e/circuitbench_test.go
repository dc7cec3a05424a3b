package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/autocred/autocred/sim/traffic"
)

// BenchmarkCertifierOutage measures what an outage of Certifier costs it:
// N runs are pending (default 1,000) while Certifier answers 500 to every
// request for AUTOCRED_OUTAGE (default 10 minutes), then recovers. It
// reports the requests that reached Certifier during the outage, the
// circuit's probes, and the time from recovery to the last credential, and
// checks that every run was issued exactly once. autocred runs with its
// defaults (first probe after 30 s, doubling to 5 minutes):
//
//	go test -run XXX -bench CertifierOutage -benchtime 1x -timeout 60m ./e2e/
//
// AUTOCRED_OUTAGE_RUNS sets N. The same benchmark on the code before the
// circuit gives "today's" number (docs/benchmarks.md).
func BenchmarkCertifierOutage(b *testing.B) {
	n := envInt("AUTOCRED_OUTAGE_RUNS", 1000)
	outage := envDuration("AUTOCRED_OUTAGE", 10*time.Minute)
	for range b.N {
		w := newWorld(b, worldOptions{})
		acConn, certConn := w.connect()
		a := w.automation(acConn, certConn, w.segment("Outage", "outage"), w.group("Outage course"), nil)

		must(b, w.cert.Gate().SetRules([]traffic.Rule{{Endpoint: "*", ErrorRate: 1}}))
		start, before := time.Now(), w.cert.Gate().Stats().Requests
		w.pendingRuns(a.ID, "outage", n)
		pendingAfter := time.Since(start)
		var perMinute []int64
		for minute := time.Minute; minute <= outage; minute += time.Minute {
			waitUntil(start.Add(minute))
			perMinute = append(perMinute, w.cert.Gate().Stats().Requests-before)
		}
		waitUntil(start.Add(outage))
		during := w.cert.Gate().Stats().Requests - before
		probes := metricSum(w.metric("autocred_certifier_circuit_probes_total"))
		must(b, w.cert.Gate().SetRules(nil))
		recovered := time.Now()
		w.waitFor("every run to be issued after the outage", 30*time.Minute, func() bool {
			return w.automationNow(a.ID).Runs["issued"] == n
		})
		catchUp := time.Since(recovered)
		w.exactlyOnce(a.ID, n)

		fmt.Printf("outage of %s with %d pending runs (all pending after %s): %d requests reached Certifier (%.1f per run), %d probes; cumulative by minute %v; after recovery every run issued in %s\n",
			outage, n, pendingAfter.Round(time.Second), during, float64(during)/float64(n), probes, perMinute, catchUp.Round(time.Second))
		b.ReportMetric(float64(during), "requests/outage")
		b.ReportMetric(catchUp.Seconds(), "s-to-catch-up")
	}
}

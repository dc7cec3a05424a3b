package e2e

import (
	"fmt"
	"slices"
	"testing"
	"time"

	simac "github.com/autocred/autocred/sim/activecampaign"
	simcert "github.com/autocred/autocred/sim/certifier"
)

// BenchmarkEntryLatency measures the time from a contact entering a segment
// to its credential existing in Certifier, over single entries spread over
// time, with webhook hints and with polling only (every 60 s), both
// sandboxes at their real limits. It reports percentiles and the
// ActiveCampaign requests spent per entry. Run one mode at a time:
//
//	go test -run XXX -bench 'EntryLatency/hints' -benchtime 1x -timeout 60m ./e2e/
//	go test -run XXX -bench 'EntryLatency/polling' -benchtime 1x -timeout 60m ./e2e/
//
// AUTOCRED_LATENCY_ENTRIES (default 1000) and AUTOCRED_LATENCY_GAP (default
// 700ms between entries: under the rate at which hints fold into syncs)
// change the load.
func BenchmarkEntryLatency(b *testing.B) {
	entries := envInt("AUTOCRED_LATENCY_ENTRIES", 1000)
	gap := envDuration("AUTOCRED_LATENCY_GAP", 700*time.Millisecond)
	for _, mode := range []struct {
		name  string
		hints bool
		poll  time.Duration
	}{{"hints", true, 10 * time.Minute}, {"polling", false, time.Minute}} {
		b.Run(mode.name, func(b *testing.B) {
			for range b.N {
				measureLatency(b, entries, gap, mode.hints, mode.poll)
			}
		})
	}
}

func measureLatency(b *testing.B, entries int, gap time.Duration, hints bool, poll time.Duration) {
	w := newWorld(b, worldOptions{hints: hints, poll: poll, ac: simac.Options{RatePerSecond: 5}, cert: simcert.Options{}, acRate: 4, crtRate: 8})
	acConn, certConn := w.connect()
	in := make([]simac.ContactInput, entries)
	for i := range in {
		in[i] = contact("Latency", fmt.Sprint("Member", i))
	}
	ids := w.importContacts(in...)
	w.automation(acConn, certConn, w.segment("Completers", "Completed"), w.group("Course"), nil)
	if hints {
		w.waitFor("the webhook", 30*time.Second, func() bool { return len(w.acWebhooks()) == 1 })
	}
	w.ac.Gate().Reset()

	entered := make(map[string]time.Time, entries)
	b.ResetTimer()
	for i, id := range ids {
		entered[in[i].Email] = time.Now()
		w.mark(fmt.Sprintf("tag contact %d", id))
		w.tag("Completed", id)
		time.Sleep(gap)
	}
	w.waitFor("every credential", poll+5*time.Minute, func() bool { return len(w.cert.Credentials(workspace)) >= entries })
	b.StopTimer()

	var lat []time.Duration
	for _, c := range w.cert.Credentials(workspace) {
		lat = append(lat, c.CreatedAt.Sub(entered[c.Recipient.Email]))
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	st := w.ac.Gate().Stats()
	b.ReportMetric(pct(0.50).Seconds(), "p50-s")
	b.ReportMetric(pct(0.95).Seconds(), "p95-s")
	b.ReportMetric(pct(0.99).Seconds(), "p99-s")
	b.ReportMetric(lat[len(lat)-1].Seconds(), "max-s")
	b.ReportMetric(float64(st.Requests)/float64(entries), "ac-requests/entry")
	b.Logf("%d entries, one every %s: p50 %s, p95 %s, p99 %s, max %s; ActiveCampaign %d requests (%.2f per entry), peak %d/s; %s",
		entries, gap, pct(0.5).Round(time.Millisecond), pct(0.95).Round(time.Millisecond), pct(0.99).Round(time.Millisecond),
		lat[len(lat)-1].Round(time.Millisecond), st.Requests, float64(st.Requests)/float64(entries), st.Accounts[acAccount].PeakPerSecond,
		w.metric("autocred_webhook_hints_total"))
}

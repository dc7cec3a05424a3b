package e2e

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	simac "github.com/autocred/autocred/sim/activecampaign"
	simcert "github.com/autocred/autocred/sim/certifier"
	"github.com/autocred/autocred/sim/traffic"
)

// R8: 20,000 contacts enter at once. ActiveCampaign is at its real limit
// (5 requests/s) and Certifier at 200/s. Every one is issued exactly once,
// and ActiveCampaign never saw more than 5 requests in any one second.
func TestR8LargeBatchAtTheRealRateLimit(t *testing.T) {
	const n = 20_000
	w := newWorld(t, worldOptions{
		ac:     simac.Options{RatePerSecond: 5},
		cert:   simcert.Options{RatePerSecond: 200},
		acRate: 4, crtRate: 190, poll: 5 * time.Second,
	})
	acConn, certConn := w.connect()
	in := make([]simac.ContactInput, n)
	for i := range in {
		in[i] = contact("Batch", fmt.Sprint("Member", i))
	}
	ids := w.importContacts(in...)
	a := w.automation(acConn, certConn, w.segment("Completers", "Completed"), w.group("Course"), nil)
	w.ac.Gate().Reset()
	w.cert.Gate().Reset()

	start := time.Now()
	w.tag("Completed", ids...) // a mass tag change
	w.waitFor("20,000 credentials", 15*time.Minute, func() bool {
		var got automation
		w.mustCall("GET", fmt.Sprintf("/api/v1/automations/%d", a.ID), nil, &got, 200)
		return got.Runs["issued"] == n
	})
	took := time.Since(start)
	w.settle(a.ID)

	creds, emails := w.credentials(), w.emails()
	for _, c := range in {
		if len(creds[c.Email]) != 1 || emails[c.Email] != 1 {
			t.Fatalf("%s has %d credentials and %d emails, want 1 and 1", c.Email, len(creds[c.Email]), emails[c.Email])
		}
	}
	if got := len(w.cert.Credentials(workspace)); got != n {
		t.Errorf("%d credentials in all, want %d", got, n)
	}
	acStats, certStats := w.ac.Gate().Stats(), w.cert.Gate().Stats()
	if peak := acStats.Accounts[acAccount].PeakPerSecond; peak > 5 {
		t.Errorf("ActiveCampaign saw %d requests within one second; its limit is 5", peak)
	}
	// The bound: every detail call at 5/s, every credential at 200/s.
	bound := max(time.Duration(float64(n/100)/5*float64(time.Second)), time.Duration(float64(n)/200*float64(time.Second)))
	t.Logf("R8: %d credentials in %s (lower bound from the rate limits %s, ratio %.2f); peak memory of autocred %.0f MiB; ActiveCampaign %d requests (%.3f per credential, %d rate-limited, peak %d/s); Certifier %d requests (%.3f per credential, %d rate-limited)",
		n, took.Round(time.Second), bound.Round(time.Second), took.Seconds()/bound.Seconds(), w.peakRSS(),
		acStats.Requests, float64(acStats.Requests)/n, acStats.RateLimited, acStats.Accounts[acAccount].PeakPerSecond,
		certStats.Requests, float64(certStats.Requests)/n, certStats.RateLimited)
}

// R9: with both sandboxes failing in every way they can, and autocred
// killed with SIGKILL at random moments and restarted, a batch ends with
// exactly one credential per entry, none missing, and no email sent twice.
func TestR9CrashesAndFaultsNeverDuplicateOrLose(t *testing.T) {
	const n = 300
	w := newWorld(t, worldOptions{poll: time.Second})
	acConn, certConn := w.connect()
	in := make([]simac.ContactInput, n)
	for i := range in {
		in[i] = contact("Chaos", fmt.Sprint("Member", i))
	}
	ids := w.importContacts(in...)
	a := w.automation(acConn, certConn, w.segment("Completers", "Completed"), w.group("Course"), nil)

	must(t, w.ac.Gate().SetRules([]traffic.Rule{
		{Endpoint: "*", ErrorRate: 0.05, DropAfterRate: 0.05, Latency: traffic.Duration(5 * time.Millisecond), LatencyJitter: traffic.Duration(40 * time.Millisecond)},
		{Endpoint: "*", StormEvery: traffic.Duration(7 * time.Second), StormFor: traffic.Duration(time.Second)},
	}))
	must(t, w.cert.Gate().SetRules([]traffic.Rule{
		{Endpoint: "*", ErrorRate: 0.1, Latency: traffic.Duration(5 * time.Millisecond), LatencyJitter: traffic.Duration(60 * time.Millisecond)},
		{Endpoint: "POST /v1/credentials/create-issue-send", DropAfterRate: 0.15},
		{Endpoint: "POST /v1/credentials/search", DropAfterRate: 0.1},
		{Endpoint: "*", StormEvery: traffic.Duration(5 * time.Second), StormFor: traffic.Duration(500 * time.Millisecond)},
	}))

	w.tag("Completed", ids...)
	rng := rand.New(rand.NewPCG(9, 9))
	for range 6 {
		time.Sleep(time.Duration(500+rng.IntN(2500)) * time.Millisecond)
		w.kill()
		w.start()
	}
	must(t, w.ac.Gate().SetRules(nil))
	must(t, w.cert.Gate().SetRules(nil))
	restarted := time.Now()

	done := func() bool {
		var got automation
		w.mustCall("GET", fmt.Sprintf("/api/v1/automations/%d", a.ID), nil, &got, 200)
		return got.Runs["issued"]+got.Runs["send_unconfirmed"] == n
	}
	w.waitFor("every entry's credential", 4*time.Minute, done)
	resumed := time.Since(restarted)
	t.Logf("R9: all %d entries finished %s after the last restart", n, resumed.Round(time.Second))
	// Jobs of the killed process are taken up again within a minute (the
	// rescue delay of a job plus the rescuer's period), not after an hour.
	if resumed > 90*time.Second {
		t.Errorf("the work took %s to finish after the last restart; interrupted work must resume within a minute", resumed.Round(time.Second))
	}
	w.settle(a.ID)

	creds, emails := w.credentials(), w.emails()
	for _, c := range in {
		if len(creds[c.Email]) != 1 {
			t.Errorf("%s has %d credentials, want exactly 1", c.Email, len(creds[c.Email]))
		}
		if emails[c.Email] > 1 {
			t.Errorf("%s was emailed %d times", c.Email, emails[c.Email])
		}
	}
	runs := w.runs(a.ID, "")
	if len(runs) != n {
		t.Errorf("%d runs for %d entries", len(runs), n)
	}
	st := byStatus(runs)
	t.Logf("R9: runs issued %d, send_unconfirmed %d; Certifier credentials %d, emails %d",
		len(st["issued"]), len(st["send_unconfirmed"]), len(w.cert.Credentials(workspace)), len(w.cert.Outbox(workspace)))
}

// A snapshot that fails halfway marks nobody as left: when reading works
// again, nobody who stayed in gets a second credential.
func TestFailedSnapshotsChangeNothing(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{})
	acConn, certConn := w.connect()
	var in []simac.ContactInput
	for i := range 30 {
		in = append(in, contact("Stay", fmt.Sprint("Put", i)))
	}
	ids := w.importContacts(in...)
	a := w.automation(acConn, certConn, w.segment("Completers", "Completed"), w.group("Course"), nil)
	w.tag("Completed", ids...)
	w.waitFor("30 credentials", time.Minute, func() bool { return len(byStatus(w.runs(a.ID, ""))["issued"]) == 30 })

	// Every page read fails, then every run fails, then every run expires.
	must(t, w.ac.Gate().SetRules([]traffic.Rule{{Endpoint: "GET /api/3/segmentMatchSome/{segment}/{run}", ErrorRate: 1}}))
	time.Sleep(3 * time.Second)
	must(t, w.ac.Gate().SetRules(nil))
	must(t, w.ac.FailNextMatchRuns(acAccount, 20))
	time.Sleep(3 * time.Second)
	must(t, w.ac.ExpireMatchRuns(acAccount))
	w.settle(a.ID)

	if runs := w.runs(a.ID, ""); len(runs) != 30 {
		t.Errorf("%d runs after failed snapshots, want 30: someone was taken as having left and re-entered", len(runs))
	}
	if got := len(w.cert.Credentials(workspace)); got != 30 {
		t.Errorf("%d credentials, want 30", got)
	}
}

// Churn: members leave and others enter while snapshots are taken; nobody
// gets a credential without entering, and every entry gets one.
func TestChurnDuringSnapshots(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{ac: simac.Options{MatchRunDelay: 400 * time.Millisecond}, poll: 300 * time.Millisecond})
	acConn, certConn := w.connect()
	var in []simac.ContactInput
	for i := range 200 {
		in = append(in, contact("Churn", fmt.Sprint("C", i)))
	}
	ids := w.importContacts(in...)
	w.tag("Completed", ids[:100]...) // the baseline: 100 members
	a := w.automation(acConn, certConn, w.segment("Completers", "Completed"), w.group("Course"), nil)

	// Five rounds: 20 members leave for good and 20 newcomers enter, while
	// runs take 400ms, so changes land in the middle of snapshots.
	for round := range 5 {
		w.untag("Completed", ids[round*20:round*20+20]...)
		w.tag("Completed", ids[100+round*20:100+round*20+20]...)
		time.Sleep(700 * time.Millisecond)
	}
	w.settle(a.ID)
	creds := w.credentials()
	for i, c := range in {
		want := 0
		if i >= 100 {
			want = 1 // a newcomer
		}
		if len(creds[c.Email]) != want {
			t.Errorf("%s (%d) has %d credentials, want %d", c.Email, i, len(creds[c.Email]), want)
		}
	}
}

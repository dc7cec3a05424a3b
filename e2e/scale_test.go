package e2e

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	simac "github.com/autocred/autocred/sim/activecampaign"
	"github.com/autocred/autocred/sim/traffic"
)

// BenchmarkScale measures how autocred's cost grows with the size of the
// watched segment (issue #7): M members, ActiveCampaign at its real limit
// (5 requests/s) and autocred at --ac-rate 4, Certifier unlimited, SQLite.
// For each M it measures
//
//   - the baseline: M contacts already in the segment when the automation
//     is activated, from the activation to status "active";
//   - one steady-state sync: K contacts enter and K others leave between
//     two syncs, from asking for the sync to the K-th credential;
//   - the sync after it, which confirms the K departures (logged only);
//   - one sync with no change at all.
//
// Each phase reports its wall time, autocred's CPU time and the
// ActiveCampaign requests it spent; the baseline also reports autocred's
// peak memory (VmHWM). Every sync must read the whole snapshot of member
// ids, 10,000 per request, so a sync's requests grow as M/10,000 even when
// nothing changed; what must not grow with M is the work per entry.
//
//	go test -run XXX -bench Scale -benchtime 1x -timeout 30m ./e2e/
//
// AUTOCRED_SCALE_SIZES (comma-separated, default 10000,100000,1000000) and
// AUTOCRED_SCALE_ENTRIES (K, default 100) change the load.
func BenchmarkScale(b *testing.B) {
	sizes := scaleSizes(b)
	entries := envInt("AUTOCRED_SCALE_ENTRIES", 100)
	for _, m := range sizes {
		b.Run(strconv.Itoa(m), func(b *testing.B) {
			if entries > m {
				b.Fatalf("AUTOCRED_SCALE_ENTRIES=%d: the %d leaving are taken from the %d members", entries, entries, m)
			}
			for range b.N {
				measureScale(b, m, entries)
			}
		})
	}
}

// scaleSizes reads AUTOCRED_SCALE_SIZES. A malformed list fails the
// benchmark rather than silently running the (hour-long) defaults.
func scaleSizes(b *testing.B) []int {
	v := strings.TrimSpace(os.Getenv("AUTOCRED_SCALE_SIZES"))
	if v == "" {
		return []int{10_000, 100_000, 1_000_000}
	}
	var sizes []int
	for f := range strings.SplitSeq(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			b.Fatalf("AUTOCRED_SCALE_SIZES=%q: %q is not a positive number", v, f)
		}
		sizes = append(sizes, n)
	}
	return sizes
}

// scaleAutomation is the part of GET /api/v1/automations/{id} followed
// here; unlike the harness's automation it has the sync error, so that a
// failed sync is not measured as a fast one.
type scaleAutomation struct {
	Status        string         `json:"status"`
	LastSyncAt    time.Time      `json:"last_sync_at"`
	LastSyncError string         `json:"last_sync_error"`
	Runs          map[string]int `json:"runs"`
}

// scaleCost is what one phase spent.
type scaleCost struct {
	wall, cpu   time.Duration
	requests    int64 // ActiveCampaign requests, rate-limited ones included
	pages       int64 // of which segment-match pages (segmentMatchSome)
	rateLimited int64
}

// scaleMeter marks the start of a phase.
type scaleMeter struct {
	w     *world
	start time.Time
	cpu   time.Duration
	ac    traffic.Stats
}

func startScaleMeter(w *world) scaleMeter {
	return scaleMeter{w: w, start: time.Now(), cpu: w.nodeCPU(0), ac: w.ac.Gate().Stats()}
}

// stop measures the phase so far. Gate stats are differenced rather than
// Reset, because Reset also forgets the sandbox's rate-limit windows and
// would let the next phase burst past the real limit.
func (m scaleMeter) stop() scaleCost {
	st := m.w.ac.Gate().Stats()
	const page = "GET /api/3/segmentMatchSome/{segment}/{run}"
	return scaleCost{wall: time.Since(m.start), cpu: m.w.nodeCPU(0) - m.cpu, requests: st.Requests - m.ac.Requests,
		pages: st.ByEndpoint[page] - m.ac.ByEndpoint[page], rateLimited: st.RateLimited - m.ac.RateLimited}
}

func (c scaleCost) String() string {
	return fmt.Sprintf("wall %s, CPU %s, %d ActiveCampaign requests (%d segment pages, %d rate-limited)",
		c.wall.Round(time.Millisecond), c.cpu, c.requests, c.pages, c.rateLimited)
}

func (c scaleCost) report(b *testing.B, phase string) {
	b.ReportMetric(c.wall.Seconds(), phase+"-s")
	b.ReportMetric(c.cpu.Seconds(), phase+"-cpu-s")
	b.ReportMetric(float64(c.requests), phase+"-ac-requests")
}

func measureScale(b *testing.B, m, k int) {
	// A poll interval of an hour: every measured sync is one asked for
	// through the API, never a periodic one landing in the middle.
	w := newWorld(b, worldOptions{ac: simac.Options{RatePerSecond: 5}, acRate: 4, poll: time.Hour})
	acConn, certConn := w.connect()

	// M members already in the segment (tagged at import, which fires no
	// webhooks and costs no API call) and K newcomers outside it. Import
	// is the sandbox's Go-level bulk path: a million contacts in seconds.
	in := make([]simac.ContactInput, m+k)
	for i := range in {
		in[i] = simac.ContactInput{Email: fmt.Sprintf("scale.member%d@example.com", i), FirstName: "Scale", LastName: fmt.Sprint("Member", i)}
		if i < m {
			in[i].Tags = []string{"Completed"}
		}
	}
	ids := w.importContacts(in...)
	in = nil
	members, newcomers := ids[:m], ids[m:]
	seg, group := w.segment("Completers", "Completed"), w.group("Course")

	var created automation
	w.mustCall("POST", "/api/v1/automations", map[string]any{"name": "Certificates: " + seg.Name,
		"trigger": map[string]any{"connection_id": acConn, "segment_id": seg.ID},
		"action": map[string]any{"connection_id": certConn, "group_id": group.ID,
			"recipient_name": "{{contact.firstName}} {{contact.lastName}}", "recipient_email": "{{contact.email}}",
			"issue_date": "{{today}}", "expiry_date": "{{today+1y}}", "issue": true, "send": true}}, &created, 201)
	path := fmt.Sprintf("/api/v1/automations/%d", created.ID)
	get := func() scaleAutomation {
		var a scaleAutomation
		w.mustCall("GET", path, nil, &a, 200)
		return a
	}
	// Generous: a million members take about 100 requests at 4/s, plus
	// the ledger's writes; a slower run is a result to report, not a hang.
	timeout := 10*time.Minute + time.Duration(m)*time.Millisecond

	// (a) The baseline. It is the first heavy thing the process does, so
	// the peak memory read right after it (VmHWM, over the process's
	// life) is the baseline's.
	b.ResetTimer()
	meter := startScaleMeter(w)
	syncs0 := w.syncsDone()
	w.mustCall("POST", path+"/activate", nil, nil, 202)
	w.waitFor("the baseline", timeout, func() bool { return get().Status == "active" })
	baseline := meter.stop()
	baselinePeak, baselineRSS := w.nodePeakRSS(0), scaleNodeRSS(w)
	if n := get().Runs; n["pending"]+n["issued"] != 0 {
		b.Fatalf("the baseline made runs: %v", n)
	}

	// The scheduler's first tick after the activation enqueues one more
	// sync (a new automation is due at once), which runs after the
	// baseline; wait for it to come and go so no measured phase counts it.
	w.scaleWaitQuiet(timeout, meter.ac.ByEndpoint[scaleMatchStart], syncs0)

	// (b) Steady state: K leave and K enter between two syncs; the sync
	// that finds them is measured up to the K-th credential.
	w.untag("Completed", members[:k]...)
	w.tag("Completed", newcomers...)
	entries := w.scaleSync(b, path, timeout, get, func(a scaleAutomation) bool {
		return a.Runs["issued"] == k && len(w.cert.Credentials(workspace)) == k
	})
	// The next sync confirms the departures (absent from two complete
	// snapshots), so it is not yet a sync without change.
	confirm := w.scaleSync(b, path, timeout, get, nil)
	if exits := w.metric("autocred_exits_total"); !strings.HasSuffix(exits, " "+strconv.Itoa(k)) {
		b.Fatalf("after two syncs, exits are %q, want %d", exits, k)
	}
	nochange := w.scaleSync(b, path, timeout, get, nil)
	b.StopTimer()

	if a := get(); a.Runs["issued"] != k || len(a.Runs) != 1 {
		b.Fatalf("runs after the syncs: %v, want %d issued", a.Runs, k)
	}
	peak := w.nodePeakRSS(0)
	baseline.report(b, "baseline")
	b.ReportMetric(baselinePeak, "baseline-peak-MiB")
	entries.report(b, "entries")
	nochange.report(b, "nochange")
	b.ReportMetric(peak, "peak-MiB")
	b.Logf("M=%d baseline: %s; peak memory %.0f MiB (RSS %.0f MiB after it)", m, baseline, baselinePeak, baselineRSS)
	b.Logf("M=%d sync with %d entering and %d leaving: %s", m, k, k, entries)
	b.Logf("M=%d sync confirming the %d departures: %s", m, k, confirm)
	b.Logf("M=%d sync with no change: %s; peak memory over the whole run %.0f MiB (RSS %.0f MiB at the end)", m, nochange, peak, scaleNodeRSS(w))
}

// scaleSync asks for one sync and measures it until it has been recorded
// (its start is after the request) and done(automation) holds.
func (w *world) scaleSync(b *testing.B, path string, timeout time.Duration, get func() scaleAutomation, done func(scaleAutomation) bool) scaleCost {
	b.Helper()
	before := get().LastSyncAt
	meter := startScaleMeter(w)
	w.mustCall("POST", path+"/sync", nil, nil, 202)
	var a scaleAutomation
	w.waitFor("the sync", timeout, func() bool {
		a = get()
		return a.LastSyncAt.After(before) && (done == nil || done(a))
	})
	c := meter.stop()
	if a.LastSyncError != "" {
		b.Fatalf("the sync failed: %s", a.LastSyncError)
	}
	return c
}

// scaleMatchStart is the sandbox's name for the request that begins every sync:
// starting a segment-match run.
const scaleMatchStart = "GET /api/3/segmentMatchAll/{segment}"

// scaleWaitQuiet waits until no sync is waiting or running: every segment-match
// run started since starts0 has a finished sync since syncs0 in autocred's
// metrics (no run fails in these worlds, so a sync starts exactly one), and
// that has stayed so for longer than the scheduler's period (5 s) plus the
// snooze of a sync that found the segment's lease taken (2 s).
func (w *world) scaleWaitQuiet(timeout time.Duration, starts0, syncs0 int64) {
	w.t.Helper()
	quietSince := time.Now()
	w.waitFor("the syncs after the baseline", timeout, func() bool {
		// One run per sync, and one more: the baseline reads the segment
		// twice (engine.readBaselineAgain).
		if w.ac.Gate().Stats().ByEndpoint[scaleMatchStart]-starts0 != w.syncsDone()-syncs0+1 {
			quietSince = time.Now()
		}
		return time.Since(quietSince) > 8*time.Second
	})
}

// scaleNodeRSS is the first node's resident memory now (VmRSS), in MiB: beside
// the peak, it tells memory held from memory used for a moment.
func scaleNodeRSS(w *world) float64 { return w.nodeMemory(0, "VmRSS") }

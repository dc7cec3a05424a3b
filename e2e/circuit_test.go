package e2e

import (
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	simac "github.com/autocred/autocred/sim/activecampaign"
	"github.com/autocred/autocred/sim/traffic"
)

// circuitArgs shorten the circuit's waits so that a test of an outage
// takes seconds: the first probe 1 s after it opens, then 2 s apart; 2 s
// between probes of an account-level refusal.
var circuitArgs = []string{"--certifier-probe-interval", "1s", "--certifier-probe-max", "2s", "--certifier-account-probe-interval", "2s"}

// issueWorkers is autocred's default number of issue jobs at once: the
// calls that can be in flight when Certifier goes down.
const issueWorkers = 20

// pendingRuns starts n contacts into the segment of tag and waits until
// each has its run.
func (w *world) pendingRuns(automationID int64, tag string, n int) {
	w.t.Helper()
	in := make([]simac.ContactInput, n)
	for i := range in {
		in[i] = contact(fmt.Sprintf("Ada%d", i), tag)
	}
	w.tag(tag, w.importContacts(in...)...)
	w.waitFor(fmt.Sprint(n, " runs"), time.Minute, func() bool {
		total := 0
		for _, c := range w.automationNow(automationID).Runs {
			total += c
		}
		return total == n
	})
}

// uiPages signs in as a new admin and returns the HTML (unescaped) of
// each path.
func (w *world) uiPages(paths ...string) map[string]string {
	w.t.Helper()
	admin := exec.Command(binary, "admin", "create", "--email", "circuit@example.com", "--database", w.dbArg)
	admin.Env = append(w.env, "AUTOCRED_ADMIN_PASSWORD=correct horse battery")
	if out, err := admin.CombinedOutput(); err != nil && !strings.Contains(string(out), "exists") {
		w.t.Fatalf("admin create: %v\n%s", err, out)
	}
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	resp, err := client.PostForm("http://"+w.addr+"/signin", url.Values{"email": {"circuit@example.com"}, "password": {"correct horse battery"}})
	must(w.t, err)
	resp.Body.Close()
	out := map[string]string{}
	for _, p := range paths {
		resp, err := client.Get("http://" + w.addr + p)
		must(w.t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			w.t.Fatalf("%s answered %d", p, resp.StatusCode)
		}
		out[p] = html.UnescapeString(string(body))
	}
	return out
}

// exactlyOnce checks that every run is issued and each recipient has one
// credential and at most one email.
func (w *world) exactlyOnce(automationID int64, n int) {
	w.t.Helper()
	runs := w.runs(automationID, "")
	if got := len(byStatus(runs)["issued"]); got != n || len(runs) != n {
		w.t.Errorf("%d of %d runs issued: %v", got, len(runs), statusCounts(runs))
	}
	creds, emails := w.credentials(), w.emails()
	for _, r := range runs {
		if len(creds[r.Email]) != 1 || emails[r.Email] > 1 {
			w.t.Errorf("%s: %d credential(s), %d email(s); want exactly one credential and at most one email", r.Email, len(creds[r.Email]), emails[r.Email])
		}
	}
}

func statusCounts(runs []run) map[string]int {
	out := map[string]int{}
	for _, r := range runs {
		out[r.Status]++
	}
	return out
}

// TestCertifierOutageIsMetOnce: Certifier answers 500 to everything while
// 150 runs are pending. The workspace's circuit opens after a few failures;
// from then on the runs wait without calling it, one probe at a time tests
// it, the automation and health pages say so, and once Certifier is back
// every run is issued exactly once, with no one doing anything.
func TestCertifierOutageIsMetOnce(t *testing.T) {
	t.Parallel()
	const n = 150
	w := newWorld(t, worldOptions{args: circuitArgs})
	acConn, certConn := w.connect()
	a := w.automation(acConn, certConn, w.segment("Outage", "outage"), w.group("Outage course"), nil)

	must(t, w.cert.Gate().SetRules([]traffic.Rule{{Endpoint: "*", ErrorRate: 1}}))
	before := w.cert.Gate().Stats().Requests
	w.pendingRuns(a.ID, "outage", n)

	w.waitFor("the automation to say Certifier is failing", time.Minute, func() bool {
		c := w.automationNow(a.ID).CertifierCircuit
		return c != nil && c.Reason == "outage"
	})
	// The outage goes on: ten seconds of probes 1 then 2 s apart.
	time.Sleep(10 * time.Second)
	c := w.automationNow(a.ID).CertifierCircuit
	pages := w.uiPages(fmt.Sprintf("/automations/%d", a.ID), "/health")
	during := w.cert.Gate().Stats().Requests - before
	probes := metricSum(w.metric("autocred_certifier_circuit_probes_total"))
	must(t, w.cert.Gate().SetRules(nil))
	t.Logf("during the outage: %d requests reached Certifier for %d pending runs (%d probes); metric: %s",
		during, n, probes, w.metric("autocred_certifier_circuit_open"))

	if c == nil || !strings.HasPrefix(c.Notice, "Certifier has been failing since ") || !strings.Contains(c.Notice, "; next try at ") || c.WaitingRuns == 0 {
		t.Errorf("the API's automation does not say Certifier is failing, how many runs wait and when the next try is: %+v", c)
	}
	for path, page := range pages {
		// The automation and Health's connection say it alike, in plain
		// words: since when, how many wait, when the next try is.
		for _, want := range []string{"<strong>Certifier is not answering</strong>, since <time", "runs wait for it: waiting is not failing.", "Next attempt at <time"} {
			if !strings.Contains(page, want) {
				t.Errorf("%s does not say %q:\n%s", path, want, page)
			}
		}
	}
	// Before it opens, every issue job may have a call in flight; after,
	// only the probes call.
	if limit := int64(issueWorkers) + probes + 5; during > limit || during > n/5 {
		t.Errorf("%d requests reached Certifier during the outage, for %d runs; want at most %d (%d calls in flight when it opened, %d probes, 5 more)",
			during, n, limit, issueWorkers, probes)
	}
	if probes == 0 {
		t.Error("no probe was counted (autocred_certifier_circuit_probes_total)")
	}

	w.waitFor("every run to be issued once Certifier is back", 2*time.Minute, func() bool {
		return w.automationNow(a.ID).Runs["issued"] == n
	})
	w.exactlyOnce(a.ID, n)
	if c := w.automationNow(a.ID).CertifierCircuit; c != nil {
		t.Errorf("the circuit is still open after recovery: %+v", c)
	}
}

// metricSum adds the values of the lines metric returns.
func metricSum(lines string) int64 {
	var sum float64
	for l := range strings.SplitSeq(lines, "; ") {
		f := strings.Fields(l)
		if len(f) == 2 {
			var v float64
			fmt.Sscan(f[1], &v)
			sum += v
		}
	}
	return int64(sum)
}

// certifierNotice is the notice the connections API gives the Certifier
// connection.
func (w *world) certifierNotice(id int64) string {
	w.t.Helper()
	var list struct {
		Connections []struct {
			ID     int64  `json:"id"`
			Notice string `json:"notice"`
		} `json:"connections"`
	}
	w.mustCall("GET", "/api/v1/connections", nil, &list, 200)
	for _, c := range list.Connections {
		if c.ID == id {
			return c.Notice
		}
	}
	return ""
}

// TestAccountLevelRefusalsWait: Certifier refuses every credential for a
// reason that concerns the workspace, not the credential: its plan lacks
// issuing (402 payment_required), or it no longer accepts the API version
// autocred sends (400 invalid_version). The runs wait instead of failing
// one by one with "fix the mapping"; the connection and the automation say
// once, in words, what to do; one call per probe interval tests it; and
// once the workspace is fixed every run is issued, by itself.
func TestAccountLevelRefusalsWait(t *testing.T) {
	t.Parallel()
	const n = 20
	for _, tc := range []struct {
		name   string
		refuse func(w *world, on bool)
		status string // the refusal's HTTP status, as the sandbox counts it
		reason string
		notice string
	}{
		{"plan lacks issuing (402)", func(w *world, on bool) { must(w.t, w.cert.SetPaymentRequired(workspace, on)) }, "402", "plan",
			"Nothing can be issued: this Certifier workspace's plan does not include issuing credentials. Upgrade the plan in Certifier;"},
		{"API version refused (invalid_version)", func(w *world, on bool) {
			var retired []string
			if on {
				retired = []string{"2022-10-26"}
			}
			must(w.t, w.cert.SetRetiredVersions(retired))
		}, "400", "version", "Nothing can be issued: Certifier no longer accepts the API version this autocred uses. Update autocred to its latest release;"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, worldOptions{args: circuitArgs})
			acConn, certConn := w.connect()
			a := w.automation(acConn, certConn, w.segment("Refused", "refused"), w.group("Refused course"), nil)

			tc.refuse(w, true)
			before := w.cert.Gate().Stats().ByStatus[tc.status]
			w.pendingRuns(a.ID, "refused", n)
			w.waitFor("the automation to say why its runs wait", time.Minute, func() bool {
				c := w.automationNow(a.ID).CertifierCircuit
				return c != nil && c.Reason == tc.reason
			})
			time.Sleep(5 * time.Second) // two more probe intervals
			ac := w.automationNow(a.ID)
			notice := w.certifierNotice(certConn)
			pages := w.uiPages(fmt.Sprintf("/automations/%d", a.ID), "/connections")
			refused := w.cert.Gate().Stats().ByStatus[tc.status] - before
			probes := metricSum(w.metric("autocred_certifier_circuit_probes_total"))
			runs := w.runs(a.ID, "")
			tc.refuse(w, false)
			t.Logf("%d refusals for %d runs (%d probes); runs: %v; notice: %s", refused, n, probes, statusCounts(runs), notice)

			if ac.Runs["pending"] != n {
				t.Errorf("runs %v while the workspace is refused, want all %d pending (waiting, not failed)", ac.Runs, n)
			}
			waiting := 0
			for _, r := range runs {
				if strings.Contains(r.Error, "Fix the mapping") {
					t.Errorf("run %d tells the user to fix the mapping: %s", r.ID, r.Error)
				}
				if r.Error != "" && r.ErrorCode != "waiting_"+tc.reason {
					t.Errorf("run %d waits with code %q, want waiting_%s", r.ID, r.ErrorCode, tc.reason)
				}
				if r.ErrorCode != "" {
					waiting++
				}
			}
			if waiting == 0 {
				t.Errorf("no waiting run has a code; want waiting_%s", tc.reason)
			}
			if !strings.HasPrefix(notice, tc.notice) || !strings.Contains(notice, "issues the waiting runs by itself") || !strings.Contains(notice, "20 runs waiting") {
				t.Errorf("the connection's notice %q; want it to start %q and say the runs wait", notice, tc.notice)
			}
			if c := ac.CertifierCircuit; c == nil || c.Notice != notice {
				t.Errorf("the automation's notice differs from the connection's: %+v", c)
			}
			for path, page := range pages {
				if !strings.Contains(page, tc.notice) {
					t.Errorf("%s does not say why the runs wait:\n%s", path, page)
				}
			}
			// The first refusals come from every job in flight at once;
			// then one call per probe.
			if limit := int64(issueWorkers) + probes + 2; refused > limit {
				t.Errorf("Certifier refused %d calls for %d runs; want at most %d (%d in flight, %d probes)", refused, n, limit, issueWorkers, probes)
			}

			w.waitFor("every run to be issued once the workspace is fixed", time.Minute, func() bool {
				return w.automationNow(a.ID).Runs["issued"] == n
			})
			w.exactlyOnce(a.ID, n)
			if notice := w.certifierNotice(certConn); notice != "" {
				t.Errorf("the connection still says %q", notice)
			}
		})
	}
}

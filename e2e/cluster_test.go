package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	simac "github.com/autocred/autocred/sim/activecampaign"
	simcert "github.com/autocred/autocred/sim/certifier"
	"github.com/autocred/autocred/sim/traffic"
)

// Distributed mode: three nodes on one PostgreSQL database share a batch of
// entries (2,500 in CI; AUTOCRED_CLUSTER_ENTRIES=20000, as scripts/proof
// runs it, for the full size), and one of them (the first started, most
// likely River's leader) is killed with SIGKILL halfway. Every entry still gets exactly one
// credential and one email, and the others finish the dead node's jobs.
//
// Meanwhile 150 contacts enter a second segment whose mapping reads a custom
// field, which costs an ActiveCampaign call in each issue job, on whichever
// node runs it: the scan of the field's values that a batch would use
// instead (engine/fieldscan.go) is refused here, so that the nodes' issue
// jobs call ActiveCampaign at once. The nodes together keep within ActiveCampaign's 5 requests
// per second and Certifier's 200: a budget is the account's, kept in the
// database, not each node's (with a budget per node, three nodes make 12
// calls a second to ActiveCampaign and about 290 to Certifier).
func TestClusterOfThreeNodesSurvivesAKilledNode(t *testing.T) {
	// Beside the other tests, like R8. Certifier's budget is set well under
	// the sandbox's 200/s: a node starved of CPU for a moment sends the
	// slots it reserved late, all at once, and the sandbox counts them in
	// one second with the others' (measured alone: peak 188/s at 180).
	t.Parallel()
	// At the real rate limits the batch takes minutes: the CI size keeps
	// this test from being the suite's long pole (20,000 took 5.5 min;
	// 5,000 took 218 s beside the other tests on 2026-12-01, 45 s longer
	// than R8: the three nodes issued about 20 a second there, PostgreSQL
	// and the other tests sharing two cores). Any size whose kill lands
	// mid-batch tests what this test is for.
	n := envInt("AUTOCRED_CLUSTER_ENTRIES", 2_500)
	const fielded = 150
	w := newWorld(t, worldOptions{
		nodes:  3,
		ac:     simac.Options{RatePerSecond: 5},
		cert:   simcert.Options{RatePerSecond: 200},
		acRate: 4, crtRate: 160, poll: 5 * time.Second,
	})
	acConn, certConn := w.connect()
	must(t, w.cert.AddAttribute(workspace, "custom.course_name", "Course Name"))
	in := make([]simac.ContactInput, n+fielded)
	for i := range in {
		in[i] = contact("Cluster", fmt.Sprint("Member", i))
		if i >= n {
			in[i].Fields = map[string]string{"COURSE_NAME": "Webinar"}
		}
	}
	ids := w.importContacts(in...)
	group := w.group("Course")
	a := w.automation(acConn, certConn, w.segment("Completers", "Completed"), group, nil)
	b := w.automation(acConn, certConn, w.segment("Attendees", "Attended"), group,
		map[string]any{"custom_attributes": map[string]string{"custom.course_name": "{{contact.fields.COURSE_NAME}}"}})
	must(t, w.ac.Gate().SetRules([]traffic.Rule{{Endpoint: "GET /api/3/fieldValues", ErrorRate: 1, ErrorStatus: 400}}))
	w.ac.Gate().Reset()
	w.cert.Gate().Reset()

	start := time.Now()
	w.tag("Completed", ids[:n]...)
	w.tag("Attended", ids[n:]...)
	// A run whose create-issue-send was in flight on the killed node ends
	// send_unconfirmed: Certifier made and emailed the credential, the
	// answer was lost, and the run adopts it without sending again (R9).
	doneRuns := func(id int64) int {
		got := w.automationNow(id)
		return got.Runs["issued"] + got.Runs["send_unconfirmed"]
	}
	w.waitFor("half the credentials", 10*time.Minute, func() bool { return doneRuns(a.ID) >= n/2 })
	peaks := []float64{w.nodePeakRSS(0), 0, 0}
	w.killNode(0)
	killedAt := time.Since(start)
	w.waitFor("every credential", 10*time.Minute, func() bool { return doneRuns(a.ID) == n && doneRuns(b.ID) == fielded })
	took := time.Since(start)
	w.settle(a.ID, b.ID)
	unconfirmed := len(w.runs(a.ID, "status=send_unconfirmed")) + len(w.runs(b.ID, "status=send_unconfirmed"))

	creds, emails := w.credentials(), w.emails()
	for _, c := range in {
		if len(creds[c.Email]) != 1 || emails[c.Email] != 1 {
			t.Fatalf("%s has %d credentials and %d emails, want 1 and 1", c.Email, len(creds[c.Email]), emails[c.Email])
		}
	}
	if got := len(w.cert.Credentials(workspace)); got != len(in) {
		t.Errorf("%d credentials in all, want %d", got, len(in))
	}
	acStats, certStats := w.ac.Gate().Stats(), w.cert.Gate().Stats()
	checkPace(t, "ActiveCampaign", acStats.Accounts[acAccount], 5)
	checkPace(t, "Certifier", certStats.Accounts[workspace], 200)
	// The surviving nodes both worked: jobs go to any node.
	var finished []string
	for i := 1; i < len(w.nodes); i++ {
		peaks[i] = w.nodePeakRSS(i)
		m := metricAt(w.nodes[i].addr, `autocred_runs_finished_total{outcome="issued"}`)
		if m == "" {
			t.Errorf("node %d finished no run", i)
		}
		finished = append(finished, fmt.Sprintf("node %d: %s", i, strings.TrimPrefix(m, `autocred_runs_finished_total{outcome="issued"} `)))
	}
	// The bound: the detail calls of the batch and one call per fielded
	// entry at 5/s; every credential at 200/s.
	bound := max(time.Duration(float64(n/100+fielded)/5*float64(time.Second)), time.Duration(float64(len(in))/200*float64(time.Second)))
	t.Logf("cluster: %d credentials by 3 nodes in %s, node 0 killed at %s (bound from the rate limits %s, ratio %.2f); runs issued by the surviving nodes %s, send_unconfirmed %d; peak memory per node %.0f / %.0f / %.0f MiB; ActiveCampaign %d requests (peak %d/s, %d rate-limited); Certifier %d requests (peak %d/s, %d rate-limited)",
		len(in), took.Round(time.Second), killedAt.Round(time.Second), bound.Round(time.Second), took.Seconds()/bound.Seconds(),
		strings.Join(finished, ", "), unconfirmed, peaks[0], peaks[1], peaks[2],
		acStats.Requests, acStats.Accounts[acAccount].PeakPerSecond, acStats.RateLimited,
		certStats.Requests, certStats.Accounts[workspace].PeakPerSecond, certStats.RateLimited)
}

// Web sessions, API tokens and the webhook receiver work on any node: they
// live in the database (sessions, tokens) or derive from the shared secret
// key (the webhook's address), so a plain round-robin load balancer will do.
func TestSessionsTokensAndWebhooksWorkOnAnyNode(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{nodes: 2, hints: true, poll: 10 * time.Minute})
	first, second := w.nodes[0].addr, w.nodes[1].addr

	// A session made on one node opens pages on the other.
	admin := exec.Command(binary, "admin", "create", "--email", "ops@example.com", "--database", w.dbArg)
	admin.Env = append(w.env, "AUTOCRED_ADMIN_PASSWORD=correct horse battery")
	if out, err := admin.CombinedOutput(); err != nil {
		t.Fatalf("admin create: %v\n%s", err, out)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.PostForm("http://"+first+"/signin", url.Values{"email": {"ops@example.com"}, "password": {"correct horse battery"}})
	must(t, err)
	resp.Body.Close()
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Value != "" {
			session = c
		}
	}
	if resp.StatusCode != http.StatusSeeOther || session == nil {
		t.Fatalf("sign-in on the first node answered %d with cookies %v", resp.StatusCode, resp.Cookies())
	}
	req, _ := http.NewRequest("GET", "http://"+second+"/automations", nil)
	req.AddCookie(session)
	resp, err = noRedirect.Do(req)
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("the second node answered %d to the first node's session, want 200", resp.StatusCode)
	}

	// The API token (made by "token create") works on both.
	for _, addr := range []string{first, second} {
		req, _ := http.NewRequest("GET", "http://"+addr+"/api/v1/connections", nil)
		req.Header.Set("Authorization", "Bearer "+w.token)
		resp, err := http.DefaultClient.Do(req)
		must(t, err)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("the API on %s answered %d to the token, want 200", addr, resp.StatusCode)
		}
	}

	// The webhook was registered with the first node's address; a delivery
	// to the same path on the second node is accepted and acted on. The
	// contact arrives by import, which fires no webhook, and polling is
	// every 10 minutes: only the delivery to the second node explains a
	// credential within seconds.
	acConn, certConn := w.connect()
	w.automation(acConn, certConn, w.segment("Completers", "Completed"), w.group("Course"), nil)
	w.waitFor("the webhook", 30*time.Second, func() bool { return len(w.acWebhooks()) == 1 })
	in := contact("Any", "Node")
	in.Tags = []string{"Completed"}
	ids := w.importContacts(in)
	hook := strings.Replace(w.acWebhooks()[0].URL, first, second, 1)
	for _, tc := range []struct {
		url  string
		want int
	}{{hook + "x", http.StatusNotFound}, {hook, http.StatusAccepted}} {
		resp, err := http.Post(tc.url, "application/x-www-form-urlencoded",
			strings.NewReader(fmt.Sprintf("type=contact_tag_added&initiated_from=admin&contact%%5Bid%%5D=%d", ids[0])))
		must(t, err)
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Fatalf("delivery to %s answered %d, want %d", tc.url, resp.StatusCode, tc.want)
		}
	}
	w.waitFor("the credential from the second node's hint", 30*time.Second, func() bool {
		return len(w.credentials()[in.Email]) == 1
	})
}

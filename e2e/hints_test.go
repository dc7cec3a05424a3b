package e2e

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	simac "github.com/autocred/autocred/sim/activecampaign"
	simcert "github.com/autocred/autocred/sim/certifier"
)

// With a public URL, a tag added in ActiveCampaign reaches Certifier within
// seconds. Polling is set to 10 minutes, so only the webhook hint can
// explain it. A webhook removed on ActiveCampaign's side is noticed and
// registered again.
func TestHintIssuesWithinSeconds(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{hints: true, poll: 10 * time.Minute})
	acConn, certConn := w.connect()
	ids := w.importContacts(contact("Quick", "Learner"), contact("Second", "Learner"))
	a := w.automation(acConn, certConn, w.segment("Completers", "Completed"), w.group("Course"), nil)
	w.waitFor("the webhook", 30*time.Second, func() bool { return len(w.acWebhooks()) == 1 })
	hook := w.acWebhooks()[0]
	if !strings.HasPrefix(hook.URL, "http://"+w.addr+fmt.Sprintf("/hooks/activecampaign/%d/", acConn)) {
		t.Fatalf("webhook URL %s", hook.URL)
	}

	start := time.Now()
	w.tag("Completed", ids[0])
	w.waitFor("the credential from the hint", 30*time.Second, func() bool { return len(w.cert.Credentials(workspace)) == 1 })
	t.Logf("hint: tag to credential in %s", time.Since(start).Round(time.Millisecond))
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("tag to credential took %s; with hints it should take seconds", took)
	}

	// Removed on ActiveCampaign's side (as a 410 answer or a user would).
	req, _ := http.NewRequest("DELETE", w.acURL+"/api/3/webhooks/"+strconv.FormatInt(hook.ID, 10), nil)
	req.Header.Set("Api-Token", acKey)
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	resp.Body.Close()
	w.waitFor("the webhook to be registered again", 30*time.Second, func() bool { return len(w.acWebhooks()) == 1 })
	hook = w.acWebhooks()[0]
	w.tag("Completed", ids[1])
	w.waitFor("the second credential", 30*time.Second, func() bool { return len(w.cert.Credentials(workspace)) == 2 })

	// The receiver answers fast: the work is a job. Deliveries repeat, so
	// these 50 (about a contact already in) change nothing.
	var slowest time.Duration
	for range 50 {
		t0 := time.Now()
		resp, err := http.Post(hook.URL, "application/x-www-form-urlencoded",
			strings.NewReader(fmt.Sprintf("type=update&initiated_from=admin&contact%%5Bid%%5D=%d", ids[0])))
		must(t, err)
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("delivery answered %d, want 202", resp.StatusCode)
		}
		slowest = max(slowest, time.Since(t0))
	}
	t.Logf("receiver: slowest of 50 deliveries answered in %s", slowest.Round(time.Microsecond))

	// Pausing the last automation of the account removes the webhook.
	w.mustCall("POST", fmt.Sprintf("/api/v1/automations/%d/pause", a.ID), nil, nil, 202)
	w.waitFor("the webhook to be removed", 30*time.Second, func() bool { return len(w.acWebhooks()) == 0 })
	if got := len(byStatus(w.runs(a.ID, ""))["issued"]); got != 2 {
		t.Errorf("%d runs issued, want 2", got)
	}
}

// A storm of 10,000 hints (a mass tag change) stays within ActiveCampaign's
// 5 requests per second, and is folded into syncs instead of 10,000 checks:
// every credential arrives as fast as a sync would bring it.
func TestHintStormIsFoldedIntoSyncs(t *testing.T) {
	t.Parallel()
	const n = 10_000
	w := newWorld(t, worldOptions{hints: true, poll: 10 * time.Minute,
		ac: simac.Options{RatePerSecond: 5}, cert: simcert.Options{RatePerSecond: 200}, acRate: 4, crtRate: 190})
	acConn, certConn := w.connect()
	in := make([]simac.ContactInput, n)
	for i := range in {
		in[i] = contact("Storm", fmt.Sprint("Member", i))
	}
	ids := w.importContacts(in...)
	a := w.automation(acConn, certConn, w.segment("Completers", "Completed"), w.group("Course"), nil)
	w.waitFor("the webhook", 30*time.Second, func() bool { return len(w.acWebhooks()) == 1 })
	w.ac.Gate().Reset()

	start := time.Now()
	w.tag("Completed", ids...) // fires 10,000 webhooks
	w.waitFor("10,000 credentials", 6*time.Minute, func() bool {
		var got automation
		w.mustCall("GET", fmt.Sprintf("/api/v1/automations/%d", a.ID), nil, &got, 200)
		return got.Runs["issued"] == n
	})
	took := time.Since(start)
	st := w.ac.Gate().Stats()
	t.Logf("hint storm: %d credentials in %s; ActiveCampaign %d requests, peak %d/s, %d rate-limited; webhook deliveries %+v",
		n, took.Round(time.Second), st.Requests, st.Accounts[acAccount].PeakPerSecond, st.RateLimited, w.ac.Deliveries())
	checkPace(t, "ActiveCampaign", st.Accounts[acAccount], 5)
	if st.Requests > n/10 {
		t.Errorf("%d ActiveCampaign requests for %d entries: the hints were checked one by one instead of folded into syncs", st.Requests, n)
	}
	creds := w.credentials()
	for _, c := range in {
		if len(creds[c.Email]) != 1 {
			t.Fatalf("%s has %d credentials", c.Email, len(creds[c.Email]))
		}
	}
}

package e2e

import (
	"fmt"
	"testing"

	simac "github.com/autocred/autocred/sim/activecampaign"
	"github.com/autocred/autocred/sim/traffic"
)

// A create-issue-send whose answer is lost ends send_unconfirmed: the
// email probably went out, and autocred never sends it again by itself.
// The user's Resend email sends it once more, makes the run issued and is
// recorded; a second resend at once is refused and sends nothing.
func TestResendAfterAnUnconfirmedSend(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{})
	// Certifier processes the create-issue-send, and its answer is lost.
	must(t, w.cert.Gate().SetRules([]traffic.Rule{{Endpoint: "POST /v1/credentials/create-issue-send", DropAfterRate: 1}}))
	_, _, r := w.firstRun(simac.ContactInput{Email: "cleo@example.com", FirstName: "Cleo", LastName: "Park"})
	must(t, w.cert.Gate().SetRules(nil))
	if r.Status != "send_unconfirmed" {
		t.Fatalf("run %s %q, want send_unconfirmed", r.Status, r.Error)
	}
	if n := w.emails()["cleo@example.com"]; n != 1 {
		t.Fatalf("%d emails before the resend, want 1", n)
	}
	if v := w.run(r.ID); !v.says("Attempt 1: asked Certifier to create, issue and email the credential for Cleo Park <cleo@example.com>.") {
		t.Errorf("the run does not say what it sent; events: %+v", v.Events)
	}

	path := fmt.Sprintf("/api/v1/runs/%d/resend", r.ID)
	var after run
	w.mustCall("POST", path, nil, &after, 200)
	if after.Status != "issued" {
		t.Errorf("after the resend the run is %s, want issued", after.Status)
	}
	if v := w.run(r.ID); !v.says(`Email resent by API token "e2e" to cleo@example.com.`) {
		t.Errorf("the run does not say who resent it; events: %+v", v.Events)
	}
	w.mustCall("POST", path, nil, nil, 409)
	if n := w.emails()["cleo@example.com"]; n != 2 {
		t.Errorf("%d emails after a resend and a refused one, want 2", n)
	}
	if n := len(w.cert.Credentials(workspace)); n != 1 {
		t.Errorf("%d credentials, want 1", n)
	}
}

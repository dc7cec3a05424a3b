package e2e

import (
	"fmt"
	"testing"
	"time"

	simac "github.com/autocred/autocred/sim/activecampaign"
	"github.com/autocred/autocred/sim/traffic"
)

// A node killed (SIGKILL) while the sync scans a custom field's values
// for a batch, and again while it records the batch's entries, loses and
// doubles nothing, and every credential carries the entrant's own value.
func TestCrashDuringACustomFieldScan(t *testing.T) {
	t.Parallel()
	const n, others = 400, 1200
	w := newWorld(t, worldOptions{poll: time.Second})
	acConn, certConn := w.connect()
	w.acField("Course name", "COURSE_NAME", "text")
	must(t, w.cert.AddAttribute(workspace, "custom.course", "Course"))
	in := make([]simac.ContactInput, n+others)
	for i := range in {
		in[i] = contact("Crash", fmt.Sprint("Entrant", i))
		if i >= n {
			in[i] = contact("Other", fmt.Sprint("Bystander", i))
		}
		in[i].Fields = map[string]string{"COURSE_NAME": courseOf(in[i])}
	}
	ids := w.importContacts(in...)
	a := w.automation(acConn, certConn, w.segment("Completers", "Completed"), w.group("Course"),
		map[string]any{"custom_attributes": map[string]string{"custom.course": "{{contact.fields.Course name}}"}})
	// A slow scan (16 pages) and slow detail reads, so that the kills fall
	// inside them.
	must(t, w.ac.Gate().SetRules([]traffic.Rule{
		{Endpoint: "GET /api/3/fieldValues", Latency: traffic.Duration(400 * time.Millisecond)},
		{Endpoint: "GET /api/3/contacts", Latency: traffic.Duration(600 * time.Millisecond)},
	}))
	w.ac.Gate().Reset()
	w.tag("Completed", ids[:n]...)
	scanned := func() int64 { return w.ac.Gate().Stats().ByEndpoint["GET /api/3/fieldValues"] }
	w.waitFor("the scan under way", 2*time.Minute, func() bool { return scanned() >= 3 })
	w.kill()
	t.Logf("killed during the scan, after %d pages", scanned())
	w.start()
	w.waitFor("some entries recorded", 4*time.Minute, func() bool {
		got := w.automationNow(a.ID)
		total := 0
		for _, k := range got.Runs {
			total += k
		}
		return total >= 100
	})
	got := w.automationNow(a.ID)
	w.kill()
	t.Logf("killed while recording the batch: runs %v, scan pages so far %d", got.Runs, scanned())
	w.start()
	must(t, w.ac.Gate().SetRules(nil))
	w.waitFor(fmt.Sprintf("%d credentials", n), 6*time.Minute, func() bool {
		got := w.automationNow(a.ID)
		// A kill during a send leaves it unconfirmed, never sent twice.
		return got.Runs["issued"]+got.Runs["send_unconfirmed"] == n
	})
	w.settle(a.ID)
	st := w.ac.Gate().Stats()
	t.Logf("ActiveCampaign: %d GET /fieldValues, %d GET /contacts/{id}/fieldValues", st.ByEndpoint["GET /api/3/fieldValues"],
		st.ByEndpoint["GET /api/3/contacts/{id}/fieldValues"])
	creds := w.credentials()
	bad := 0
	for _, c := range in[:n] {
		if len(creds[c.Email]) != 1 {
			bad++
			t.Errorf("%s has %d credentials, want 1", c.Email, len(creds[c.Email]))
			continue
		}
		if got, want := creds[c.Email][0].CustomAttributes["custom.course"], courseOf(c); got != want {
			bad++
			if bad < 10 {
				t.Errorf("%s: custom.course %q, want %q", c.Email, got, want)
			}
		}
	}
	for _, c := range in[n:] {
		if len(creds[c.Email]) != 0 {
			t.Errorf("%s (never entered) has %d credentials", c.Email, len(creds[c.Email]))
		}
	}
}

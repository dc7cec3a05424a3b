package web

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/service"
	simac "github.com/autocred/autocred/sim/activecampaign"
	"github.com/autocred/autocred/sim/traffic"
)

// eventually polls cond for up to a minute.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// enterRun moves a contact into the fixture's segment and returns its run
// once it has the status.
func (u *uiTest) enterRun(f fixture, c simac.ContactInput, status autocred.RunStatus) autocred.Run {
	u.t.Helper()
	c.Tags = []string{"done"}
	if _, err := u.env.AC.Import("acme", []simac.ContactInput{c}); err != nil {
		u.t.Fatal(err)
	}
	var run autocred.Run
	eventually(u.t, c.Email+" "+string(status), func() bool {
		runs, _, err := u.env.Service.Runs(context.Background(), autocred.RunFilter{AutomationID: f.automation, Contact: c.Email})
		if err != nil || len(runs) == 0 {
			return false
		}
		run = runs[0]
		return run.Status == status
	})
	return run
}

func (u *uiTest) activate(f fixture) {
	u.t.Helper()
	ctx := context.Background()
	if err := u.env.Service.Activate(ctx, f.automation, false); err != nil {
		u.t.Fatal(err)
	}
	eventually(u.t, "the automation active", func() bool {
		a, err := u.env.Service.Automation(ctx, f.automation)
		return err == nil && a.Status == autocred.AutomationActive
	})
}

// The run page tells the whole story: what was sent, as it was sent even
// after the contact changed; when the contact entered; who retried and
// who resent it; and a resend is refused when repeated at once.
func TestRunPageTellsTheStory(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	f := u.fixture()
	u.activate(f)
	run := u.enterRun(f, simac.ContactInput{Email: "lin@example.com", FirstName: "Lin", LastName: "Tan"}, autocred.RunIssued)
	// The contact changes after the credential was sent.
	if _, err := u.env.AC.Import("acme", []simac.ContactInput{{Email: "lin@example.com", FirstName: "Linda"}}); err != nil {
		t.Fatal(err)
	}
	runPath := "/runs/" + itoa(run.ID)
	p := u.do("GET", runPath, nil)
	for _, want := range []string{
		"<h2 class=\"section\">What was sent</h2>",
		"<dt>Recipient name</dt><dd>Lin</dd>",
		"<dt>Recipient email</dt><dd>lin@example.com</dd>",
		`<dt>Expiry date</dt><dd><span class="muted">not set: the group&#39;s setting</span></dd>`,
		"Attempt 1: asked Certifier to create, issue and email the credential for Lin &lt;lin@example.com&gt;.",
		"<dt>Entered the segment</dt><dd>" + string(at(run.CreatedAt)) + ": entry 1 (the first time)",
		`href="` + run.PublicLink + `"`,
		`action="` + runPath + `/resend"`,
	} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the run page lacks %q", want)
		}
	}
	if strings.Contains(p.body, "Linda") {
		t.Errorf("the run page shows the contact as it is now, not what was sent")
	}

	// Resend: once, recorded; a second at once is refused and sends nothing.
	emails := func() int { return len(u.env.Certifier.Outbox("acme")) }
	before := emails()
	if p := u.do("POST", runPath+"/resend", nil); p.status != http.StatusSeeOther || withoutAt(p.location) != runPath+"?done=resent" {
		t.Fatalf("resend: %d %s", p.status, p.location)
	}
	if p := u.do("GET", runPath, nil); !strings.Contains(p.body, "Email resent by "+adminEmail+" to lin@example.com.") {
		t.Errorf("the log does not say who resent the email")
	}
	p = u.follow(u.do("POST", runPath+"/resend", nil))
	if !strings.Contains(p.body, "The email was resent less than a minute ago") {
		t.Errorf("a second resend: %d, want the run page saying it was just resent", p.status)
	}
	// The page shows times in the browser's zone: the refusal says how
	// long to wait, not a UTC clock time.
	refusal, _, _ := strings.Cut(p.body[max(0, strings.Index(p.body, "The email was resent")):], "</p>")
	if !strings.HasSuffix(refusal, "another resend is possible in 5 minutes.") || strings.Contains(refusal, "UTC") {
		t.Errorf("the refusal does not say how long to wait: %s", refusal)
	}
	if n := emails(); n != before+1 {
		t.Errorf("%d emails sent by two resends, want 1", n-before)
	}
	// A run without a credential offers no resend, and refuses one.
	if p := u.do("GET", "/runs/"+itoa(f.run), nil); strings.Contains(p.body, "/resend") {
		t.Errorf("a failed run offers to resend an email")
	}
	if p := u.follow(u.do("POST", "/runs/"+itoa(f.run)+"/resend", nil)); !strings.Contains(p.body, "no issued credential") {
		t.Errorf("resending a failed run: %d", p.status)
	}

	// Retry: the log says who asked.
	if p := u.do("POST", "/runs/"+itoa(f.run)+"/retry", nil); p.status != http.StatusSeeOther {
		t.Fatalf("retry: %d", p.status)
	}
	if p := u.do("GET", "/runs/"+itoa(f.run), nil); !strings.Contains(p.body, "Retry requested by "+adminEmail+".") {
		t.Errorf("the log does not say who retried the run")
	}
}

// A run that waits after a failed attempt says so calmly, with when it is
// tried next, on its page and in the runs table: not as a red error.
func TestWaitingRunIsNotAFailure(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	f := u.fixture()
	u.activate(f)
	if err := u.env.Certifier.Gate().SetRules([]traffic.Rule{{Endpoint: "POST /v1/credentials/create-issue-send", ErrorRate: 1, ErrorStatus: 503}}); err != nil {
		t.Fatal(err)
	}
	run := u.enterRun(f, simac.ContactInput{Email: "max@example.com", FirstName: "Max"}, autocred.RunPending)
	notice := regexp.MustCompile(`<p class="wait" role="status"><span class="wait-text">Waiting: [^<]+\. Retrying automatically; next attempt at <time datetime="[^"]+" title="[^"]+" data-clock>\d\d:\d\d UTC</time>.</span>`)
	var p page
	eventually(t, "the run page to say when it is tried next", func() bool {
		p = u.do("GET", "/runs/"+itoa(run.ID), nil)
		return notice.MatchString(p.body)
	})
	if strings.Contains(p.body, `class="alert"`) {
		t.Errorf("a waiting run is shown as an error")
	}
	row := regexp.MustCompile(`(?s)<tr>\s*<td data-label="Run"><a href="/runs/` + itoa(run.ID) + `">.*?</tr>`)
	eventually(t, "the runs table to say when it is tried next", func() bool {
		m := row.FindString(u.do("GET", "/automations/"+itoa(f.automation), nil).body)
		return regexp.MustCompile(`<span class="wait-text">Waiting: [^<]+\. Retrying automatically; next attempt at <time`).MatchString(m) && !strings.Contains(m, "err-text")
	})
	// A failed run keeps the red style.
	if p := u.do("GET", "/runs/"+itoa(f.run), nil); !strings.Contains(p.body, `<p class="alert">Certifier refused it.`) || strings.Contains(p.body, `class="wait"`) {
		t.Errorf("a failed run is not shown as an error")
	}
}

// A custom attribute is labelled on the run page and the automation's
// settings as the mapping form labels it: by its name in Certifier, its
// tag beside it in grey, not by the tag alone.
func TestCustomAttributesLabelledByName(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	f := u.fixture()
	ctx := context.Background()
	if err := u.env.Certifier.AddAttribute("acme", "custom.course_name", "Course Name"); err != nil {
		t.Fatal(err)
	}
	a, err := u.env.Service.Automation(ctx, f.automation)
	if err != nil {
		t.Fatal(err)
	}
	act := a.Action
	act.CustomAttributes = map[string]string{"custom.course_name": "{{contact.lastName}} studies"}
	if _, err := u.env.Service.UpdateAutomation(ctx, f.automation, service.AutomationInput{Name: a.Name, Trigger: a.Trigger, Action: act}); err != nil {
		t.Fatal(err)
	}
	// A run that sent the attribute (the browser story plays the whole
	// path, through Certifier).
	run := u.addRun(f.automation, 9, "Lin", "Tan", "lin@example.com", autocred.RunIssued, time.Now())
	sent := autocred.SentCredential{Attempt: 1, Call: "create-issue-send", RecipientName: "Lin Tan", RecipientEmail: "lin@example.com",
		CustomAttributes: map[string]string{"custom.course_name": "Tan studies"}}
	if err := u.env.Store.AddRunEvent(ctx, run.ID, sent.EventMessage()); err != nil {
		t.Fatal(err)
	}
	label := `<dt>Course Name <span class="hint">custom.course_name</span></dt>`
	if p := u.do("GET", "/runs/"+itoa(run.ID), nil); !strings.Contains(p.body, label+"<dd>Tan studies</dd>") {
		t.Errorf("the run page does not label the attribute by its name:\n%s", p.body)
	}
	if p := u.do("GET", "/automations/"+itoa(f.automation), nil); !strings.Contains(p.body, label+"<dd><code>{{contact.lastName}} studies</code></dd>") {
		t.Errorf("the automation's settings do not label the attribute by its name")
	}
}

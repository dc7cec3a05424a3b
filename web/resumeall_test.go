package web

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/testenv"
	"github.com/autocred/autocred/service"
	simcert "github.com/autocred/autocred/sim/certifier"
)

// After a refused key is replaced (Reconnect), the connections page says
// which automations it stopped and offers "Resume all N", with a
// confirmation that says they catch up. Pressed, it resumes each as its
// own Resume would, and the page it redirects to says, once, which
// resumed and which did not, and why (here a twin of an automation a user
// had paused).
func TestResumeAllAfterReconnecting(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	f := u.fixture()
	ctx := context.Background()
	u.activate(f)
	other, err := u.env.Certifier.AddGroup(testenv.CertWorkspace, simcert.GroupInput{Name: "Other certificate"})
	if err != nil {
		t.Fatal(err)
	}
	in := service.AutomationInput{Name: "Badges", Trigger: autocred.Trigger{ConnectionID: f.acConn, SegmentID: f.segment},
		Action: autocred.Action{ConnectionID: f.certConn, GroupID: other.ID, RecipientName: "{{contact.firstName}}", RecipientEmail: "{{contact.email}}", Issue: true, Send: true}}
	badges := u.createActive(in)
	in.Name, in.Action.GroupID, in.AllowDuplicate = "Badges, paused by hand", other.ID, true
	byHand := u.createActive(in)
	if err := u.env.Service.Pause(ctx, byHand); err != nil {
		t.Fatal(err)
	}
	if err := u.env.Store.SetConnectionStatus(ctx, f.certConn, autocred.ConnectionBroken, "Certifier refused the access token"); err != nil {
		t.Fatal(err)
	}

	p := u.do("POST", "/connections", url.Values{"id": {itoa(f.certConn)}, "app": {"certifier"}, "name": {"Cert"},
		"api_url": {u.env.CertifierURL}, "access_token": {testenv.CertifierToken}})
	if p.status != http.StatusSeeOther || !strings.Contains(p.location, "connection="+itoa(f.certConn)) {
		t.Fatalf("reconnect: %d %q, want a redirect that names the connection", p.status, p.location)
	}
	page := html.UnescapeString(u.follow(p).body)
	for _, want := range []string{
		"A refused key stopped these 2 automations, which use Cert:",
		`<a href="/automations/` + itoa(f.automation) + `#resume">Certificates</a>`,
		`<a href="/automations/` + itoa(badges) + `#resume">Badges</a>`,
		`action="/connections/` + itoa(f.certConn) + `/resume-automations" data-confirm="Resume 2 automations? Each catches up: everyone who entered its segment while it was stopped gets a credential.`,
		">Resume all 2</button>",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("after reconnecting, the connections page does not say %q", want)
		}
	}
	if strings.Contains(page, "Badges, paused by hand") {
		t.Errorf("the automation a user paused is offered as stopped by the refused key")
	}

	// Badges' twin is paused by hand: resuming Badges asks to confirm
	// two credentials per entry, which Resume all does not.
	p = u.do("POST", "/connections/"+itoa(f.certConn)+"/resume-automations", url.Values{})
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/connections?done=resumed-all") {
		t.Fatalf("resume all: %d %q, want a redirect to the connections page", p.status, p.location)
	}
	page = html.UnescapeString(u.follow(p).body)
	for _, want := range []string{
		"Resumed, catching up: everyone who entered while it was stopped gets a credential.",
		`<li><a href="/automations/` + itoa(f.automation) + `">Certificates</a></li>`,
		`<li><a href="/automations/` + itoa(badges) + `">Badges</a>: The automation "Badges, paused by hand" already issues from the group 'Other certificate'`,
		"Resume it from its own page if you want two credentials per entry, or leave it paused.",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("after Resume all, the page does not say %q", want)
		}
	}
	if a, _ := u.env.Service.Automation(ctx, f.automation); a.Status != autocred.AutomationActive {
		t.Errorf("Certificates is %s after Resume all, want active (caught up)", a.Status)
	}
	if a, _ := u.env.Service.Automation(ctx, badges); a.Status != autocred.AutomationPaused {
		t.Errorf("Badges is %s, want still paused", a.Status)
	}
	// Shown once: a reload no longer says it, and posts nothing.
	if again := u.do("GET", "/connections?done=resumed-all", nil); strings.Contains(again.body, "Resume all: what happened") {
		t.Errorf("a reload shows the result again")
	}
}

// createActive creates an automation and activates it, confirming a
// duplicate, and waits until it is active.
func (u *uiTest) createActive(in service.AutomationInput) int64 {
	u.t.Helper()
	ctx := context.Background()
	v, err := u.env.Service.CreateAutomation(ctx, in)
	if err != nil {
		u.t.Fatal(err)
	}
	if err := u.env.Service.Activate(ctx, v.ID, true); err != nil {
		u.t.Fatal(err)
	}
	eventually(u.t, "the automation active", func() bool {
		a, err := u.env.Service.Automation(ctx, v.ID)
		return err == nil && a.Status == autocred.AutomationActive
	})
	return v.ID
}

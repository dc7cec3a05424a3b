package web

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/service"
)

// The automations list tells an automation autocred stopped from one a
// user paused, with the one thing to do and a link to do it; the
// Connections page links each automation a reconnect left to resume.
func TestListSaysWhoStoppedIt(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	f := u.fixture()
	ctx := context.Background()
	auto := "/automations/" + itoa(f.automation)
	for _, tc := range []struct {
		name       string
		status     autocred.AutomationStatus
		reason     string
		brokenConn bool
		says, link string // on the list; "" says nothing more than the badge
	}{
		{"paused by a user", autocred.AutomationPaused, "", false, "", ""},
		{"refused key", autocred.AutomationBroken, "Certifier refused the access token.", true,
			"<div class=\"stopped-note\"><a href=\"/connections?reconnect=", "/connections?reconnect=" + itoa(f.certConn) + "#connect-certifier\">Reconnect Cert"},
		{"reconnected, not resumed", autocred.AutomationPaused, autocred.ReconnectedReason, false,
			"Needs you:", auto + "#resume\">resume to catch up"},
		{"deleted group", autocred.AutomationPaused, autocred.GroupMissingReason("Course certificate"), false,
			"Group gone:", auto + "/edit\">choose another group"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := u.env.Store.SetAutomationStatus(ctx, f.automation, tc.status, tc.reason); err != nil {
				t.Fatal(err)
			}
			conn := autocred.ConnectionOK
			if tc.brokenConn {
				conn = autocred.ConnectionBroken
			}
			if err := u.env.Store.SetConnectionStatus(ctx, f.certConn, conn, tc.reason); err != nil {
				t.Fatal(err)
			}
			list := u.do("GET", "/automations", nil).body
			if tc.says == "" {
				if strings.Contains(list, "stopped-note") {
					t.Errorf("a user's pause reads as stopped by autocred:\n%s", list)
				}
				return
			}
			if !strings.Contains(list, tc.says) || !strings.Contains(list, tc.link) {
				t.Errorf("the list does not say %q with the link %q:\n%s", tc.says, tc.link, list)
			}
			conns := u.do("GET", "/connections", nil).body
			waits := strings.Contains(conns, `id="to-resume"`) && strings.Contains(conns, auto+`#resume">Certificates`)
			if want := tc.reason == autocred.ReconnectedReason; waits != want {
				t.Errorf("Connections links the automation to resume: %v, want %v:\n%s", waits, want, conns)
			}
		})
	}
}

// Saving or activating a second automation on the same segment and group
// is refused, the other named beside a box to tick; ticked, it goes on.
func TestSecondAutomationAsksForTwoCredentials(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	f := u.fixture()
	form := url.Values{
		"name": {"Certificates again"}, "trigger.connection_id": {itoa(f.acConn)}, "trigger.segment_id": {f.segment},
		"action.connection_id": {itoa(f.certConn)}, "action.group_id": {f.group},
		"action.recipient_name": {"{{contact.firstName}}"}, "action.recipient_email": {"{{contact.email}}"},
		"action.issue": {"on"}, "action.send": {"on"},
	}
	p := u.do("POST", "/automations", form)
	body := html.UnescapeString(p.body)
	if p.status != http.StatusConflict || !fieldError(body, "allow-duplicate", `The automation "Certificates" already issues from the group 'Course certificate'`) ||
		!strings.Contains(body, "I want two credentials per entry") || !strings.Contains(body, `data-step="action"`) {
		t.Fatalf("a second automation on the same segment and group: %d, not refused beside the box on step 2:\n%s", p.status, body)
	}
	form.Set("allow_duplicate", "on")
	saved := u.do("POST", "/automations", form)
	if saved.status != http.StatusSeeOther {
		t.Fatalf("confirmed: %d\n%s", saved.status, saved.body)
	}
	second := strings.TrimSuffix(withoutAt(saved.location), "?done=created")

	if err := u.env.Service.Activate(context.Background(), f.automation, false); err != nil {
		t.Fatal(err)
	}
	refused := u.follow(u.do("POST", second+"/activate", url.Values{}))
	if !strings.Contains(html.UnescapeString(refused.body), `The automation "Certificates" already issues`) ||
		!strings.Contains(refused.body, `name="allow_duplicate"`) {
		t.Fatalf("activating the second: %d, not refused with the box to tick:\n%s", refused.status, refused.body)
	}
	if ok := u.do("POST", second+"/activate", url.Values{"allow_duplicate": {"on"}}); ok.status != http.StatusSeeOther {
		t.Errorf("activating, confirmed: %d\n%s", ok.status, ok.body)
	}
}

// Resuming or restoring an automation beside another on the same segment
// and group is refused as activating is: the same words at the top, and
// the box to tick beside the button that was refused (the Resume form
// keeps the choice made in it); ticked, it goes on.
func TestResumeAndRestoreAskForTwoCredentials(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	f := u.fixture()
	ctx := context.Background()
	second, err := u.env.Service.CreateAutomation(ctx, service.AutomationInput{Name: "Certificates again",
		Trigger:        autocred.Trigger{ConnectionID: f.acConn, SegmentID: f.segment},
		Action:         autocred.Action{ConnectionID: f.certConn, GroupID: f.group, RecipientName: "{{contact.firstName}}", RecipientEmail: "{{contact.email}}", Issue: true, Send: true},
		AllowDuplicate: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := u.env.Service.Activate(ctx, f.automation, false); err != nil {
		t.Fatal(err)
	}
	auto := "/automations/" + itoa(second.ID)
	activating := html.UnescapeString(u.follow(u.do("POST", auto+"/activate", url.Values{})).body)
	const says = `The automation "Certificates" already issues from the group 'Course certificate' to the contacts who enter the segment 'Course Completers'`
	if !strings.Contains(activating, says) {
		t.Fatalf("activating the second is not refused naming the first:\n%s", activating)
	}
	if p := u.do("POST", auto+"/activate", url.Values{"allow_duplicate": {"on"}}); p.status != http.StatusSeeOther {
		t.Fatalf("activating, confirmed: %d", p.status)
	}
	if p := u.do("POST", auto+"/pause", url.Values{}); p.status != http.StatusSeeOther {
		t.Fatalf("pause: %d", p.status)
	}
	box := regexp.MustCompile(`(?s)<form method="post" action="` + auto + `/(\w+)"(?: class="twin-choice")?>.*?name="allow_duplicate".*?</form>`)

	refused := u.follow(u.do("POST", auto+"/resume", url.Values{"catch_up": {"yes"}}))
	body := html.UnescapeString(refused.body)
	if m := box.FindStringSubmatch(refused.body); !strings.Contains(body, says) || m == nil || m[1] != "resume" {
		t.Fatalf("resuming beside the first: %d, not refused with the words activating uses and the box in the Resume form:\n%s", refused.status, body)
	}
	if !strings.Contains(refused.body, `value="yes" checked`) {
		t.Errorf("the Resume form forgot the choice made (Catch up) when it came back refused")
	}
	if p := u.do("POST", auto+"/resume", url.Values{"catch_up": {"no"}, "allow_duplicate": {"on"}}); p.status != http.StatusSeeOther {
		t.Fatalf("resuming, confirmed: %d\n%s", p.status, p.body)
	}

	if p := u.do("POST", auto+"/delete", url.Values{}); p.status != http.StatusSeeOther {
		t.Fatalf("delete: %d", p.status)
	}
	refused = u.follow(u.do("POST", auto+"/restore", url.Values{}))
	body = html.UnescapeString(refused.body)
	if m := box.FindStringSubmatch(refused.body); !strings.Contains(body, says) || m == nil || m[1] != "restore" {
		t.Fatalf("restoring beside the first: %d, not refused with the words activating uses and the box beside Restore:\n%s", refused.status, body)
	}
	if p := u.do("POST", auto+"/restore", url.Values{"allow_duplicate": {"on"}}); p.status != http.StatusSeeOther {
		t.Fatalf("restoring, confirmed: %d\n%s", p.status, p.body)
	}
	if a, _ := u.env.Service.Automation(ctx, second.ID); a.Status != autocred.AutomationPaused {
		t.Errorf("restored, confirmed: %s, want paused", a.Status)
	}
}

// While an automation's group is gone, its Certifier connection, whose key
// works, says so on Connections and on Health, with the way to fix it.
func TestConnectionSaysItsGroupIsGone(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	f := u.fixture()
	if err := u.env.Store.SetAutomationStatus(context.Background(), f.automation, autocred.AutomationPaused, autocred.GroupMissingReason("Course certificate")); err != nil {
		t.Fatal(err)
	}
	says := `The group 'Course certificate' used by the automation "Certificates" no longer exists in this workspace`
	edit := `href="/automations/` + itoa(f.automation) + `/edit"`
	for _, path := range []string{"/connections", "/health"} {
		body := html.UnescapeString(u.do("GET", path, nil).body)
		if !strings.Contains(body, says) || !strings.Contains(body, edit) {
			t.Errorf("%s does not say the group is gone, with a link to Edit:\n%s", path, body)
		}
	}
}

// Removing a connection in use names it, and its automations, each linked.
func TestRemovingAConnectionInUseNamesItsAutomations(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	f := u.fixture()
	p := u.do("POST", "/connections/"+itoa(f.certConn)+"/delete", url.Values{})
	body := html.UnescapeString(p.body)
	if p.status != http.StatusConflict || !strings.Contains(body, `Cert is used by 1 automation: "Certificates".`) ||
		!strings.Contains(body, `<a href="/automations/`+itoa(f.automation)+`">Certificates</a>`) ||
		!strings.Contains(body, `href="/automations/`+itoa(f.automation)+`/edit"`) || strings.Contains(body, "connection "+itoa(f.certConn)) {
		t.Errorf("removing a connection in use: %d, not said by name with links:\n%s", p.status, body)
	}
}

// "Resend email to all" says that most of those emails most probably went
// out, that a resend is a second copy, and to resend one at a time when a
// learner asks, before it is pressed.
func TestResendToAllSaysMostProbablyWentOut(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	f := u.fixture()
	for i, name := range []string{"Amy", "Ben", "Cy"} {
		u.addRun(f.automation, autocred.ContactID(50+i), name, "Lee", strings.ToLower(name)+"@example.com", autocred.RunSendUnconfirmed, time.Now())
	}
	body := html.UnescapeString(u.do("GET", "/automations/"+itoa(f.automation), nil).body)
	for _, want := range []string{
		"Certifier most probably sent most of them",
		"gives everyone who got one a second copy",
		"resend just theirs from its run's page",
		`data-confirm="Send the credential email again to all 3 recipients? Certifier most probably sent most of them already: anyone who got it gets a second copy.`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the automation page does not say %q", want)
		}
	}
}

// A person is found however the name is pasted: "last, first", or with
// the email in parentheses as a mail client writes it.
func TestSearchFindsAPastedName(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	f := u.fixture()
	u.addRun(f.automation, 77, "Kim", "Grace", "kim.grace@example.com", autocred.RunIssued, time.Now())
	for _, q := range []string{"grace, kim", "Kim Grace (kim.grace@example.com)"} {
		body := u.do("GET", "/runs?q="+url.QueryEscape(q), nil).body
		if !strings.Contains(body, "kim.grace@example.com") || !strings.Contains(body, "1 run matches") {
			t.Errorf("searching %q does not find Kim Grace:\n%s", q, body)
		}
	}
}

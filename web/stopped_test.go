package web

import (
	"context"
	"strings"
	"testing"

	"github.com/autocred/autocred"
)

// The automations list tells an automation autocred stopped from one a
// user paused, with the one thing to do and a link to do it; the
// Connections page links each automation a reconnect left to resume.
func TestListSaysWhoStoppedIt(t *testing.T) {
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
			"Broken:", "/connections?reconnect=" + itoa(f.certConn) + "#connect-certifier\">reconnect Cert"},
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

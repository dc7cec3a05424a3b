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
	simcert "github.com/autocred/autocred/sim/certifier"
)

// Change key with a token of another Certifier workspace is refused on
// the form, beside the token, naming the group the automation uses
// (issue 15, round 5, #3); the key stays as it was.
func TestChangeKeyToAnotherWorkspaceIsRefusedOnTheForm(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	f := u.fixture()
	const other = "cert-token-other-0123456789"
	if err := u.env.Certifier.AddWorkspace("other", other); err != nil {
		t.Fatal(err)
	}
	if _, err := u.env.Certifier.AddGroup("other", simcert.GroupInput{Name: "Diploma"}); err != nil {
		t.Fatal(err)
	}
	p := u.do("POST", "/connections", url.Values{"app": {"certifier"}, "id": {itoa(f.certConn)}, "name": {"Cert"}, "api_url": {u.env.CertifierURL}, "access_token": {other}})
	body := html.UnescapeString(p.body)
	if p.status != http.StatusConflict && p.status != http.StatusUnprocessableEntity {
		t.Errorf("a token of another workspace: %d, want a refusal", p.status)
	}
	if !fieldError(body, "cert-token", "This token cannot see the group 'Course certificate' that \"Certificates\" issues from: it seems to belong to another Certifier workspace") {
		t.Errorf("the refusal is not beside the token:\n%s", pageText(body))
	}
	if p := u.do("GET", "/connections", nil); p.status != http.StatusOK {
		t.Fatalf("connections: %d", p.status)
	}
}

// An automation paused because its group seemed deleted is resumed when
// the key changed sees the group, and the confirmation says so (issue 15,
// round 5, #3): no Edit and Save needed.
func TestChangeKeyThatSeesTheGroupResumes(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	f := u.fixture()
	u.activate(f)
	ctx := context.Background()
	if err := u.env.Store.SetAutomationStatus(ctx, f.automation, autocred.AutomationPaused, autocred.GroupMissingReason("Course certificate"), autocred.AutomationActive); err != nil {
		t.Fatal(err)
	}
	p := u.do("POST", "/connections", url.Values{"app": {"certifier"}, "id": {itoa(f.certConn)}, "name": {"Cert"}, "api_url": {u.env.CertifierURL}, "access_token": {testenv.CertifierToken}})
	if p.status != http.StatusSeeOther || !strings.Contains(p.location, "done=key-changed-groups") {
		t.Fatalf("change key: %d %s", p.status, p.location)
	}
	if body := html.UnescapeString(u.do("GET", p.location, nil).body); !strings.Contains(body, "the automations paused for a missing group were resumed") {
		t.Errorf("the confirmation does not say the automations were resumed:\n%s", pageText(body))
	}
	if a, _ := u.env.Service.Automation(ctx, f.automation); a.Status != autocred.AutomationActive || a.StatusReason != "" {
		t.Errorf("after the key changed: %s %q, want active", a.Status, a.StatusReason)
	}
}

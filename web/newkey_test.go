package web

import (
	"html"
	"net/http"
	"net/url"
	"testing"

	simcert "github.com/autocred/autocred/sim/certifier"
)

// Change key with a token of another Certifier workspace is refused on
// the form, beside the token, naming the group the automation uses
// (issue 15, round 5, #3); the key stays as it was.
func TestChangeKeyToAnotherWorkspaceIsRefusedOnTheForm(t *testing.T) {
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

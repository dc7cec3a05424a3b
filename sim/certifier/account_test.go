package certifier

import (
	"strings"
	"testing"
)

// A workspace whose plan lacks issuing answers 402 payment_required to the
// issuing calls only, and changes nothing; drafts can still be made. The
// knob is a control route and a Go method.
func TestPaymentRequired(t *testing.T) {
	sb := newSandbox(t, Options{})
	draft := sb.credential("Ada Lovelace", "ada@example.org")
	ctl := func(body any) response {
		t.Helper()
		return sb.do("POST", "/_sandbox/workspaces/"+testWorkspace+"/payment-required", body, map[string]string{"Authorization": "", "Certifier-Version": ""})
	}
	if r := ctl(map[string]any{"on": true}); r.status != 200 {
		t.Fatalf("turning it on: %d %s", r.status, r.body)
	}
	wantError(t, sb.api("POST", "/credentials/"+draft["id"].(string)+"/issue", nil), 402, "payment_required")
	before := len(sb.srv.Credentials(testWorkspace))
	wantError(t, sb.api("POST", "/credentials/create-issue-send", map[string]any{
		"groupId": sb.sample.CourseCompletion.ID, "recipient": map[string]any{"name": "Bob", "email": "bob@example.org"},
	}), 402, "payment_required")
	if after := len(sb.srv.Credentials(testWorkspace)); after != before || len(sb.srv.Outbox(testWorkspace)) != 0 {
		t.Fatalf("a refused create-issue-send made %d credential(s) and sent %d email(s)", after-before, len(sb.srv.Outbox(testWorkspace)))
	}
	sb.credential("Still", "drafts@example.org") // drafts are not an issuing call

	if r := ctl(map[string]any{"on": false}); r.status != 200 {
		t.Fatalf("turning it off: %d %s", r.status, r.body)
	}
	if got := sb.ok(200, "POST", "/credentials/"+draft["id"].(string)+"/issue", nil); got["status"] != "issued" {
		t.Fatalf("after the upgrade the draft is %v", got["status"])
	}
	if err := sb.srv.SetPaymentRequired("nobody", true); err == nil {
		t.Error("SetPaymentRequired of an unknown workspace: no error")
	}
	if r := sb.do("POST", "/_sandbox/workspaces/nobody/payment-required", map[string]any{"on": true}, nil); r.status != 404 {
		t.Errorf("unknown workspace: %d", r.status)
	}
}

// A retired API version is answered 400 invalid_version on every
// endpoint, as any value Certifier does not recognise is.
func TestRetiredVersion(t *testing.T) {
	sb := newSandbox(t, Options{})
	ctl := func(body any) response {
		t.Helper()
		return sb.do("POST", "/_sandbox/versions", body, map[string]string{"Authorization": "", "Certifier-Version": ""})
	}
	if r := ctl(map[string]any{"retired": []string{apiVersion}}); r.status != 200 {
		t.Fatalf("retiring: %d %s", r.status, r.body)
	}
	msg := wantError(t, sb.api("GET", "/groups?limit=1", nil), 400, "invalid_version")
	if !strings.Contains(msg, apiVersion) {
		t.Errorf("message %q does not name the version", msg)
	}
	wantError(t, sb.api("POST", "/credentials/create-issue-send", map[string]any{}), 400, "invalid_version")
	if r := ctl(map[string]any{"retired": []string{"2030-01-01"}}); r.status != 400 {
		t.Errorf("retiring an unknown version: %d %s", r.status, r.body)
	}
	if r := ctl(map[string]any{"retired": nil}); r.status != 200 {
		t.Fatalf("un-retiring: %d %s", r.status, r.body)
	}
	sb.ok(200, "GET", "/groups?limit=1", nil)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(sb.srv.SetRetiredVersions([]string{apiVersion}))
	sb.srv.Reset()
	if sb.srv.versionRetired(apiVersion) {
		t.Error("Reset keeps the retired versions")
	}
}

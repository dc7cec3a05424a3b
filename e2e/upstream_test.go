package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	simac "github.com/autocred/autocred/sim/activecampaign"
)

// keyCatcher is a server on another port that records every request and
// answers each as ActiveCampaign would, so that a client that followed a
// redirect to it would look as if it worked.
type keyCatcher struct {
	*httptest.Server
	mu   sync.Mutex
	seen []string // method, path and headers of every request
}

func newKeyCatcher(t *testing.T) *keyCatcher {
	k := &keyCatcher{}
	k.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k.mu.Lock()
		k.seen = append(k.seen, fmt.Sprintf("%s %s %v", r.Method, r.URL, r.Header))
		k.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"user":{"id":"1","username":"admin","email":"admin@example.com"},"meta":{"total":"0"}}`)
	}))
	t.Cleanup(k.Close)
	return k
}

func (k *keyCatcher) requests() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]string(nil), k.seen...)
}

// An ActiveCampaign API URL that redirects to another port of the same
// host: autocred never follows it, so the key never leaves for that port,
// and the user reads why, on connecting the account and on a sync.
func TestRedirectToAnotherHostNeverGetsTheKey(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{})
	catcher := newKeyCatcher(t)
	want := "ActiveCampaign answered with a redirect to another host (" + catcher.URL + "); autocred does not follow it, so the API key is never sent there."

	// Connecting the account.
	must(t, w.ac.SetRedirect(acAccount, catcher.URL, http.StatusFound))
	var refused struct {
		Error struct{ Code, Message, Field string }
	}
	status := w.call("POST", "/api/v1/connections", map[string]string{"app": "activecampaign", "name": "Acme AC", "api_url": w.acURL, "api_key": acKey}, &refused)
	if status == http.StatusCreated || !strings.Contains(refused.Error.Message, want) || strings.Contains(refused.Error.Message, acKey) {
		t.Errorf("connecting through a redirect: %d %+v\nwant a refusal saying %q", status, refused.Error, want)
	}

	// A sync of an automation whose account starts redirecting.
	must(t, w.ac.SetRedirect(acAccount, "", 0))
	acConn, certConn := w.connect()
	a := w.automation(acConn, certConn, w.segment("Completers", "Completed"), w.group("Course"), nil)
	must(t, w.ac.SetRedirect(acAccount, catcher.URL, http.StatusTemporaryRedirect))
	var got automation
	w.waitFor("the sync to fail on the redirect", 30*time.Second, func() bool {
		got = w.automationNow(a.ID)
		return strings.Contains(got.LastSyncError, want)
	})
	if strings.Contains(got.LastSyncError, acKey) || strings.Contains(got.LastSyncError, "/api/3/") {
		t.Errorf("the sync error shows the key or the target's path: %q", got.LastSyncError)
	}

	if seen := w.ac.Gate().Stats().ByStatus; seen["302"]+seen["307"] == 0 {
		t.Errorf("the sandbox answered no redirects (statuses %v): the test did not test anything", seen)
	}
	for _, r := range catcher.requests() {
		t.Errorf("the other port received a request: %s", strings.ReplaceAll(r, acKey, "<THE API KEY>"))
	}
}

// A contact with 25 set custom fields: the mapping uses the 25th, which
// the sandbox answers on the second page of /contacts/{id}/fieldValues
// (20 a page by default), and the credential carries its value.
func TestContactWith25FieldsGetsTheTwentyFifth(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{})
	acConn, certConn := w.connect()
	must(t, w.cert.AddAttribute(workspace, "custom.level", "Level"))
	// One field at a time, so that PERSTAG25 is the contact's 25th value.
	var id int64
	for i := 1; i <= 25; i++ {
		ids := w.importContacts(simac.ContactInput{Email: "ana.lee@example.com", FirstName: "Ana", LastName: "Lee",
			Fields: map[string]string{fmt.Sprintf("PERSTAG%d", i): fmt.Sprintf("value %d", i)}})
		id = ids[0]
	}
	a := w.automation(acConn, certConn, w.segment("Completers", "Completed"), w.group("Course"),
		map[string]any{"custom_attributes": map[string]string{"custom.level": "{{contact.fields.PERSTAG25}}"}})

	w.tag("Completed", id)
	w.waitFor("the run to finish", time.Minute, func() bool {
		runs := w.runs(a.ID, "")
		return len(runs) == 1 && runs[0].Status != "pending"
	})
	runs := w.runs(a.ID, "")
	creds := w.credentials()["ana.lee@example.com"]
	if len(creds) != 1 || creds[0].CustomAttributes["custom.level"] != "value 25" {
		t.Fatalf("runs %+v\ncredentials %+v\nwant one credential with custom.level = \"value 25\"", runs, creds)
	}
}

package web

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/testenv"
)

// A healthy connection's key can be changed from its row, with the same
// form as a broken one's, checked the same way.
func TestChangeKeyOfAHealthyConnection(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	f := u.fixture()
	list := u.do("GET", "/connections", nil)
	for _, id := range []int64{f.acConn, f.certConn} {
		if !strings.Contains(list.body, `href="/connections?reconnect=`+itoa(id)) || !strings.Contains(list.body, "Change key") {
			t.Fatalf("connection %d has no \"Change key\":\n%s", id, list.body)
		}
	}
	form := u.do("GET", "/connections?reconnect="+itoa(f.acConn), nil)
	if !strings.Contains(form.body, "Change the key of AC") || !strings.Contains(form.body, "Save the new key") ||
		!strings.Contains(form.body, `name="id" value="`+itoa(f.acConn)+`"`) || strings.Contains(form.body, "Reconnect AC") {
		t.Fatalf("the change-key form is not prefilled, or calls the healthy connection broken:\n%s", form.body)
	}

	const newKey = "ac-key-new-0000000000000"
	if err := u.env.AC.SetAPIKey(testenv.ACAccount, newKey); err != nil {
		t.Fatal(err)
	}
	bad := u.do("POST", "/connections", url.Values{"app": {"activecampaign"}, "id": {itoa(f.acConn)}, "name": {"AC"}, "api_url": {u.env.ACURL}, "api_key": {testenv.ACKey}})
	if bad.status != http.StatusUnprocessableEntity || !fieldError(bad.body, "ac-key", "ActiveCampaign refused this API key") || !strings.Contains(bad.body, "Change the key of AC") {
		t.Errorf("a refused key: %d, not shown beside the key on the change-key form", bad.status)
	}
	ok := u.do("POST", "/connections", url.Values{"app": {"activecampaign"}, "id": {itoa(f.acConn)}, "name": {"AC"}, "api_url": {u.env.ACURL}, "api_key": {newKey}})
	if ok.status != http.StatusSeeOther || !strings.Contains(ok.location, "done=key-changed") {
		t.Fatalf("change key: %d %s", ok.status, ok.location)
	}
	if p := u.do("GET", ok.location, nil); !strings.Contains(p.body, "Key changed.") || !strings.Contains(p.body, "…0000") {
		t.Errorf("after changing the key, no confirmation or the old hint:\n%s", p.body)
	}
	if conns, _ := u.env.Store.Connections(context.Background()); len(conns) != 2 {
		t.Errorf("changing the key made a new connection: %d in all", len(conns))
	}
}

// A key refused while the automation runs: its page says so once, leads to
// the connection's Reconnect form rather than to Resume, and once the
// connection is reconnected says to resume, with nothing stale left.
func TestBrokenAutomationLeadsToReconnect(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	f := u.fixture()
	ctx := context.Background()
	if err := u.env.Service.Activate(ctx, f.automation, false); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the baseline", func() bool {
		a, _ := u.env.Store.Automation(ctx, f.automation)
		return !a.LastSyncAt.IsZero()
	})
	const newKey = "ac-key-regenerated-000000"
	if err := u.env.AC.SetAPIKey(testenv.ACAccount, newKey); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the refused key to stop the automation", func() bool {
		a, _ := u.env.Store.Automation(ctx, f.automation)
		return a.Status == autocred.AutomationBroken && a.LastSyncError != ""
	})

	path := "/automations/" + itoa(f.automation)
	p := html.UnescapeString(u.do("GET", path, nil).body)
	link := `href="/connections?reconnect=` + itoa(f.acConn) + `#connect-activecampaign"`
	if !strings.Contains(p, link) || !strings.Contains(p, "Reconnect AC") {
		t.Errorf("a broken automation does not link to its connection's Reconnect form:\n%s", p)
	}
	if n := strings.Count(p, "ActiveCampaign refused the API key"); n != 1 {
		t.Errorf("the refused key is said %d times, want once", n)
	}
	if strings.Contains(p, path+"/resume") {
		t.Error("Resume is offered while the key is still refused")
	}

	ok := u.do("POST", "/connections", url.Values{"app": {"activecampaign"}, "id": {itoa(f.acConn)}, "name": {"AC"}, "api_url": {u.env.ACURL}, "api_key": {newKey}})
	if ok.status != http.StatusSeeOther || !strings.Contains(ok.location, "done=reconnected") {
		t.Fatalf("reconnect: %d %s", ok.status, ok.location)
	}
	if flash := u.do("GET", ok.location, nil); !strings.Contains(flash.body, "press Resume") {
		t.Errorf("the reconnected flash does not say to resume:\n%s", flash.body)
	}
	p = html.UnescapeString(u.do("GET", path, nil).body)
	if strings.Contains(p, "refused the API key") || strings.Contains(p, "Reconnect AC") {
		t.Errorf("after reconnecting, the automation still says the key is refused:\n%s", p)
	}
	if !strings.Contains(p, autocred.ReconnectedReason) || !strings.Contains(p, path+"/resume") {
		t.Errorf("after reconnecting, the automation does not say to resume, or offers no Resume:\n%s", p)
	}
	a, _ := u.env.Store.Automation(ctx, f.automation)
	if a.LastSyncError != "" || a.StatusReason != autocred.ReconnectedReason {
		t.Errorf("the automation keeps what it said about the old key: reason %q, sync error %q", a.StatusReason, a.LastSyncError)
	}
	// Nothing is broken any more: the badge says what is left (paused,
	// to resume), here and in Health, and Resume catches up by default,
	// since autocred stopped it, not the user.
	if strings.Contains(p, "badge-broken") || !strings.Contains(p, `<span class="badge badge-paused">Paused</span>`) {
		t.Errorf("after reconnecting, the automation's badge is not Paused:\n%s", p)
	}
	if !regexp.MustCompile(`name="catch_up" value="yes" checked`).MatchString(p) || strings.Contains(p, `value="no" checked`) {
		t.Errorf("after reconnecting, Resume does not catch up by default:\n%s", p)
	}
	health := u.do("GET", "/health", nil).body
	if row := regexp.MustCompile(`(?s)<li>[^<]*<span class="badge [^"]*">[^<]*</span> <a href="` + path + `">`).FindString(health); !strings.Contains(row, "badge-paused") {
		t.Errorf("Health lists the reconnected automation as %q, want Paused", row)
	}
	if r := u.do("POST", path+"/resume", url.Values{}); r.status != http.StatusSeeOther {
		t.Fatalf("resume: %d", r.status)
	}
	if a, _ := u.env.Store.Automation(ctx, f.automation); a.Status != autocred.AutomationActive {
		t.Errorf("resumed without a choice after a reconnect: %s, want active (caught up), not a new baseline", a.Status)
	}
}

// The same account connected twice is refused, naming the connection that
// has it; a key is never echoed.
func TestSameAccountConnectedTwiceIsRefused(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	f := u.fixture()
	p := u.do("POST", "/connections", url.Values{"app": {"activecampaign"}, "name": {"AC again"}, "api_url": {u.env.ACURL}, "api_key": {testenv.ACKey}})
	if p.status != http.StatusConflict || !fieldError(p.body, "ac-url", html.EscapeString(`This ActiveCampaign account is already connected as "AC" (connection `+itoa(f.acConn)+`)`)) {
		t.Errorf("the same ActiveCampaign account again: %d\n%s", p.status, p.body)
	}
	p = u.do("POST", "/connections", url.Values{"app": {"certifier"}, "name": {"Cert again"}, "api_url": {u.env.CertifierURL}, "access_token": {testenv.CertifierToken}})
	if p.status != http.StatusConflict || !fieldError(p.body, "cert-token", html.EscapeString(`This access token is already connected as "Cert" (connection `+itoa(f.certConn)+`)`)) {
		t.Errorf("the same Certifier token again: %d\n%s", p.status, p.body)
	}
	if strings.Contains(p.body, testenv.CertifierToken) {
		t.Error("the token is echoed")
	}
	if conns, _ := u.env.Store.Connections(context.Background()); len(conns) != 2 {
		t.Errorf("%d connections stored, want the fixture's 2", len(conns))
	}
}

// Once both apps are connected, and not before, the page leads on to
// creating an automation; once there is one, it no longer does.
func TestBothConnectedLeadsToCreateAnAutomation(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	const cta = `href="/automations/new"`
	if p := u.do("GET", "/connections", nil); strings.Contains(p.body, cta) {
		t.Error("nothing is connected, and the page offers to create an automation")
	}
	ac := u.do("POST", "/connections", url.Values{"app": {"activecampaign"}, "name": {"AC"}, "api_url": {u.env.ACURL}, "api_key": {testenv.ACKey}})
	if p := u.do("GET", ac.location, nil); strings.Contains(p.body, cta) {
		t.Error("only ActiveCampaign is connected, and the page offers to create an automation")
	}
	cert := u.do("POST", "/connections", url.Values{"app": {"certifier"}, "name": {"Cert"}, "api_url": {u.env.CertifierURL}, "access_token": {testenv.CertifierToken}})
	if p := u.do("GET", cert.location, nil); !strings.Contains(p.body, cta) || !strings.Contains(p.body, "Create an automation") {
		t.Errorf("both apps are connected, and the page does not lead on to creating an automation:\n%s", p.body)
	}
}

// The same account is known at another spelling of its address, and a
// Certifier workspace by another of its tokens: each refused beside the
// input concerned, naming the connection that has it.
func TestSameAccountAtAnotherAddressIsRefused(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	f := u.fixture()
	alias := strings.Replace(u.env.ACURL, "127.0.0.1", "localhost", 1) + "/"
	p := u.do("POST", "/connections", url.Values{"app": {"activecampaign"}, "name": {"AC again"}, "api_url": {alias}, "api_key": {testenv.ACKey}})
	if p.status != http.StatusConflict || !fieldError(html.UnescapeString(p.body), "ac-url",
		`already connected as "AC" (connection `+itoa(f.acConn)+`), whose API URL `+u.env.ACURL+` reaches the same account as `+strings.TrimSuffix(alias, "/")) {
		t.Errorf("the same ActiveCampaign account at %s: %d\n%s", alias, p.status, p.body)
	}
	const second = "cert-token-second-0123456789"
	if err := u.env.Certifier.AddWorkspace(testenv.CertWorkspace, second); err != nil {
		t.Fatal(err)
	}
	p = u.do("POST", "/connections", url.Values{"app": {"certifier"}, "name": {"Cert again"}, "api_url": {u.env.CertifierURL}, "access_token": {second}})
	if p.status != http.StatusConflict || !fieldError(html.UnescapeString(p.body), "cert-token", `Certifier workspace that is already connected as "Cert"`) {
		t.Errorf("another token of the same workspace: %d\n%s", p.status, p.body)
	}
	if conns, _ := u.env.Store.Connections(context.Background()); len(conns) != 2 {
		t.Errorf("%d connections stored, want the fixture's 2", len(conns))
	}
}

// A connection whose key was refused says so in words, with where to find
// a new key and a Reconnect button, on a row of its own below the
// connection's: no status code, and the columns keep their width.
func TestBrokenConnectionSaysWhatToDo(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	f := u.fixture()
	if err := u.env.AC.SetAPIKey(testenv.ACAccount, "ac-key-regenerated-000000"); err != nil {
		t.Fatal(err)
	}
	if _, err := u.env.Service.Segments(context.Background(), f.acConn); autocred.ErrorCode(err) != autocred.ECONNECTION {
		t.Fatalf("reading segments with a refused key: %v", err)
	}
	body := html.UnescapeString(u.do("GET", "/connections", nil).body)
	detail := regexp.MustCompile(`(?s)<tr class="detail">.*?</tr>`).FindString(body)
	for _, want := range []string{"ActiveCampaign refused the API key", "Settings → Developer → API Access", "Reconnect", "resume"} {
		if !strings.Contains(detail, want) {
			t.Errorf("the broken connection's row does not say %q:\n%s", want, detail)
		}
	}
	if regexp.MustCompile(`\b40[13]\b|Unauthorized|answered`).MatchString(detail) {
		t.Errorf("the broken connection's row speaks HTTP:\n%s", detail)
	}
	if !strings.Contains(body, `<a class="button small primary" href="/connections?reconnect=`+itoa(f.acConn)+`#connect-activecampaign">Reconnect</a>`) {
		t.Errorf("no Reconnect button on the broken connection's row:\n%s", body)
	}
}

// A connect form with several mistakes says each beside its input at
// once, before any key is tried.
func TestConnectFormSaysEveryMistakeAtOnce(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	p := u.do("POST", "/connections", url.Values{"app": {"activecampaign"}, "name": {" "}, "api_url": {"acme.api-us1.com"}, "api_key": {""}})
	for _, c := range []struct{ id, says string }{
		{"ac-name", "is required: a name"},
		{"ac-url", "is not an API URL"},
		{"ac-key", "is required: copy it from ActiveCampaign"},
	} {
		if !fieldError(html.UnescapeString(p.body), c.id, c.says) {
			t.Errorf("no message %q beside #%s: %d", c.says, c.id, p.status)
		}
	}
	p = u.do("POST", "/connections", url.Values{"app": {"certifier"}, "name": {""}, "api_url": {u.env.CertifierURL}, "access_token": {" "}})
	if !fieldError(p.body, "cert-name", "is required") || !fieldError(p.body, "cert-token", "is required: create one in Certifier") {
		t.Errorf("Certifier without a name or a token: %d\n%s", p.status, p.body)
	}
}

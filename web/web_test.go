package web

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/testenv"
	"github.com/autocred/autocred/service"
	simac "github.com/autocred/autocred/sim/activecampaign"
	simcert "github.com/autocred/autocred/sim/certifier"
	"github.com/autocred/autocred/store/storetest"
)

// uiTest is the UI over a complete autocred over both sandboxes, with a
// browser-like client: a cookie jar, redirects not followed.
type uiTest struct {
	t      *testing.T
	env    *testenv.Env
	url    string
	client *http.Client
}

const (
	adminEmail    = "admin@example.com"
	adminPassword = "correct horse battery"
)

func newUITest(t *testing.T) *uiTest {
	t.Helper()
	return newUITestWith(t, testenv.Options{}, false)
}

// newUITestWith is newUITest with the environment's options, and whether
// the UI is told that ActiveCampaign can reach autocred (--public-url).
func newUITestWith(t *testing.T, opts testenv.Options, publicURL bool) *uiTest {
	t.Helper()
	env := testenv.New(t, opts)
	srv := httptest.NewServer(New(Config{Service: env.Service, Auth: env.Auth, Metrics: env.Metrics, PublicURLSet: publicURL,
		Logger: slog.New(slog.NewTextHandler(tlog{t}, nil))}))
	t.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &uiTest{t: t, env: env, url: srv.URL, client: client}
}

type page struct {
	status   int
	location string
	body     string
}

// do sends a request as a browser on the same site would: a form post
// carries Origin and Sec-Fetch-Site.
func (u *uiTest) do(method, path string, form url.Values, header ...string) page {
	u.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u.url+path, body)
	if err != nil {
		u.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if method != http.MethodGet {
		req.Header.Set("Origin", u.url)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i+1] == "" {
			req.Header.Del(header[i])
		} else {
			req.Header.Set(header[i], header[i+1])
		}
	}
	resp, err := u.client.Do(req)
	if err != nil {
		u.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, location: resp.Header.Get("Location"), body: string(b)}
}

func (u *uiTest) signIn() {
	u.t.Helper()
	if _, err := u.env.Store.CreateUser(context.Background(), adminEmail, adminPassword); err != nil {
		u.t.Fatal(err)
	}
	p := u.do("POST", "/signin", url.Values{"email": {adminEmail}, "password": {adminPassword}})
	if p.status != http.StatusSeeOther || p.location != "/automations" {
		u.t.Fatalf("sign in: %d %s", p.status, p.location)
	}
}

// fixture is an automation with one failed run, so that every page has
// something to show.
type fixture struct {
	acConn, certConn, automation, run int64
	segment, group                    string
}

func (u *uiTest) fixture() fixture {
	u.t.Helper()
	ctx := context.Background()
	env := u.env
	if _, err := env.AC.Import(testenv.ACAccount, []simac.ContactInput{{Email: "ada@example.com", FirstName: "Ada", LastName: "Lovelace", Tags: []string{"done"}}}); err != nil {
		u.t.Fatal(err)
	}
	seg, err := env.AC.DefineSegment(testenv.ACAccount, simac.SegmentDef{Name: "Course Completers", Conditions: []simac.Condition{{Type: "tag", Op: "has", Value: "done"}}})
	if err != nil {
		u.t.Fatal(err)
	}
	group, err := env.Certifier.AddGroup(testenv.CertWorkspace, simcert.GroupInput{Name: "Course certificate"})
	if err != nil {
		u.t.Fatal(err)
	}
	ac, err := env.Service.CreateConnection(ctx, service.NewConnection{App: autocred.AppActiveCampaign, Name: "AC", APIURL: env.ACURL, APIKey: testenv.ACKey})
	if err != nil {
		u.t.Fatal(err)
	}
	cert, err := env.Service.CreateConnection(ctx, service.NewConnection{App: autocred.AppCertifier, Name: "Cert", APIURL: env.CertifierURL, AccessToken: testenv.CertifierToken})
	if err != nil {
		u.t.Fatal(err)
	}
	a, err := env.Service.CreateAutomation(ctx, service.AutomationInput{Name: "Certificates",
		Trigger: autocred.Trigger{ConnectionID: ac.ID, SegmentID: seg.ID},
		Action:  autocred.Action{ConnectionID: cert.ID, GroupID: group.ID, RecipientName: "{{contact.firstName}}", RecipientEmail: "{{contact.email}}", Issue: true, Send: true}})
	if err != nil {
		u.t.Fatal(err)
	}
	run := autocred.Run{AutomationID: a.ID, ContactID: 1, Entry: 1, Email: "ada@example.com", Status: autocred.RunFailed, LastError: "Certifier refused it.",
		ErrorCode: autocred.RunCodeCertifierValidation}
	if err := storetest.InsertRun(ctx, env.Store, &run); err != nil {
		u.t.Fatal(err)
	}
	return fixture{acConn: ac.ID, certConn: cert.ID, automation: a.ID, run: run.ID, segment: seg.ID, group: group.ID}
}

// concrete fills a route's path parameters with the fixture's ids.
func (f fixture) concrete(path string) string {
	path = strings.TrimSuffix(path, "{$}")
	if strings.HasPrefix(path, "/connections/") {
		path = strings.Replace(path, "{id}", itoa(f.acConn), 1)
	}
	if strings.HasPrefix(path, "/runs/") {
		path = strings.Replace(path, "{id}", itoa(f.run), 1)
	}
	path = strings.Replace(path, "{id}", itoa(f.automation), 1)
	return strings.Replace(path, "{action}", "sync", 1)
}

func TestEveryPageNeedsASession(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	f := u.fixture()
	if _, err := u.env.Store.CreateUser(context.Background(), "someone@example.com", "a long password"); err != nil {
		t.Fatal(err)
	}
	routes := (&handler{}).routes()
	for _, rt := range routes {
		p := u.do(rt.method, f.concrete(rt.path), url.Values{})
		if rt.json {
			if p.status != http.StatusUnauthorized || !strings.Contains(p.body, `"unauthorized"`) {
				t.Errorf("%s %s without a session: %d %q, want 401 JSON", rt.method, rt.path, p.status, p.body)
			}
			continue
		}
		if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/signin") {
			t.Errorf("%s %s without a session: %d to %q, want a redirect to /signin", rt.method, rt.path, p.status, p.location)
		}
	}
	if p := u.do("GET", "/automations/1", nil); p.location != "/signin?next=%2Fautomations%2F1" {
		t.Errorf("redirect keeps where the user was going: %q", p.location)
	}

	// Sign-in and the static files are public.
	for _, path := range []string{"/signin", "/static/app.css", "/static/app.js"} {
		if p := u.do("GET", path, nil); p.status != http.StatusOK {
			t.Errorf("GET %s without a session: %d", path, p.status)
		}
	}

	u.signIn()
	for _, rt := range routes {
		if rt.method != "GET" {
			continue
		}
		p := u.do("GET", f.concrete(rt.path), nil)
		want := http.StatusOK
		if rt.path == "/{$}" {
			want = http.StatusSeeOther
		}
		if p.status != want {
			t.Errorf("GET %s with a session: %d, want %d: %.300s", rt.path, p.status, want, p.body)
		}
	}
}

func TestCrossOriginPostsAreRefused(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	for _, h := range [][]string{
		{"Sec-Fetch-Site", "cross-site"},
		{"Origin", "https://evil.example", "Sec-Fetch-Site", ""},
	} {
		p := u.do("POST", "/connections", url.Values{"app": {"activecampaign"}, "name": {"x"}}, h...)
		if p.status != http.StatusForbidden {
			t.Errorf("cross-origin POST with %v: %d, want 403", h, p.status)
		}
	}
	if p := u.do("POST", "/signout", url.Values{}, "Sec-Fetch-Site", "cross-site"); p.status != http.StatusForbidden {
		t.Errorf("cross-origin sign-out: %d, want 403", p.status)
	}
	// The same request from the site itself goes through (and fails on
	// its content, not its origin).
	if p := u.do("POST", "/connections", url.Values{"app": {"activecampaign"}, "name": {"x"}}); p.status == http.StatusForbidden {
		t.Errorf("same-origin POST refused: %d", p.status)
	}
}

func TestFirstStartCreatesTheAdminOnce(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	if p := u.do("GET", "/", nil); p.location != "/setup" {
		t.Fatalf("first start: GET / goes to %q, want /setup", p.location)
	}
	if p := u.do("GET", "/signin", nil); p.location != "/setup" {
		t.Errorf("first start: GET /signin goes to %q, want /setup", p.location)
	}
	p := u.do("POST", "/setup", url.Values{"email": {"boss@example.com"}, "password": {"short"}, "password2": {"short"}})
	if p.status != http.StatusUnprocessableEntity || !fieldError(p.body, "password", "at least 10 characters") {
		t.Errorf("short password: %d, no error beside the password", p.status)
	}
	p = u.do("POST", "/setup", url.Values{"email": {"boss@example.com"}, "password": {adminPassword}, "password2": {adminPassword}})
	if p.status != http.StatusSeeOther || p.location != "/connections" {
		t.Fatalf("creating the admin: %d %s", p.status, p.location)
	}
	if p := u.do("GET", "/connections", nil); p.status != http.StatusOK || !strings.Contains(p.body, "boss@example.com") {
		t.Errorf("not signed in after creating the admin: %d", p.status)
	}
	if p := u.do("GET", "/setup", nil); p.location != "/signin" {
		t.Errorf("GET /setup once an admin exists goes to %q, want /signin", p.location)
	}
	p = u.do("POST", "/setup", url.Values{"email": {"intruder@example.com"}, "password": {adminPassword}, "password2": {adminPassword}})
	if p.status != http.StatusConflict || !strings.Contains(p.body, "already exists") {
		t.Errorf("second admin: %d, want 409", p.status)
	}
	if _, err := u.env.Store.Authenticate(context.Background(), "intruder@example.com", adminPassword); err == nil {
		t.Error("a second admin was created through the first-start page")
	}
}

func TestSignInAndOut(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	if _, err := u.env.Store.CreateUser(context.Background(), adminEmail, adminPassword); err != nil {
		t.Fatal(err)
	}
	p := u.do("POST", "/signin", url.Values{"email": {adminEmail}, "password": {"wrong password"}})
	if p.status != http.StatusUnauthorized || !fieldError(p.body, "password", "wrong email or password") || !strings.Contains(p.body, `value="`+adminEmail+`"`) {
		t.Errorf("wrong password: %d, want 401 with the message and the email kept", p.status)
	}
	p = u.do("POST", "/signin", url.Values{"email": {adminEmail}, "password": {adminPassword}, "next": {"//evil.example/"}})
	if p.status != http.StatusSeeOther || p.location != "/automations" {
		t.Errorf("sign in with a foreign next: %d %q", p.status, p.location)
	}
	cookies := u.client.Jar.Cookies(mustURL(u.url))
	if len(cookies) != 1 || cookies[0].Name != cookieName {
		t.Fatalf("cookies after sign-in: %v", cookies)
	}
	if p := u.do("GET", "/automations", nil); p.status != http.StatusOK {
		t.Fatalf("signed in: %d", p.status)
	}
	stolen := cookies[0].Value
	if p := u.do("POST", "/signout", url.Values{}); p.location != "/signin" {
		t.Errorf("sign out goes to %q", p.location)
	}
	if p := u.do("GET", "/automations", nil); p.status != http.StatusSeeOther {
		t.Errorf("after sign-out: %d", p.status)
	}
	// The session is gone from the database, not only from the browser.
	if _, err := u.env.Store.SessionUser(context.Background(), stolen); err == nil {
		t.Error("the session still works after sign-out")
	}
}

func TestSessionCookieAttributes(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	h := New(Config{Service: env.Service, Auth: env.Auth, Secure: true})
	if _, err := env.Store.CreateUser(context.Background(), adminEmail, adminPassword); err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("POST", "/signin", strings.NewReader(url.Values{"email": {adminEmail}, "password": {adminPassword}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	c := rec.Result().Cookies()
	if len(c) != 1 || !c[0].HttpOnly || !c[0].Secure || c[0].SameSite != http.SameSiteLaxMode || c[0].Path != "/" || len(c[0].Value) < 40 {
		t.Errorf("session cookie: %+v", c)
	}
}

func TestConnectionErrorsBesideTheirInput(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	p := u.do("POST", "/connections", url.Values{"app": {"activecampaign"}, "name": {"Acme"}, "api_url": {u.env.ACURL}, "api_key": {"wrong-key-0000000000"}})
	if p.status != http.StatusUnprocessableEntity || !fieldError(p.body, "ac-key", "ActiveCampaign refused this API key") {
		t.Errorf("wrong ActiveCampaign key: %d, no message beside the API key: %s", p.status, p.body)
	}
	if !strings.Contains(p.body, `value="Acme"`) || strings.Contains(p.body, "wrong-key-0000000000") {
		t.Error("the name must be kept and the key never echoed")
	}
	p = u.do("POST", "/connections", url.Values{"app": {"certifier"}, "name": {"Acme"}, "api_url": {u.env.CertifierURL}, "access_token": {"nope-nope-nope-nope"}})
	if p.status != http.StatusUnprocessableEntity || !fieldError(p.body, "cert-token", "Certifier refused this access token") {
		t.Errorf("wrong Certifier token: %d", p.status)
	}
	p = u.do("POST", "/connections", url.Values{"app": {"activecampaign"}, "name": {"Acme"}, "api_url": {u.env.ACURL}, "api_key": {testenv.ACKey}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("right key: %d %s", p.status, p.body)
	}
	if p := u.do("GET", p.location, nil); !strings.Contains(p.body, "Connected.") || !strings.Contains(p.body, "…cdef") {
		t.Error("the connection is not listed after connecting")
	}
}

func TestAutomationErrorsBesideTheirInput(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	f := u.fixture()
	// Another group than the fixture's automation: the same segment and
	// group would be refused as a duplicate.
	diploma, err := u.env.Certifier.AddGroup(testenv.CertWorkspace, simcert.GroupInput{Name: "Diploma"})
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{
		"name": {"Diplomas"}, "trigger.connection_id": {itoa(f.acConn)}, "trigger.segment_id": {f.segment},
		"action.connection_id": {itoa(f.certConn)}, "action.group_id": {diploma.ID},
		"action.recipient_name": {"{{contact.firstName}}"}, "action.recipient_email": {"{{contact.email}}"},
		"action.issue_date": {"{{today}}"}, "action.expiry_date": {"31/12/2030"}, "action.issue": {"on"}, "action.send": {"on"},
	}
	p := u.do("POST", "/automations", form)
	if p.status != http.StatusUnprocessableEntity || !fieldError(p.body, "mapping-expiry-date", "is not a date") {
		t.Errorf("bad expiry date: %d, no message beside the expiry date", p.status)
	}
	if !strings.Contains(p.body, `value="31/12/2030"`) || !strings.Contains(p.body, `data-step="action"`) {
		t.Error("the input must be kept and the action step shown")
	}
	form.Set("action.expiry_date", "{{today+1y}}")
	form.Set("trigger.segment_id", "")
	p = u.do("POST", "/automations", form)
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, `data-step="trigger"`) || !strings.Contains(p.body, "is required: the segment") {
		t.Errorf("no segment: %d, want the trigger step with the message", p.status)
	}
	form.Set("trigger.segment_id", f.segment)
	p = u.do("POST", "/automations", form)
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/automations/") {
		t.Fatalf("valid automation: %d %s", p.status, p.body)
	}
}

func TestPreviewRendersForAMember(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	f := u.fixture()
	p := u.do("POST", "/automations/preview", url.Values{
		"trigger.connection_id": {itoa(f.acConn)}, "trigger.segment_id": {f.segment},
		"action.recipient_name": {"{{contact.firstName}} {{contact.lastName}}"}, "action.recipient_email": {"{{contact.email}}"},
		"action.expiry_date": {"{{nope}}"},
	})
	if p.status != http.StatusOK || !strings.Contains(p.body, `"value":"Ada Lovelace"`) || !strings.Contains(p.body, "is not a known token") {
		t.Errorf("preview: %d %s", p.status, p.body)
	}
	// For the contact typed by name, in the time zone of the form, and a
	// custom field that does not exist is said, not shown empty.
	p = u.do("POST", "/automations/preview", url.Values{
		"trigger.connection_id": {itoa(f.acConn)}, "trigger.segment_id": {f.segment}, "preview_contact": {"lovelace"},
		"action.recipient_name": {"{{contact.firstName}}"}, "action.recipient_email": {"{{contact.email}}"},
		"action.expiry_date": {"{{contact.fields.NO_SUCH_FIELD}}"}, "action.time_zone": {"America/Chicago"},
	})
	if p.status != http.StatusOK || !strings.Contains(p.body, `"contact_email":"ada@example.com"`) || !strings.Contains(p.body, `"time_zone":"America/Chicago"`) ||
		!strings.Contains(p.body, "names no custom field") {
		t.Errorf("preview for a picked contact: %d %s", p.status, p.body)
	}
}

// fieldError tells whether the input with this id is marked invalid and is
// followed by the message, before the next input.
func fieldError(body, id, msg string) bool {
	re := regexp.MustCompile(`(?s)id="` + regexp.QuoteMeta(id) + `"[^>]*aria-invalid="true".*?class="field-error"[^>]*>([^<]*)<`)
	m := re.FindStringSubmatch(body)
	return m != nil && strings.Contains(m[1], msg) && !strings.Contains(body[strings.Index(body, `id="`+id+`"`):strings.Index(body, m[1])], "<input id=")
}

// tlog writes the UI's log into the test's, so a failure shows why.
type tlog struct{ t *testing.T }

func (l tlog) Write(b []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

func TestBrokenConnectionIsReconnected(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	f := u.fixture()
	ctx := context.Background()
	if err := u.env.Store.SetConnectionStatus(ctx, f.certConn, autocred.ConnectionBroken, "Certifier refused the access token."); err != nil {
		t.Fatal(err)
	}
	list := u.do("GET", "/connections", nil)
	link := "/connections?reconnect=" + itoa(f.certConn)
	if !strings.Contains(list.body, "Broken") || !strings.Contains(list.body, link) {
		t.Fatalf("a broken connection shows no way to reconnect it:\n%s", list.body)
	}
	form := u.do("GET", link, nil)
	if !strings.Contains(form.body, "Reconnect Cert") || !strings.Contains(form.body, `name="id" value="`+itoa(f.certConn)+`"`) {
		t.Fatalf("the reconnect form is not prefilled:\n%s", form.body)
	}
	bad := u.do("POST", "/connections", url.Values{"app": {"certifier"}, "id": {itoa(f.certConn)}, "name": {"Cert"}, "api_url": {u.env.CertifierURL}, "access_token": {"still-wrong-token-0"}})
	if bad.status != http.StatusUnprocessableEntity || !fieldError(bad.body, "cert-token", "Certifier refused this access token") || !strings.Contains(bad.body, "Reconnect Cert") {
		t.Errorf("a refused new token: %d, not shown beside the token on the reconnect form", bad.status)
	}
	ok := u.do("POST", "/connections", url.Values{"app": {"certifier"}, "id": {itoa(f.certConn)}, "name": {"Cert"}, "api_url": {u.env.CertifierURL}, "access_token": {testenv.CertifierToken}})
	if ok.status != http.StatusSeeOther || !strings.Contains(ok.location, "reconnected") {
		t.Fatalf("reconnect: %d %s", ok.status, ok.location)
	}
	if c, _ := u.env.Store.Connection(ctx, f.certConn); c.Status != autocred.ConnectionOK {
		t.Errorf("after reconnecting: %+v", c)
	}
	if conns, _ := u.env.Store.Connections(ctx); len(conns) != 2 {
		t.Errorf("reconnecting made a new connection: %d in all", len(conns))
	}
}

// A value that cannot be stored (on PostgreSQL) is refused with the input
// named, before anything is stored; SQLite would have stored it.
func TestUnstorableInputIsRefused(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	f := u.fixture()
	for _, tc := range []struct {
		name, method, path string
		form               url.Values
		says               string
	}{
		{"NUL in a connection's name", "POST", "/connections",
			url.Values{"app": {"activecampaign"}, "name": {"Acme\x00"}, "api_url": {u.env.ACURL}, "api_key": {testenv.ACKey}},
			"Name has a null character (U+0000) at character 5"},
		{"bytes that are not UTF-8 in a recipient name", "POST", "/automations",
			url.Values{"name": {"Course"}, "action.recipient_name": {"Jos\xe9"}},
			"Recipient name has bytes that are not UTF-8 text at character 4"},
		{"NUL in a query", "GET", "/automations/" + itoa(f.automation) + "?contact=ana%00", nil,
			"contact has a null character"},
		// Sign-in reads the users table with the email typed: a NUL
		// there would be a database error on PostgreSQL.
		{"NUL in the sign-in email", "POST", "/signin",
			url.Values{"email": {"admin\x00@example.com"}, "password": {"wrong password"}},
			"has a null character"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The UI answers bad input 422, as for any other invalid value.
			p := u.do(tc.method, tc.path, tc.form)
			if p.status != http.StatusUnprocessableEntity || !strings.Contains(html.UnescapeString(p.body), tc.says) {
				t.Errorf("%d, want 422 saying %q: %s", p.status, tc.says, p.body)
			}
		})
	}
	conns, err := u.env.Store.Connections(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range conns {
		if strings.ContainsRune(c.Name, 0) {
			t.Errorf("connection %q was stored", c.Name)
		}
	}
}

// Delete archives (issue 13, point 5): the automation leaves the list, its
// page and runs stay readable and downloadable; its history can then be
// deleted, and only then the automation for good.
func TestDeleteArchivesAutomation(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	f := u.fixture()
	auto := "/automations/" + itoa(f.automation)

	p := u.do("POST", auto+"/delete", url.Values{})
	if p.status != http.StatusSeeOther || withoutAt(p.location) != "/automations?done=archived" {
		t.Fatalf("delete: %d %s", p.status, p.location)
	}
	if p := u.do("GET", "/automations", nil); strings.Contains(p.body, `href="`+auto+`"`) || !strings.Contains(p.body, "Archived automations (1)") {
		t.Errorf("the list after deleting: the automation is listed, or the archived link is missing")
	}
	if p := u.do("GET", "/automations?archived=1", nil); !strings.Contains(p.body, `href="`+auto+`"`) {
		t.Errorf("the archived list does not show the deleted automation")
	}
	p = u.do("GET", auto, nil)
	for _, want := range []string{"Restore", "Delete history", "Download CSV"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the archived automation's page has no %q", want)
		}
	}
	if p := u.do("GET", "/runs/"+itoa(f.run), nil); p.status != http.StatusOK || !strings.Contains(p.body, "ada@example.com") {
		t.Errorf("a run of the archived automation: %d", p.status)
	}
	// Its failed run offers no Retry, which the server would refuse: the
	// pages say once why, and what to do.
	if strings.Contains(p.body, "/retry") || !strings.Contains(p.body, "This automation is archived, so its runs cannot be retried") {
		t.Errorf("the archived automation's runs offer Retry, or do not say why they cannot be retried")
	}
	if p := u.do("GET", "/runs/"+itoa(f.run), nil); strings.Contains(p.body, "/retry") || !strings.Contains(p.body, "Its automation is archived, so this run cannot be retried") {
		t.Errorf("the run page of an archived automation offers Retry, or does not say why it cannot")
	}
	var live struct{ Regions map[string]string }
	if err := json.Unmarshal([]byte(u.do("GET", auto+"/live", nil).body), &live); err != nil || strings.Contains(live.Regions["runs"], "/retry") {
		t.Errorf("the live refresh of an archived automation's runs offers Retry (%v)", err)
	}
	if p := u.do("GET", auto+"/edit", nil); p.status != http.StatusConflict || !strings.Contains(p.body, "restore it before editing it") {
		t.Errorf("the edit page of an archived automation: %d, want 409 saying to restore it first", p.status)
	}
	if p := u.follow(u.do("POST", "/runs/"+itoa(f.run)+"/retry", url.Values{})); !strings.Contains(p.body, "restore it (it comes back paused)") {
		t.Errorf("retrying a run of an archived automation: %d, want a refusal saying to restore it first", p.status)
	}
	p = u.do("GET", auto+"/runs.csv?status=failed", nil)
	if p.status != http.StatusOK || !strings.Contains(p.body, "ada@example.com") || !strings.HasPrefix(p.body, utf8BOM+"run_id,") {
		t.Errorf("download: %d %q", p.status, p.body)
	}
	if p := u.do("GET", auto+"/runs.csv?status=issued", nil); strings.Contains(p.body, "ada@example.com") {
		t.Errorf("download of issued runs holds the failed one: %q", p.body)
	}

	p = u.do("POST", auto+"/delete-history", url.Values{})
	if p.status != http.StatusSeeOther {
		t.Fatalf("delete history: %d %s", p.status, p.body)
	}
	if p := u.do("GET", "/runs/"+itoa(f.run), nil); p.status != http.StatusNotFound {
		t.Errorf("a run after its history was deleted: %d, want 404", p.status)
	}
	if p := u.do("GET", auto, nil); !strings.Contains(p.body, "History deleted") || !strings.Contains(p.body, "Delete for good") {
		t.Errorf("the automation's page after deleting its history says nothing of it")
	}
	p = u.do("POST", auto+"/delete-for-good", url.Values{})
	if p.status != http.StatusSeeOther || withoutAt(p.location) != "/automations?archived=1&done=deleted" {
		t.Fatalf("delete for good: %d %s", p.status, p.location)
	}
	if p := u.do("GET", auto, nil); p.status != http.StatusNotFound {
		t.Errorf("the automation after deleting it for good: %d, want 404", p.status)
	}
}

// "Older runs" and "Download CSV" keep their query: html/template escapes
// a plain string's = and & inside a URL.
func TestRunLinksKeepTheirQuery(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	f := u.fixture()
	ctx := context.Background()
	for i := 2; i <= 60; i++ {
		run := autocred.Run{AutomationID: f.automation, ContactID: autocred.ContactID(i), Entry: 1, Email: "x@example.com", Status: autocred.RunFailed}
		if err := storetest.InsertRun(ctx, u.env.Store, &run); err != nil {
			t.Fatal(err)
		}
	}
	p := u.do("GET", "/automations/"+itoa(f.automation)+"?status=failed", nil)
	if !regexp.MustCompile(`href="/automations/\d+\?after=\d+&amp;status=failed"`).MatchString(p.body) {
		t.Errorf("no working link to older runs in the page")
	}
	if !strings.Contains(p.body, `runs.csv?status=failed"`) {
		t.Errorf("no working download link for the filter in the page")
	}
}

// A failed run shows its error code with its error, and the runs filter
// takes the code, as the API's error_code does.
func TestRunErrorCodeIsShownAndFiltered(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	f := u.fixture()
	if p := u.do("GET", "/runs/"+itoa(f.run), nil); !strings.Contains(p.body, "Certifier refused it. <code") || !strings.Contains(p.body, ">certifier_validation</code>") {
		t.Errorf("the run page does not show the error code:\n%s", p.body)
	}
	auto := "/automations/" + itoa(f.automation)
	p := u.do("GET", auto+"?error_code=certifier_validation", nil)
	if !strings.Contains(p.body, `href="/runs/`+itoa(f.run)+`"`) || !strings.Contains(p.body, `<option value="certifier_validation" selected>`) {
		t.Errorf("filtered by its code, the run is not listed or the filter not kept")
	}
	if !strings.Contains(p.body, `runs.csv?error_code=certifier_validation"`) {
		t.Errorf("the download link does not keep the code filter")
	}
	if p := u.do("GET", auto+"?error_code=invalid_email", nil); strings.Contains(p.body, `href="/runs/`+itoa(f.run)+`"`) || !strings.Contains(p.body, "No run matches this filter.") {
		t.Errorf("filtered by another code, the run is listed")
	}
	if p := u.do("GET", auto+"/runs.csv?error_code=invalid_email", nil); strings.Contains(p.body, "ada@example.com") {
		t.Errorf("the download by another code holds the run: %q", p.body)
	}
}

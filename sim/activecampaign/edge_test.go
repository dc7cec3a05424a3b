package activecampaign_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	simac "github.com/autocred/autocred/sim/activecampaign"
)

// raw sends a GET without following redirects.
func (e *env) raw(path, key string) resp {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.ts.URL+path, nil)
	if key != "" {
		req.Header.Set("Api-Token", key)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{status: res.StatusCode, header: res.Header, body: b}
}

// TestRedirectKnob: an account set to redirect answers every API request,
// before its key is checked, with a redirect to the target origin and the
// request's own path and query; clearing it restores the API.
func TestRedirectKnob(t *testing.T) {
	e := newEnv(t, simac.Options{})
	if err := e.srv.AddAccount("other", "k2"); err != nil {
		t.Fatal(err)
	}
	ctl := func(method, path, body string, want int) {
		t.Helper()
		if r := e.doKey(method, "/_sandbox"+path, body, ""); r.status != want {
			t.Fatalf("%s %s %s: %d, want %d: %s", method, path, body, r.status, want, r.body)
		}
	}
	ctl("POST", "/accounts/acme/redirect", `{"to":"http://127.0.0.1:9"}`, 204)
	for _, key := range []string{testKey, "wrong key", ""} {
		r := e.raw("/acme/api/3/contacts?limit=5", key)
		if r.status != 302 || r.header.Get("Location") != "http://127.0.0.1:9/acme/api/3/contacts?limit=5" {
			t.Fatalf("key %q: %d Location %q, want 302 to the same path on http://127.0.0.1:9", key, r.status, r.header.Get("Location"))
		}
	}
	if r := e.raw("/acme/api/3/nothing-here", testKey); r.status != 302 {
		t.Errorf("an unknown route answered %d, want the redirect", r.status)
	}
	if r := e.raw("/other/api/3/users/me", "k2"); r.status != 200 {
		t.Errorf("another account answered %d, want 200", r.status)
	}
	ctl("POST", "/accounts/acme/redirect", `{"to":"https://elsewhere.example:8443/","status":308}`, 204)
	if r := e.raw("/acme/api/3/users/me", testKey); r.status != 308 || r.header.Get("Location") != "https://elsewhere.example:8443/acme/api/3/users/me" {
		t.Errorf("308: %d %q", r.status, r.header.Get("Location"))
	}
	ctl("POST", "/accounts/acme/redirect", `{"to":"http://h/with/path"}`, 400)
	ctl("POST", "/accounts/acme/redirect", `{"to":"ftp://h"}`, 400)
	ctl("POST", "/accounts/acme/redirect", `{"to":"http://h","status":200}`, 400)
	ctl("POST", "/accounts/acme/redirect", `{}`, 400)
	ctl("POST", "/accounts/nobody/redirect", `{"to":""}`, 404)
	ctl("POST", "/accounts/acme/redirect", `{"to":""}`, 204)
	if r := e.raw("/acme/api/3/users/me", testKey); r.status != 200 {
		t.Errorf("after clearing: %d, want 200", r.status)
	}
	if err := e.srv.SetRedirect("acme", "http://127.0.0.1:9", 0); err != nil {
		t.Fatal(err)
	}
	ctl("DELETE", "/accounts/acme/redirect", ``, 204)
	if r := e.raw("/acme/api/3/users/me", testKey); r.status != 200 {
		t.Errorf("after DELETE: %d, want 200", r.status)
	}
}

// TestRedirectOption: Options.RedirectTo redirects every account from the start.
func TestRedirectOption(t *testing.T) {
	e := newEnv(t, simac.Options{RedirectTo: "http://127.0.0.1:9"})
	if r := e.raw("/acme/api/3/users/me", testKey); r.status != 302 || !strings.HasPrefix(r.header.Get("Location"), "http://127.0.0.1:9/acme/") {
		t.Fatalf("%d %q, want a 302", r.status, r.header.Get("Location"))
	}
}

// TestErrorPageKnob: an account set to an error page answers every API
// request with that status and an HTML page, not an API error body.
func TestErrorPageKnob(t *testing.T) {
	e := newEnv(t, simac.Options{})
	ctl := func(method, body string, want int) {
		t.Helper()
		if r := e.doKey(method, "/_sandbox/accounts/acme/error-page", body, ""); r.status != want {
			t.Fatalf("%s %s: %d, want %d: %s", method, body, r.status, want, r.body)
		}
	}
	ctl("POST", `{"status":502}`, 204)
	r := e.raw("/acme/api/3/contacts", testKey)
	if r.status != 502 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !strings.HasPrefix(string(r.body), "<html>") {
		t.Fatalf("%d %q %q, want a 502 HTML page", r.status, r.header.Get("Content-Type"), r.body)
	}
	ctl("POST", `{"status":200}`, 400)
	ctl("POST", `{}`, 400)
	ctl("POST", `{"status":0}`, 204)
	if r := e.raw("/acme/api/3/users/me", testKey); r.status != 200 {
		t.Errorf("after clearing: %d", r.status)
	}
	if err := e.srv.SetErrorPage("acme", 503); err != nil {
		t.Fatal(err)
	}
	if r := e.raw("/acme/api/3/users/me", testKey); r.status != 503 {
		t.Errorf("SetErrorPage(503): %d", r.status)
	}
	ctl("DELETE", ``, 204)
	if r := e.raw("/acme/api/3/users/me", testKey); r.status != 200 {
		t.Errorf("after DELETE: %d", r.status)
	}

	opt := newEnv(t, simac.Options{ErrorPage: 504})
	if r := opt.raw("/acme/api/3/users/me", testKey); r.status != 504 {
		t.Errorf("Options.ErrorPage 504: %d", r.status)
	}
}

package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestLocalPath: the "next" address after sign-in stays on this site.
// The refused ones are the addresses browsers read as another host, each
// raw and as an attacker would encode it (issue 13, point 6).
func TestLocalPath(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		next string
		ok   bool
	}{
		{"/", true},
		{"/automations/3", true},
		{"/automations/3?status=failed&email=ann%40example.com", true},
		{"/automations/3?email=ann%20lee", true}, // an encoded space in the query is data
		{"/runs/5#events", true},
		{"/automations/%2F", true}, // an encoded slash later in the path stays on this site

		{"", false},
		{"automations", false},
		{"//evil.example/path", false},
		{"/\\evil.example/path", false},
		{"\\\\evil.example", false},
		{"/\t/evil.example/path", false}, // ?next=/%09/evil.example/path, decoded once
		{"/%09/evil.example/path", false},
		{"/%2509/evil.example/path", false},
		{"/\n/evil.example", false},
		{"/\r\n/evil.example", false},
		{"/ /evil.example", false},
		{"/%20/evil.example", false},
		{"/\u00a0/evil.example", false},
		{"/\u200b/evil.example", false},
		{"/%2F/evil.example", false},
		{"/%2f%2fevil.example", false},
		{"/%252F/evil.example", false},
		{"/%5Cevil.example", false},
		{"/%5cevil.example", false},
		{"https://evil.example", false},
		{"HTTPS://evil.example/", false},
		{"javascript:alert(1)", false},
		{"/a\x00b", false},
		{"/\xff", false},
		{"/%zz", false},
		{"/%25252525252F", false}, // encoded past any real link
	} {
		want := afterSignin
		if c.ok {
			want = c.next
		}
		if got := localPath(c.next); got != want {
			t.Errorf("localPath(%q) = %q, want %q", c.next, got, want)
		}
	}
}

// TestSignInNextStaysHere: the attack of issue 13 end to end, through the
// sign-in page and its form.
func TestSignInNextStaysHere(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	if _, err := u.env.Store.CreateUser(context.Background(), adminEmail, adminPassword); err != nil {
		t.Fatal(err)
	}
	p := u.do("GET", "/signin?next=/%09/evil.example/path", nil)
	if p.status != http.StatusOK || !strings.Contains(p.body, `name="next" value="/automations"`) {
		t.Errorf("GET /signin?next=/%%09/evil.example/path: %d, the form's next is not /automations", p.status)
	}
	for _, next := range []string{"/\t/evil.example/path", "/%09/evil.example/path", "/\\evil.example", "//evil.example"} {
		u.client.Jar.SetCookies(mustURL(u.url), []*http.Cookie{{Name: cookieName, Value: "", MaxAge: -1}})
		p := u.do("POST", "/signin", url.Values{"email": {adminEmail}, "password": {adminPassword}, "next": {next}})
		if p.status != http.StatusSeeOther || p.location != "/automations" {
			t.Errorf("sign in with next %q: %d to %q, want /automations", next, p.status, p.location)
		}
	}
	p = u.do("POST", "/signin", url.Values{"email": {adminEmail}, "password": {adminPassword}, "next": {"/automations/7?status=failed"}})
	if p.location != "/automations/7?status=failed" {
		t.Errorf("sign in with a local next: to %q", p.location)
	}
}

package web

import (
	"net/http"
	"strings"
	"testing"
)

// Every page names a small icon, and /favicon.ico, which browsers ask for
// anyway, leads to it: no 404 on every page (tester 4, finding 11).
func TestEveryPageHasAnIcon(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	if p := u.do("GET", "/favicon.ico", nil); p.status != http.StatusMovedPermanently || p.location != "/static/favicon.svg" {
		t.Errorf("/favicon.ico without a session: %d to %q, want the icon", p.status, p.location)
	}
	u.signIn()
	if p := u.do("GET", "/automations", nil); !strings.Contains(p.body, `<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">`) {
		t.Errorf("the automations page names no icon")
	}
	p := u.do("GET", "/static/favicon.svg", nil)
	if p.status != http.StatusOK || !strings.HasPrefix(p.body, "<svg") {
		t.Errorf("the icon: %d %.40q", p.status, p.body)
	}
}

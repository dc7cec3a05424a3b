package web

import (
	"context"
	"fmt"
	"html"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/autocred/autocred/internal/testenv"
)

// clock is a time the test moves.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// signinServer serves the UI on env's store with the sign-in limits on
// clk, trusting proxies.
func signinServer(t *testing.T, env *testenv.Env, clk *clock, proxies ...string) string {
	t.Helper()
	var trusted []netip.Prefix
	if len(proxies) > 0 {
		var err error
		if trusted, err = ParseTrustedProxies(strings.Join(proxies, ",")); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(New(Config{Service: env.Service, Auth: env.Auth, Logger: slog.New(slog.NewTextHandler(tlog{t}, nil)),
		TrustedProxies: trusted, Now: clk.now}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// browserFrom is a browser on the local address from (127.0.0.x), so that
// the server sees different client addresses without a proxy.
func browserFrom(t *testing.T, base, from string) *uiTest {
	jar, _ := cookiejar.New(nil)
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	return &uiTest{t: t, url: base, client: &http.Client{Jar: jar,
		Transport:     &http.Transport{DialContext: dialer.DialContext},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func signinForm(email, password string) url.Values {
	return url.Values{"email": {email}, "password": {password}}
}

// lockedFor tells whether p refuses a sign-in with the message of the
// given kind ("this account", "your network address").
func lockedFor(p page, kind string) bool {
	return p.status == http.StatusTooManyRequests &&
		strings.Contains(html.UnescapeString(p.body), "Too many sign-in attempts "+map[string]string{"account": "for this account", "address": "from your network address"}[kind]+"; try again in 15 minutes.")
}

// TestSigninGuessing is issue 13's attack: 30 wrong passwords in a row,
// then the right one. The right one is refused while the account is
// locked, with no sign of whether the account exists; other accounts and
// addresses go on; when the lock ends the right password works.
func TestSigninGuessing(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	ctx := context.Background()
	for _, email := range []string{adminEmail, "bob@example.com"} {
		if _, err := env.Store.CreateUser(ctx, email, adminPassword); err != nil {
			t.Fatal(err)
		}
	}
	clk := &clock{t: time.Now()}
	base := signinServer(t, env, clk)
	guesser := browserFrom(t, base, "127.0.0.2")

	checked := 0
	for i := range 30 {
		p := guesser.do("POST", "/signin", signinForm(adminEmail, fmt.Sprintf("wrong password %d", i)))
		switch {
		case p.status == http.StatusUnauthorized:
			checked++
		case !lockedFor(p, "account"):
			t.Fatalf("wrong password %d: %d, want 401 or the account's lock", i, p.status)
		}
	}
	if checked != accountRule.Attempts {
		t.Errorf("%d of 30 wrong passwords were checked, want %d", checked, accountRule.Attempts)
	}
	p := guesser.do("POST", "/signin", signinForm(adminEmail, adminPassword))
	if !lockedFor(p, "account") || p.location != "" {
		t.Errorf("the right password after 30 wrong ones: %d to %q, want 429 with the account's lock", p.status, p.location)
	}
	// The lock holds from another address too, and an email with no
	// account locks the same way, with the same words.
	if p := browserFrom(t, base, "127.0.0.3").do("POST", "/signin", signinForm(adminEmail, adminPassword)); !lockedFor(p, "account") {
		t.Errorf("the right password from another address: %d, want the account's lock", p.status)
	}
	nobody := browserFrom(t, base, "127.0.0.4")
	for i := range accountRule.Attempts {
		nobody.do("POST", "/signin", signinForm("nobody@example.com", fmt.Sprintf("guess %d", i)))
	}
	if p := nobody.do("POST", "/signin", signinForm("Nobody@Example.com ", "guess")); !lockedFor(p, "account") {
		t.Errorf("an email with no account after %d guesses: %d, want the same lock as an account's", accountRule.Attempts, p.status)
	}
	// Another account from the guesser's own address is not locked.
	if p := guesser.do("POST", "/signin", signinForm("bob@example.com", adminPassword)); p.status != http.StatusSeeOther {
		t.Errorf("another account from the same address: %d, want signed in", p.status)
	}

	clk.add(15*time.Minute - time.Second)
	if p := guesser.do("POST", "/signin", signinForm(adminEmail, adminPassword)); p.status != http.StatusTooManyRequests || !strings.Contains(p.body, "for this account; try again in 1 minute.") {
		t.Errorf("a second before the lock ends: %d, want still locked", p.status)
	}
	clk.add(time.Second)
	if p := guesser.do("POST", "/signin", signinForm(adminEmail, adminPassword)); p.status != http.StatusSeeOther || p.location != "/automations" {
		t.Errorf("after the lock ended: %d to %q, want signed in", p.status, p.location)
	}
}

// TestSigninAddressLimit: one address trying many accounts is locked after
// the address's limit, for every account; a peer that is not a trusted
// proxy cannot escape by claiming other addresses in X-Forwarded-For, and
// behind a trusted proxy each client is counted apart.
func TestSigninAddressLimit(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	if _, err := env.Store.CreateUser(context.Background(), adminEmail, adminPassword); err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Now()}

	// Straight from the internet: X-Forwarded-For is the client's own say.
	direct := browserFrom(t, signinServer(t, env, clk), "127.0.0.5")
	for i := range addressRule.Attempts {
		p := direct.do("POST", "/signin", signinForm(fmt.Sprintf("user%d@example.com", i), "guess"), "X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i))
		if p.status != http.StatusUnauthorized {
			t.Fatalf("guess %d on another account: %d, want 401", i, p.status)
		}
	}
	p := direct.do("POST", "/signin", signinForm(adminEmail, adminPassword), "X-Forwarded-For", "198.51.100.200")
	if !lockedFor(p, "address") {
		t.Errorf("the right password after %d guesses from one address claiming others: %d, want the address's lock", addressRule.Attempts, p.status)
	}
	if p := browserFrom(t, direct.url, "127.0.0.6").do("POST", "/signin", signinForm(adminEmail, adminPassword)); p.status != http.StatusSeeOther {
		t.Errorf("the right password from another address: %d, want signed in", p.status)
	}

	// Behind a trusted proxy (this test's client, 127.0.0.7), the client
	// is the address the proxy appended.
	proxied := browserFrom(t, signinServer(t, env, clk, "127.0.0.7"), "127.0.0.7")
	for i := range addressRule.Attempts + 5 {
		p := proxied.do("POST", "/signin", signinForm(fmt.Sprintf("user%d@example.com", i), "guess"), "X-Forwarded-For", fmt.Sprintf("203.0.113.66, 198.51.100.%d", i))
		if p.status != http.StatusUnauthorized {
			t.Fatalf("proxied guess %d from its own address: %d, want 401", i, p.status)
		}
	}
	for i := range addressRule.Attempts {
		proxied.do("POST", "/signin", signinForm(fmt.Sprintf("other%d@example.com", i), "guess"), "X-Forwarded-For", "203.0.113.9")
	}
	if p := proxied.do("POST", "/signin", signinForm(adminEmail, adminPassword), "X-Forwarded-For", "203.0.113.9"); !lockedFor(p, "address") {
		t.Errorf("proxied client past its limit: %d, want the address's lock", p.status)
	}
	if p := proxied.do("POST", "/signin", signinForm(adminEmail, adminPassword), "X-Forwarded-For", "203.0.113.10"); p.status != http.StatusSeeOther {
		t.Errorf("another client behind the same proxy: %d, want signed in", p.status)
	}
}

// TestSetupLimit: the first-run page counts against the address too, and
// once an admin exists it refuses without hashing anything.
func TestSetupLimit(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	clk := &clock{t: time.Now()}
	b := browserFrom(t, signinServer(t, env, clk), "127.0.0.8")
	for i := range addressRule.Attempts {
		p := b.do("POST", "/setup", url.Values{"email": {fmt.Sprintf("not an email %d", i)}, "password": {adminPassword}, "password2": {adminPassword}})
		if p.status == http.StatusTooManyRequests || p.status == http.StatusSeeOther {
			t.Fatalf("setup attempt %d: %d, want refused for its email", i, p.status)
		}
	}
	form := url.Values{"email": {adminEmail}, "password": {adminPassword}, "password2": {adminPassword}}
	if p := b.do("POST", "/setup", form); !lockedFor(p, "address") {
		t.Errorf("setup after %d attempts: %d, want the address's lock", addressRule.Attempts, p.status)
	}
	clk.add(addressRule.Lock)
	if p := b.do("POST", "/setup", form); p.status != http.StatusSeeOther {
		t.Errorf("setup after the lock ended: %d, want the admin created", p.status)
	}
}

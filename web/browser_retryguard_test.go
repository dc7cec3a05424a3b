package web

import (
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/autocred/autocred/internal/testenv"
)

// TestBrowserRetryGuardSendsOnePost clicks Retry in an automation's runs
// list, in headless Chromium, and clicks it again while the first POST is
// still in flight (the server holds it): the page's script (data-once)
// sends nothing for the second click, so the server gets one POST. The
// server would also queue the run once (TestRetryTwiceIsRetryQueued): this
// checks the browser's guard on its own.
func TestBrowserRetryGuardSendsOnePost(t *testing.T) {
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("%s is missing: the browser tests need Debian's Chromium; run apt-get install -y chromium", chromium)
	}
	env := testenv.New(t, testenv.Options{})
	var posts atomic.Int32
	release := make(chan struct{})
	handler := New(Config{Service: env.Service, Auth: env.Auth, Metrics: env.Metrics, Logger: slog.New(slog.NewTextHandler(tlog{t}, nil))})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/runs/") && strings.HasSuffix(r.URL.Path, "/retry") {
			if posts.Add(1) == 1 {
				select { // the first is in flight until the test lets it go
				case <-release:
				case <-time.After(10 * time.Second):
				}
			}
		}
		handler.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	u := &uiTest{t: t, env: env, url: srv.URL, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	f := u.fixture()
	u.activate(f)
	b := u.adminBrowser()
	auto := "/automations/" + itoa(f.automation)
	retry := `form[action="/runs/` + itoa(f.run) + `/retry"] button`
	b.run("the failed runs", chromedp.Navigate(b.url+auto+"?status=failed"), chromedp.WaitVisible(chromedp.CSS(retry)))
	// Both clicks in the page, the second 300 ms after the first: the
	// first POST is then held by the server, and the page still shown (a
	// click through the DevTools protocol would wait for the navigation).
	b.eval(`(() => { const b = document.querySelector(` + "`" + retry + "`" + `); b.click(); setTimeout(() => b.click(), 300) })()`)
	for deadline := time.Now().Add(15 * time.Second); posts.Load() == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the first click sent no POST")
		}
	}
	time.Sleep(time.Second) // the second click, and its POST if one was sent
	close(release)
	b.run("the answer", chromedp.WaitVisible(chromedp.CSS(".flash")))
	b.expectText(".flash", "Retry queued.")
	if n := posts.Load(); n != 1 {
		t.Errorf("a second click while the first POST was in flight sent %d POSTs in all, want 1", n)
	}
}

package web

import (
	"context"
	"html"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/autocred/autocred/internal/testenv"
)

// ActiveCampaign unreachable is as visible and as calm as a Certifier
// outage (issue 15, round 5, #5): Connections and Health say it, with
// since when, the last read that worked and the next attempt; the list
// does not say "Last sync: just now" while every read fails; the
// automation's page says it in a calm notice, not raw red text; and
// nothing says Certifier for an ActiveCampaign problem.
func TestActiveCampaignOutageIsShownCalmly(t *testing.T) {
	t.Parallel()
	var down atomic.Bool
	u := newUITestWith(t, testenv.Options{WrapAC: func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if down.Load() {
				// As a dead server: the connection closes, no answer.
				if hj, ok := w.(http.Hijacker); ok {
					if c, _, err := hj.Hijack(); err == nil {
						c.Close()
						return
					}
				}
			}
			next.ServeHTTP(w, r)
		})
	}}, false)
	u.signIn()
	f := u.fixture()
	u.activate(f)
	ctx := context.Background()
	eventually(t, "a read that works", func() bool {
		a, err := u.env.Service.Automation(ctx, f.automation)
		return err == nil && !a.LastSyncOKAt.IsZero() && a.LastSyncError == ""
	})
	down.Store(true)
	eventually(t, "a read that fails for the outage", func() bool {
		a, err := u.env.Service.Automation(ctx, f.automation)
		return err == nil && a.SyncOutage() && !a.SyncFailingSince.IsZero()
	})

	list := html.UnescapeString(u.do("GET", "/automations", nil).body)
	row := regexp.MustCompile(`(?s)<a href="/automations/` + itoa(f.automation) + `">.*?</tr>`).FindString(list)
	for _, want := range []string{"Waiting on ActiveCampaign", "The last read of the segment failed; retrying automatically", "Failed ", "· retrying", "The last successful read of the segment", "last OK: "} {
		if !strings.Contains(row, want) {
			t.Errorf("the list's row does not say %q:\n%s", want, pageText(row))
		}
	}
	if strings.Contains(row, "Certifier") {
		t.Errorf("the list's row speaks of Certifier for an ActiveCampaign outage:\n%s", pageText(row))
	}

	auto := html.UnescapeString(u.do("GET", "/automations/"+itoa(f.automation), nil).body)
	if !regexp.MustCompile(`(?s)<div class="wait circuit" role="status"><p><strong>ActiveCampaign is not answering</strong>, since .*?The last read of the segment failed at .*?retrying automatically, next attempt at .*?Last successful read at`).MatchString(auto) {
		t.Errorf("the automation's page does not say the outage calmly, with its times:\n%s", pageText(auto))
	}
	if !strings.Contains(auto, `<p class="muted">Cause: the connection closed before an answer came.</p>`) || strings.Count(auto, "Nothing was changed") != 1 {
		t.Errorf("the automation's page does not give the cause quietly, once:\n%s", pageText(auto))
	}
	if strings.Contains(auto, `<p class="alert">ActiveCampaign`) || strings.Contains(auto, "Reading the segment failed") {
		t.Errorf("the automation's page says the outage as an alert:\n%s", pageText(auto))
	}

	for _, path := range []string{"/connections", "/health"} {
		body := html.UnescapeString(u.do("GET", path, nil).body)
		if !strings.Contains(body, "Waiting on ActiveCampaign") || !strings.Contains(body, "<strong>ActiveCampaign is not answering</strong>, since") ||
			!strings.Contains(body, "Last successful read at") || !strings.Contains(body, "Next attempt at") {
			t.Errorf("%s does not say that ActiveCampaign is not answering, since when, the last read and the next:\n%s", path, pageText(body))
		}
		if regexp.MustCompile(`badge-active">OK</span>\s*(</td>\s*<td[^>]*>.*?)?<strong>AC</strong>`).MatchString(body) || strings.Contains(pageText(body), "OK AC (ActiveCampaign)") {
			t.Errorf("%s says the ActiveCampaign connection is OK while no read works", path)
		}
	}
	health := pageText(html.UnescapeString(u.do("GET", "/health", nil).body))
	if !strings.Contains(health, "None to fix: the ones below wait for ActiveCampaign.") {
		t.Errorf("Health lists the outage as something to fix:\n%s", health)
	}

	// Once it answers again, the notices go.
	down.Store(false)
	eventually(t, "a read that works again", func() bool {
		a, err := u.env.Service.Automation(ctx, f.automation)
		return err == nil && a.LastSyncError == "" && a.SyncFailingSince.IsZero()
	})
	if body := u.do("GET", "/connections", nil).body; strings.Contains(body, "Waiting on ActiveCampaign") {
		t.Errorf("/connections still says Waiting on ActiveCampaign after a read worked")
	}
}

// TestBrowserListActiveCampaignOutage shows the Automations list in
// headless Chromium at 390 and 1280 pixels while ActiveCampaign does not
// answer: the row says "Waiting on ActiveCampaign" and when the read
// failed, and the page does not scroll sideways (issue 15, round 5, #5).
func TestBrowserListActiveCampaignOutage(t *testing.T) {
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("%s is missing: the browser tests need Debian's Chromium; run apt-get install -y chromium", chromium)
	}
	var down atomic.Bool
	u := newUITestWith(t, testenv.Options{WrapAC: func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if down.Load() {
				if hj, ok := w.(http.Hijacker); ok {
					if c, _, err := hj.Hijack(); err == nil {
						c.Close()
						return
					}
				}
			}
			next.ServeHTTP(w, r)
		})
	}}, false)
	f := u.fixture()
	u.activate(f)
	ctx := context.Background()
	eventually(t, "a read that works", func() bool {
		a, err := u.env.Service.Automation(ctx, f.automation)
		return err == nil && !a.LastSyncOKAt.IsZero()
	})
	down.Store(true)
	eventually(t, "a read that fails for the outage", func() bool {
		a, err := u.env.Service.Automation(ctx, f.automation)
		return err == nil && a.SyncOutage()
	})
	b := u.adminBrowser()
	dir := t.TempDir()
	if d := os.Getenv("AUTOCRED_SHOTS"); d != "" {
		dir = d
	}
	for _, width := range []int64{390, 1280} {
		b.run("the list at "+itoa(width), chromedp.EmulateViewport(width, 900), chromedp.Navigate(b.url+"/automations"),
			chromedp.WaitVisible(chromedp.CSS("tbody[data-region=automations] tr")), chromedp.Sleep(100*time.Millisecond))
		b.shot(dir, "list-acoutage", width)
		b.expectCount("tbody[data-region=automations]", "Waiting on ActiveCampaign", 1)
		b.expectCount("tbody[data-region=automations]", "Certifier", 0)
		b.expectJS(`document.documentElement.scrollWidth <= document.documentElement.clientWidth`, "the page does not scroll sideways at "+itoa(width)+"px")
		b.expectJS(`[...document.querySelectorAll(".table-wrap")].every(w => w.scrollWidth <= w.clientWidth)`, "the table fits its card at "+itoa(width)+"px")
	}
}

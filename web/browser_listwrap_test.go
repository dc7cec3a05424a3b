package web

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/service"
)

// TestBrowserListWraps shows the Automations list, in headless Chromium at
// 390 and 1280 pixels, with a row in each state that says more than its
// badge (Certifier not answering, a refused key, a deleted group) beside a
// healthy one with a long name: the page never scrolls sideways, no cell
// is cut, and a stopped row shows one badge, its word once, and the link
// that fixes it on a line of its own.
func TestBrowserListWraps(t *testing.T) {
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("%s is missing: the browser tests need Debian's Chromium; run apt-get install -y chromium", chromium)
	}
	u := newUITest(t)
	f := u.fixture()
	ctx := context.Background()
	u.activate(f)
	long := u.secondAutomation(f, "Course completion certificate for the spring cohort")
	must(t, u.env.Store.SetAutomationStatus(ctx, long, autocred.AutomationActive, ""))
	// Long names, as a course business writes them.
	wordy := autocred.Automation{Name: "Advanced bookkeeping for small practices: completion certificate", Trigger: autocred.Trigger{ConnectionID: f.acConn, SegmentID: "3",
		SegmentName: "Completed every module of Advanced Bookkeeping (2026 cohort, paid)"},
		Action: autocred.Action{ConnectionID: f.certConn, GroupID: f.group, GroupName: "Advanced Bookkeeping Certificate of Completion 2026",
			RecipientName: "{{contact.firstName}}", RecipientEmail: "{{contact.email}}", Issue: true}}
	must(t, u.env.Store.CreateAutomation(ctx, &wordy))
	must(t, u.env.Store.SetAutomationStatus(ctx, wordy.ID, autocred.AutomationActive, ""))
	gone := u.secondAutomation(f, "Workshop attendance badge")
	must(t, u.env.Store.SetAutomationStatus(ctx, gone, autocred.AutomationPaused, autocred.GroupMissingReason("Workshop badge 2025")))
	b := u.adminBrowser()
	// The screenshots are for looking at: AUTOCRED_SHOTS=dir keeps them.
	dir := t.TempDir()
	if d := os.Getenv("AUTOCRED_SHOTS"); d != "" {
		dir = d
	}
	// check looks at the list at both widths: nothing wider than the
	// page, no cell whose content is cut by its row or by the table.
	check := func(state string) {
		t.Helper()
		for _, width := range []int64{390, 1280} {
			b.run(state+" at "+itoa(width), chromedp.EmulateViewport(width, 900), chromedp.Navigate(b.url+"/automations"),
				chromedp.WaitVisible(chromedp.CSS("tbody[data-region=automations] tr")), chromedp.Sleep(100*time.Millisecond))
			b.shot(dir, "list-"+state, width)
			b.run("resize to "+itoa(width), chromedp.EmulateViewport(width, 900))
			b.eval(`window.__wide = [...document.querySelectorAll("tbody[data-region=automations] td, tbody[data-region=automations] td *")].filter(e => {
				const r = e.getBoundingClientRect(), card = document.querySelector("section.card").getBoundingClientRect();
				return !((r.width === 0 && r.height === 0) || (!(e instanceof HTMLElement) || e.scrollWidth <= e.clientWidth + 1) && r.right <= card.right + 1 && r.left >= card.left - 1) }).slice(0, 5).map(e => e.tagName + " " + e.innerHTML.slice(0, 60) + " " + e.scrollWidth + "/" + e.clientWidth).join("; ")`)
			if w, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`window.__wide`)); w != "" {
				t.Logf("cut or wider than the card at %d: %s", width, w)
			}
			b.expectJS(`document.documentElement.scrollWidth <= document.documentElement.clientWidth`,
				state+": the page does not scroll sideways at "+itoa(width)+"px")
			b.expectJS(`[...document.querySelectorAll(".table-wrap")].every(w => w.scrollWidth <= w.clientWidth)`,
				state+": the table fits its card at "+itoa(width)+"px")
			b.expectJS(`[...document.querySelectorAll("tbody[data-region=automations] td, tbody[data-region=automations] td *")].every(e => {
				const r = e.getBoundingClientRect(), card = document.querySelector("section.card").getBoundingClientRect();
				return (r.width === 0 && r.height === 0) || (!(e instanceof HTMLElement) || e.scrollWidth <= e.clientWidth + 1) && r.right <= card.right + 1 && r.left >= card.left - 1 })`,
				state+": no cell or text cut at "+itoa(width)+"px")
		}
		b.run("back to a desk", chromedp.EmulateViewport(1280, 900))
	}

	// Certifier not answering, and a deleted group.
	next := time.Now().UTC().Add(10 * time.Minute)
	if _, err := u.env.Store.UpdateCircuit(ctx, f.certConn, func(c *autocred.Circuit) bool {
		c.Open, c.Reason, c.FailingSince, c.NextProbe, c.Interval = true, autocred.CircuitOutage, time.Now(), next, time.Minute
		return true
	}); err != nil {
		t.Fatal(err)
	}
	check("outage")
	b.expectCount("tbody[data-region=automations]", "Waiting on Certifier", 3)
	gonerow := `[...document.querySelectorAll("tbody[data-region=automations] tr")].find(r => r.innerText.includes("Workshop attendance"))`
	b.expectJS(gonerow+`.querySelectorAll(".badge").length === 1`, "one badge on the row of the deleted group")

	// A refused key: every automation on the connection is broken.
	must(t, u.env.Store.SetConnectionStatus(ctx, f.acConn, autocred.ConnectionBroken, "ActiveCampaign refused the API key."))
	for _, id := range []int64{f.automation, long, wordy.ID} {
		must(t, u.env.Store.SetAutomationStatus(ctx, id, autocred.AutomationBroken, "ActiveCampaign refused the API key."))
	}
	check("broken")
	row := `document.querySelector("tbody[data-region=automations] tr")`
	b.expectJS(row+`.querySelectorAll("td[data-label=Status] .badge").length === 1`, "one badge on a broken row")
	b.expectCount("tbody[data-region=automations] tr td[data-label=Status]", "Broken", 1)
	b.expectJS(`(() => { const a = `+row+`.querySelector(".stopped-note a"), badge = `+row+`.querySelector(".badge");
		return a && a.getBoundingClientRect().top >= badge.getBoundingClientRect().bottom - 1 })()`, "the fix link on a line below the badge")
}

// TestBrowserRetryDoubleClick double-clicks Retry in an automation's runs
// filtered to the failed ones: the run is queued once, and the page comes
// back to the same filtered list saying "Retry queued.", no refusal.
func TestBrowserRetryDoubleClick(t *testing.T) {
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("%s is missing: the browser tests need Debian's Chromium; run apt-get install -y chromium", chromium)
	}
	u := newUITest(t)
	f := u.fixture()
	ctx := context.Background()
	u.activate(f)
	b := u.adminBrowser()
	auto := "/automations/" + itoa(f.automation)
	retry := `form[action="/runs/` + itoa(f.run) + `/retry"] button`
	b.run("the failed runs", chromedp.Navigate(b.url+auto+"?status=failed"), chromedp.WaitVisible(chromedp.CSS(retry)))
	b.run("double-click Retry", chromedp.DoubleClick(chromedp.CSS(retry)), chromedp.WaitVisible(chromedp.CSS(".flash")))
	b.expectText(".flash", "Retry queued.")
	b.expectJS(`!document.querySelector(".alert")`, "no refusal after a double click")
	b.expectJS(`location.pathname === "`+auto+`" && new URLSearchParams(location.search).get("status") === "failed"`, "back to the list filtered as it was")
	r, err := u.env.Service.Run(ctx, f.run)
	must(t, err)
	n := 0
	for _, e := range r.Events {
		if strings.HasPrefix(e.Message, "Retry requested by") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("a double click logged %d retries, want 1", n)
	}
}

// TestBrowserTwinActivateKeepsItsPlace opens a draft with a very long name
// that needs "I want two credentials per entry" beside Activate, at 390
// and 1280 pixels: Activate stays in the row of Edit and Delete, and the
// box is on a line of its own under them (tester 4, finding 11: the box
// pushed Activate below it, away from Edit and Delete).
func TestBrowserTwinActivateKeepsItsPlace(t *testing.T) {
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("%s is missing: the browser tests need Debian's Chromium; run apt-get install -y chromium", chromium)
	}
	u := newUITest(t)
	f := u.fixture()
	ctx := context.Background()
	u.activate(f)
	twin, err := u.env.Service.CreateAutomation(ctx, service.AutomationInput{Name: "VIP " + strings.Repeat("very long name ", 12),
		Trigger:        autocred.Trigger{ConnectionID: f.acConn, SegmentID: f.segment},
		Action:         autocred.Action{ConnectionID: f.certConn, GroupID: f.group, RecipientName: "{{contact.firstName}}", RecipientEmail: "{{contact.email}}", Issue: true, Send: true},
		AllowDuplicate: true})
	must(t, err)
	b := u.adminBrowser()
	dir := t.TempDir()
	if d := os.Getenv("AUTOCRED_SHOTS"); d != "" {
		dir = d
	}
	for _, width := range []int64{390, 1280} {
		b.run("the twin draft at "+itoa(width), chromedp.EmulateViewport(width, 900), chromedp.Navigate(b.url+"/automations/"+itoa(twin.ID)),
			chromedp.WaitVisible(chromedp.CSS(".page-head .actions button.primary")))
		b.shot(dir, "twin-activate", width)
		b.run("back to "+itoa(width), chromedp.EmulateViewport(width, 900), chromedp.Sleep(100*time.Millisecond))
		// The middle of each button, to the pixel or two a border makes.
		mid := `(sel => { const r = document.querySelector(".page-head .actions " + sel).getBoundingClientRect(); return (r.top + r.bottom) / 2 })`
		b.expectJS(`Math.abs(`+mid+`("button.primary") - `+mid+`("a.button")) <= 3 && Math.abs(`+mid+`("a.button") - `+mid+`("button.danger")) <= 3`,
			"Activate, Edit and Delete on one row at "+itoa(width)+"px")
		b.expectJS(`document.querySelector(".page-head .actions .switch").getBoundingClientRect().top >= document.querySelector(".page-head .actions button.primary").getBoundingClientRect().bottom - 1`,
			"the two-credentials box under the buttons at "+itoa(width)+"px")
		b.expectJS(`document.documentElement.scrollWidth <= document.documentElement.clientWidth`, "no sideways scroll at "+itoa(width)+"px")
	}
}

// TestBrowserDaysAndBannersTellTheTruth opens, in a Los Angeles browser
// that has never been here, a shared link with entered days and no zone:
// the page reloads itself once with the browser's zone, finds the run of
// that Los Angeles day and says the zone (tester 4, finding 7). Then a
// Retry's "Retry queued." is shown, and leaves the address, so that a
// reload does not say it again (finding 9).
func TestBrowserDaysAndBannersTellTheTruth(t *testing.T) {
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("%s is missing: the browser tests need Debian's Chromium; run apt-get install -y chromium", chromium)
	}
	u := newUITest(t)
	f := u.fixture()
	// 02:20 UTC on 11 March is 19:20 on 10 March in Los Angeles.
	u.addRun(f.automation, 7, "Grace", "Hopper", "grace@navy.example", autocred.RunIssued, time.Date(2026, 3, 11, 2, 20, 0, 0, time.UTC))
	b := u.adminBrowser()
	b.inZone("America/Los_Angeles")
	auto := b.url + "/automations/" + itoa(f.automation)
	b.run("a shared link without a zone", chromedp.Navigate(auto+"?from=2026-03-10&to=2026-03-10"))
	b.waitJS(`location.search.indexOf("tz=America%2FLos_Angeles") >= 0 && document.querySelector(".days-zone") !== null`)
	b.expectText(".days-zone", "Entered days are read in America/Los_Angeles")
	b.expectText("[data-region=total]", "1 run matches the filter.")
	dir := t.TempDir()
	if d := os.Getenv("AUTOCRED_SHOTS"); d != "" {
		dir = d
	}
	b.shot(dir, "days-zone", 1280)

	b.run("retry the failed run", chromedp.Navigate(auto), chromedp.WaitVisible(chromedp.CSS("form[action$='/retry'] button")),
		chromedp.Click(chromedp.CSS("form[action$='/retry'] button")))
	b.waitJS(`document.querySelector(".flash") && document.querySelector(".flash").innerText.includes("Retry queued.")`)
	b.waitJS(`location.search.indexOf("done=") < 0 && location.search.indexOf("at=") < 0`)
	b.run("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("h1")))
	b.expectJS(`document.querySelector(".flash") === null`, "no Retry queued. after a reload")
}

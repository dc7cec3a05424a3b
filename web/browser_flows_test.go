package web

import (
	"context"
	"encoding/csv"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/testenv"
	simac "github.com/autocred/autocred/sim/activecampaign"
	simcert "github.com/autocred/autocred/sim/certifier"
	"github.com/autocred/autocred/store/storetest"
)

// The flows of issue 15 that TestBrowserStory plays after its screenshots,
// in its browser session.

// pagedRuns is how many runs the paged automation holds: three pages.
const pagedRuns = 120

// pagedEntered is when run i of the paged automation entered: every 5
// minutes from 12:05 UTC on 10 March 2026. From i = 36 (15:00 UTC) they
// are on 11 March in Tokyo, the browser's zone.
func pagedEntered(i int) time.Time {
	return time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC).Add(time.Duration(i) * 5 * time.Minute)
}

// rosa is the one run of the paged automation with a name to find: number
// 96, entered at 20:00 UTC (05:00 on 11 March in Tokyo), waiting on
// Certifier.
const rosa = 96

// seedPaged stores a second automation (a draft: nothing works its runs)
// with pagedRuns runs named "Person i", Rosa Kim's among them.
func (s *story) seedPaged() {
	ctx := context.Background()
	first, err := s.env.Store.Automation(ctx, s.first)
	must(s.t, err)
	a := autocred.Automation{Name: "Webinar certificates", Trigger: first.Trigger, Action: first.Action}
	must(s.t, s.env.Store.CreateAutomation(ctx, &a))
	s.paged = a.ID
	runs := make([]*autocred.Run, 0, pagedRuns)
	for i := 1; i <= pagedRuns; i++ {
		first, last, email := "Person", strconv.Itoa(i), "p"+strconv.Itoa(i)+"@example.com"
		r := &autocred.Run{AutomationID: a.ID, ContactID: autocred.ContactID(1000 + i), Entry: 1, Status: autocred.RunIssued, CreatedAt: pagedEntered(i)}
		if i == rosa {
			first, last, email = "Rosa", "Kim", "rosa@example.com"
			r.Status, r.ErrorCode = autocred.RunPending, autocred.RunCodeRetrying
			r.LastError = "Certifier did not answer (503 Service Unavailable)."
		}
		r.Email, r.Contact = email, autocred.Contact{ID: r.ContactID, Email: email, FirstName: first, LastName: last}
		runs = append(runs, r)
	}
	must(s.t, storetest.InsertRuns(ctx, s.env.Store, runs))
	// Her log: Certifier did not answer three times, from 20:00 to 20:10
	// UTC (05:00 to 05:10 on 11 March in Tokyo).
	wait := autocred.WaitLine{What: "Certifier did not answer (503 Service Unavailable)", Times: 3, First: pagedEntered(rosa), Last: pagedEntered(rosa).Add(10 * time.Minute)}
	must(s.t, s.env.Store.AddRunEvent(ctx, runs[rosa-1].ID, wait.Message()))
}

// pagingBothWays goes past the first 50 runs and back, by the links.
func (s *story) pagingBothWays() {
	s.seedPaged()
	b := s.b
	rows := `[...document.querySelectorAll("[data-region=runs] td[data-label=Contact] strong")].map(e => e.textContent)`
	page := func(first, last string) {
		b.t.Helper()
		b.waitJS(`(() => { const r = ` + rows + `; return r.length === 50 || r.length === 20 })()`)
		b.expectJS(`(() => { const r = `+rows+`; return r[0] === "`+first+`" && r[r.length-1] === "`+last+`" })()`,
			"the page's runs to go from "+first+" to "+last)
	}
	b.run("the paged automation", chromedp.Navigate(b.url+"/automations/"+itoa(s.paged)), chromedp.WaitVisible(chromedp.CSS("nav.pager")))
	page("Person 120", "Person 71")
	b.expectText("[data-region=total]", "120 runs in all. Newest first, 50 a page.")
	b.run("older", chromedp.Click(chromedp.CSS("nav.pager a[rel=next]")), chromedp.WaitVisible(chromedp.CSS("nav.pager a[rel=prev]")))
	page("Person 70", "Person 21")
	b.run("older again", chromedp.Click(chromedp.CSS("nav.pager a[rel=next]")), chromedp.WaitNotPresent(chromedp.CSS("nav.pager a[rel=next]")))
	page("Person 20", "Person 1")
	b.run("newer", chromedp.Click(chromedp.CSS("nav.pager a[rel=prev]")), chromedp.WaitVisible(chromedp.CSS("nav.pager a[rel=next]")))
	page("Person 70", "Person 21")
	b.run("newest", chromedp.Click(`//nav[@class="pager"]//a[contains(., "Newest")]`), chromedp.WaitNotPresent(chromedp.CSS("nav.pager a[rel=prev]")))
	page("Person 120", "Person 71")
	b.waitJS(`location.search === ""`)
}

// findAPerson searches the runs by name: one row, its time in the
// browser's zone (UTC on hover), its details readable on a phone; then
// filters by a day of the browser's zone.
func (s *story) findAPerson() {
	b := s.b
	b.run("search for Rosa",
		chromedp.SetValue(chromedp.CSS("#q"), "rosa kim"),
		chromedp.Click(chromedp.CSS("form.filters button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("form.filters a[href$='/automations/"+itoa(s.paged)+"']")))
	b.expectText("[data-region=total]", "1 run matches the filter.")
	b.expectText("[data-region=runs]", "Rosa Kim")
	b.expectText("[data-region=runs]", "rosa@example.com")
	b.expectText("td[data-label=Entered] time", "Mar 11, 2026")
	b.expectText("td[data-label=Entered] time", "05:00")
	b.expectText("td[data-label=Entered] time", "GMT+9")
	b.waitJS(`document.querySelector("td[data-label=Entered] time").title === "2026-03-10 20:00:00 UTC"`)
	// At a phone's width, her run's details (a wait, its cause and its
	// code) read as one text beside the label, not as narrow columns.
	b.run("her run on a phone", chromedp.EmulateViewport(390, 900), chromedp.WaitVisible(chromedp.CSS("td[data-label=Details] .wait-text")))
	b.expectJS(`(() => {
		const td = document.querySelector("td[data-label=Details]");
		return [...td.children].every(c => c.getBoundingClientRect().width >= 150);
	})()`, "the details at 390 px are one block at least 150 px wide")
	b.expectJS(`(() => {
		const code = document.querySelector("td[data-label=Details] code");
		return code.getBoundingClientRect().height < 2 * code.getBoundingClientRect().width / code.textContent.length + 30;
	})()`, "the error code on one line")
	b.run("back to a desk", chromedp.EmulateViewport(1280, 900))

	// Her run's log: the times inside a line are Tokyo's too (the
	// server writes them in UTC), UTC on hover.
	b.run("her run", chromedp.Click(chromedp.CSS("td[data-label=Run] a")), chromedp.WaitVisible(chromedp.CSS(".log")))
	b.expectJS(`(() => {
		const ts = [...document.querySelectorAll(".log li time[data-clock]")];
		return ts.length === 2 && ts[0].textContent.includes("Mar 11") && ts[0].textContent.includes("05:00") &&
			ts[1].textContent.includes("05:10") && ts.every(t => t.textContent.includes("GMT+9")) && ts[0].title === "2026-03-10 20:00:00 UTC";
	})()`, "the times inside her log line in Tokyo (Mar 11, 05:00 and 05:10), its zone said as the tables say it, UTC on hover")
	b.expectText(".log", "Certifier did not answer (503 Service Unavailable), 3 times between")

	// The entry days of the filter are Tokyo's.
	b.run("filter by Tokyo's day",
		chromedp.Navigate(b.url+"/automations/"+itoa(s.paged)),
		chromedp.WaitVisible(chromedp.CSS("#from")),
		chromedp.SetValue(chromedp.CSS("#from"), "2026-03-11"),
		chromedp.SetValue(chromedp.CSS("#to"), "2026-03-11"),
		chromedp.Click(chromedp.CSS("form.filters button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("form.filters a[href$='/automations/"+itoa(s.paged)+"']")))
	b.waitJS(`location.search.indexOf("tz=Asia%2FTokyo") >= 0`)
	b.expectText("[data-region=total]", strconv.Itoa(pagedRuns-35)+" runs match the filter.")
	// And so are the chart's days, as it says.
	b.waitJS(`document.querySelector(".runs-chart figcaption").innerText.includes("days in Asia/Tokyo, as the times on this page")`)
}

// findAcrossAutomations searches every automation from the box at the
// top of a page: Rosa Kim, last name first, is found in the paged
// automation and in a third one she also entered, each row naming its
// automation with its time in the browser's zone; her row leads to her
// run. The page is saved as a screenshot, at both widths.
func (s *story) findAcrossAutomations() {
	b, ctx := s.b, context.Background()
	first, err := s.env.Store.Automation(ctx, s.first)
	must(s.t, err)
	workshop := autocred.Automation{Name: "Workshop badges", Trigger: first.Trigger, Action: first.Action}
	must(s.t, s.env.Store.CreateAutomation(ctx, &workshop))
	badge := &autocred.Run{AutomationID: workshop.ID, ContactID: 1000 + rosa, Entry: 1, Status: autocred.RunIssued, CreatedAt: pagedEntered(rosa).Add(24 * time.Hour),
		Email: "rosa@example.com", Contact: autocred.Contact{ID: 1000 + rosa, Email: "rosa@example.com", FirstName: "Rosa", LastName: "Kim"}}
	must(s.t, storetest.InsertRuns(ctx, s.env.Store, []*autocred.Run{badge}))

	b.run("search every automation from the top",
		chromedp.Navigate(b.url+"/automations/"+itoa(s.first)),
		chromedp.WaitVisible(chromedp.CSS("header form.find #find")),
		chromedp.SendKeys(chromedp.CSS("#find"), "kim rosa\n"),
		chromedp.WaitVisible(chromedp.CSS("td[data-label=Automation]")))
	b.waitJS(`location.pathname === "/runs" && new URLSearchParams(location.search).get("q") === "kim rosa"`)
	b.expectText("[data-region=total]", "2 runs match the filter, in every automation.")
	b.expectValue("#q", "kim rosa")
	b.expectJS(`(() => {
		const rows = [...document.querySelectorAll("[data-region=runs] tr")];
		return rows.length === 2 && rows.every(r => r.querySelector("td[data-label=Contact]").innerText.includes("Rosa Kim"))
			&& rows[0].querySelector("td[data-label=Automation]").innerText === "Workshop badges"
			&& rows[1].querySelector("td[data-label=Automation]").innerText === "Webinar certificates";
	})()`, "her two runs, newest first, each naming its automation")
	// 20:00 UTC on 10 March, her webinar run, is 05:00 on 11 March in Tokyo.
	b.expectJS(`(() => {
		const t = document.querySelectorAll("[data-region=runs] td[data-label=Entered] time")[1];
		return t.innerText.includes("Mar 11, 2026") && t.innerText.includes("05:00") && t.title === "2026-03-10 20:00:00 UTC";
	})()`, "the webinar run's time in the browser's zone, UTC on hover")
	b.run("her webinar run", chromedp.Click(`//tr[td[@data-label="Automation"][contains(., "Webinar")]]//a[starts-with(@href, "/runs/")]`),
		chromedp.WaitVisible(chromedp.CSS("[data-region=run]")))
	b.expectText("main", "Rosa Kim")
	b.expectText(".crumbs", "Webinar certificates")

	// The search in the browser's zone would put Tokyo's days in the
	// screenshot: it is taken in the server's.
	b.inZone("UTC")
	b.run("the search again", chromedp.Navigate(b.url+"/runs?q=kim+rosa"), chromedp.WaitVisible(chromedp.CSS("td[data-label=Automation]")))
	b.shot(s.shots, "search", 1280)
	b.shot(s.shots, "search", 390)
}

// exportWhatTheFilterShows downloads the CSV of the filter on screen (the
// Tokyo day of findAPerson): a file of exactly the runs that match, its
// times in the browser's zone, named in the header.
func (s *story) exportWhatTheFilterShows() {
	b := s.b
	body := b.download("a[data-browser-zone-link]")
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		s.t.Fatalf("the downloaded CSV: %v\n%.500s", err, body)
	}
	if want := pagedRuns - 35 + 1; len(rows) != want {
		s.t.Errorf("the download has %d rows, want the header and the %d runs the filter shows", len(rows), want-1)
	}
	if len(rows) == 0 || rows[0][1] != "entered_at (Asia/Tokyo)" {
		s.t.Fatalf("the download's header: %q, want entered_at in the browser's zone", rows)
	}
	for _, r := range rows[1:] {
		if !strings.HasPrefix(r[1], "2026-03-11T") || !strings.HasSuffix(r[1], "+09:00") {
			s.t.Errorf("a run entered at %q, want a time of 11 March in Tokyo", r[1])
			break
		}
	}
}

// resendEveryUnconfirmedEmail marks two issued runs "Issued, send
// unconfirmed", as a lost answer leaves them (the API's test plays the
// lost answers themselves: here the page is what is checked); the
// automation's page says so once and resends both emails with one button.
func (s *story) resendEveryUnconfirmedEmail() {
	b, env := s.b, s.env
	ctx := context.Background()
	for _, email := range []string{"ada@example.com", "barbara@example.com"} {
		runs, _, err := env.Store.Runs(ctx, autocred.RunFilter{AutomationID: s.first, Contact: email})
		must(s.t, err)
		r := runs[0]
		r.Status = autocred.RunSendUnconfirmed
		must(s.t, env.Store.SaveRun(ctx, &r))
	}
	auto := b.url + "/automations/" + itoa(s.first)
	b.run("the automation", chromedp.Navigate(auto), chromedp.WaitVisible(chromedp.CSS("[data-region=runs]")))
	b.expectText("[data-region=unconfirmed]", "2 emails may not have gone out.")
	b.expectCount("main", "may not have gone out", 1)
	b.shot(s.shots, "automation-unconfirmed", 1280)
	b.eval(`window.confirm = () => true`)
	b.run("resend to all", chromedp.Click(`//button[contains(., "Resend email to all 2")]`), chromedp.WaitVisible(chromedp.CSS(".flash")))
	b.expectText(".flash", "The emails are being resent")
	b.waitReload(auto, `document.querySelector("[data-region=unconfirmed]").innerText.trim() === "" && document.querySelectorAll("[data-region=runs] .run-send_unconfirmed").length === 0`)
	for _, email := range []string{"ada@example.com", "barbara@example.com"} {
		n := 0
		for _, e := range env.Certifier.Outbox(testenv.CertWorkspace) {
			if e.To == email {
				n++
			}
		}
		if n != 2 {
			s.t.Errorf("%d emails to %s, want 2: the first and the one resent", n, email)
		}
	}
}

// phonePass reads the main pages at a phone's width: nothing wider than
// the screen, charts with readable labels.
func (s *story) phonePass() {
	b := s.b
	for _, p := range []struct{ path, ready string }{
		{"/automations", "svg.chart"},
		{"/automations/" + itoa(s.first), "[data-region=runs]"},
		{"/runs?q=kim", "[data-region=runs]"},
		{"/automations/" + itoa(s.paged) + "?after=" + strconv.Itoa(int(s.firstPagedID())+pagedRuns-50), "nav.pager"},
		{"/runs/" + strconv.Itoa(int(s.firstPagedID())+rosa-1), "[data-region=run]"},
		{"/connections", "#ac-name"},
		{"/automations/new", ".segment-list"},
		{"/health", "[data-region=health]"},
	} {
		b.run(p.path+" on a phone", chromedp.EmulateViewport(390, 900), chromedp.Navigate(b.url+p.path), chromedp.WaitVisible(p.ready))
		b.expectJS(`document.documentElement.scrollWidth <= 390`, p.path+" no wider than the phone's 390 px")
		b.expectReadableCharts(390)
		if p.path == "/automations" {
			s.tapABar()
		}
	}
	b.run("back to a desk", chromedp.EmulateViewport(1280, 900))
}

// tapABar taps today's bar of the first chart of the list, on a phone
// where nothing hovers: its numbers are written under the chart, as the
// list's key says. Last sync has its time in UTC on hover.
func (s *story) tapABar() {
	b := s.b
	b.expectText(".chart-key", "Tap a bar")
	b.eval(`document.querySelector("svg.chart g:last-of-type rect").dispatchEvent(new MouseEvent("click", {bubbles: true}))`)
	tip := `document.querySelector(".chart-tip") && /: \d+ issued/.test(document.querySelector(".chart-tip").textContent)`
	b.waitJS(tip)
	// The live refresh redraws the rows (at once for a page it had not
	// drawn yet, 2 s after loading): the numbers stay.
	b.run("a live refresh", chromedp.Sleep(3*time.Second))
	b.expectJS(tip, "the tapped bar's numbers still shown after the live refresh")
	b.expectJS(`document.querySelector("td[data-label='Last sync'] time[data-ago]").title.endsWith(" UTC")`, "Last sync's time in UTC on hover")
}

// firstPagedID is the id of the paged automation's oldest run.
func (s *story) firstPagedID() int64 {
	runs, _, err := s.env.Store.Runs(context.Background(), autocred.RunFilter{AutomationID: s.paged, Before: 1, Limit: 1})
	must(s.t, err)
	return runs[0].ID
}

// reconnect breaks the ActiveCampaign key: the automation says so once and
// links to Reconnect. A contact enters while it is stopped. Reconnecting
// there with the new key leaves it paused, no longer "Broken", with Resume
// set to catch up; resuming so makes it active again, and the contact who
// entered meanwhile gets a credential.
func (s *story) reconnect() {
	b, env := s.b, s.env
	const newKey = "ac-key-regenerated-000000"
	must(s.t, env.AC.SetAPIKey(testenv.ACAccount, newKey))
	auto := b.url + "/automations/" + itoa(s.first)
	b.waitReload(auto, `document.querySelector("[data-region=summary] a.button.primary[href^='/connections?reconnect=']")`)
	b.expectText("[data-region=summary]", "Reconnect Acme ActiveCampaign")
	s.brokenConnectionReads()
	b.run("back to the automation", chromedp.Navigate(auto), chromedp.WaitVisible(chromedp.CSS("[data-region=summary] a.button.primary")))
	must(s.t, importContacts(env, []simac.ContactInput{{Email: "lin@example.com", FirstName: "Lin", LastName: "Meyer", Tags: []string{"course-done"},
		Fields: map[string]string{"EXPIRES": "2030-12-31", "COURSE": "Type Theory"}}}))
	b.run("follow Reconnect", chromedp.Click(chromedp.CSS("[data-region=summary] a.button.primary")), chromedp.WaitVisible(chromedp.CSS("#ac-key")))
	b.expectText("#connect-activecampaign h2", "Reconnect Acme ActiveCampaign")
	b.run("reconnect",
		chromedp.SetValue(chromedp.CSS("#ac-key"), newKey),
		chromedp.Click(chromedp.CSS("#connect-activecampaign button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(".flash")))
	b.expectText(".flash", "Reconnected")
	b.run("the reconnected automation", chromedp.Navigate(auto), chromedp.WaitVisible(chromedp.CSS(`form[action$="/resume"] button`)))
	b.expectText(".summary .badge", "Paused")
	b.expectJS(`document.querySelector("input[name=catch_up][value=yes]").checked`, "Resume set to catch up after a reconnect")
	b.run("resume", chromedp.Click(chromedp.CSS(`form[action$="/resume"] button`)), chromedp.WaitVisible(chromedp.CSS(".flash")))
	b.waitReload(auto, `document.querySelector(".summary .badge").textContent === "Active"`)
	b.expectJS(`!document.querySelector("[data-region=summary]").innerText.includes("stopped working")`, "the automation no longer says its key was refused")
	b.waitReload(auto, `[...document.querySelectorAll("[data-region=runs] tr")].some(tr => tr.innerText.includes("lin@example.com") && tr.querySelector(".run-issued"))`)
}

// groupGone deletes the automation's group in Certifier while a contact
// enters: the automation says so once, its run just says that it waits for
// the group, and neither Retry nor Resume is offered, only the fix.
// Choosing another group under Edit issues the waiting run.
func (s *story) groupGone() {
	b, env := s.b, s.env
	other, err := env.Certifier.AddGroup(testenv.CertWorkspace, simcert.GroupInput{Name: "Course certificate 2027"})
	must(s.t, err)
	req, err := http.NewRequest("DELETE", env.CertifierURL+"/groups/"+s.groupID, nil)
	must(s.t, err)
	req.Header.Set("Authorization", "Bearer "+testenv.CertifierToken)
	req.Header.Set("Certifier-Version", "2022-10-26")
	resp, err := http.DefaultClient.Do(req)
	must(s.t, err)
	resp.Body.Close()
	must(s.t, importContacts(env, []simac.ContactInput{{Email: "kay@example.com", FirstName: "Kay", LastName: "Ito", Tags: []string{"course-done"},
		Fields: map[string]string{"EXPIRES": "2030-12-31", "COURSE": "Logic"}}}))
	auto := b.url + "/automations/" + itoa(s.first)
	b.waitReload(auto, `document.querySelector("[data-region=summary]").innerText.includes("no longer exists")`)
	b.expectText(".summary .badge", "Paused")
	b.expectCount("main", "no longer exists", 1)
	b.expectCount("main", "Paused", 1)
	kay := `[...document.querySelectorAll("[data-region=runs] tr")].find(tr => tr.innerText.includes("kay@example.com"))`
	b.waitReload(auto, kay+` && `+kay+`.innerText.includes("Waiting for the automation's group")`)
	b.expectJS(`!document.querySelector("[data-region=runs] form[action$='/retry']") && !document.querySelector("form[action$='/resume']")`,
		"no Retry and no Resume while the automation has no group")
	b.run("choose another group", chromedp.Click(`//a[contains(., "Choose another group")]`), chromedp.WaitVisible(chromedp.CSS("#group")))
	b.run("save with it",
		chromedp.SetValue(chromedp.CSS("#group"), other.ID),
		chromedp.Click(chromedp.CSS("#step-action .step-nav button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(".flash")))
	b.waitReload(auto, `document.querySelector(".summary .badge").textContent === "Active" && `+kay+`.querySelector(".run-issued")`)
}

// brokenConnectionReads checks the Connections page with a broken
// connection, at a desk and on a phone: the refused key said in words with
// where to find a new one, a Reconnect button, and the API URL on one line
// at a desk (the reason is a row of its own, not a cell that squeezes the
// URL to a few letters a line), within the screen on a phone.
func (s *story) brokenConnectionReads() {
	// urlLines is the most lines an API URL takes: the distinct tops of
	// its text's boxes.
	const urlLines = `Math.max(...[...document.querySelectorAll("td.url .cell")].map(c => {
		const r = document.createRange();
		r.selectNodeContents(c);
		return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size;
	}))`
	b := s.b
	b.run("connections with a broken one", chromedp.Navigate(b.url+"/connections"), chromedp.WaitVisible(chromedp.CSS("tr.detail")))
	b.expectText("tr.detail", "ActiveCampaign refused the API key")
	b.expectText("tr.detail", "Settings → Developer → API Access")
	b.expectJS(`!/\b40[13]\b|Unauthorized/.test(document.querySelector("table").innerText)`, "no status code in the words about the key")
	b.expectJS(`[...document.querySelectorAll("tr.has-detail a.button")].some(a => a.textContent === "Reconnect")`, "a Reconnect button on the broken connection's row")
	b.expectJS(urlLines+` <= 1`, "each API URL on one line at 1280 px")
	b.expectJS(`[...document.querySelectorAll(".table-wrap")].every(w => w.scrollWidth <= w.clientWidth)`, "the connections' table within its card at 1280 px")
	b.run("on a phone", chromedp.EmulateViewport(390, 900), chromedp.Navigate(b.url+"/connections"), chromedp.WaitVisible(chromedp.CSS("tr.detail")))
	b.expectJS(`document.documentElement.scrollWidth <= 390`, "the Connections page no wider than the phone's 390 px")
	b.expectJS(`[...document.querySelectorAll(".table-wrap")].every(w => w.scrollWidth <= w.clientWidth)`, "the connections' table within its card, nothing cut off on its right")
	b.expectJS(urlLines+` <= 2`, "each API URL on at most two lines at 390 px")
	b.run("back to a desk", chromedp.EmulateViewport(1280, 900))
}

// inZone moves the browser to a time zone (IANA name), as if its computer
// were there; the page's script reads it when a page loads.
func (b *browser) inZone(zone string) {
	b.t.Helper()
	if _, err := chromedp.Call(b.ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: zone}); err != nil {
		b.t.Fatalf("moving the browser to %s: %v", zone, err)
	}
}

// waitReload loads a page until a JavaScript expression is true of it:
// for a state the server reaches by itself, faster than waiting for the
// page's live refresh (every 2 s), which the story checks elsewhere.
func (b *browser) waitReload(url, expr string) {
	b.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		b.run("load "+url, chromedp.Navigate(url))
		if ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`Boolean(`+expr+`)`)); err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("waited 60s for %s at %s; the page shows:\n%.2000s", expr, url, b.mainText())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// expectReadableCharts checks that every chart shown has labels of 11 px
// or more as rendered (a chart drawn to fill its box is scaled).
func (b *browser) expectReadableCharts(width int) {
	b.t.Helper()
	b.expectJS(`(() => {
		const shown = [...document.querySelectorAll("svg.chart")].filter(s => s.getBoundingClientRect().width > 0);
		return shown.every(s => {
			const k = s.getBoundingClientRect().width / s.viewBox.baseVal.width;
			return [...s.querySelectorAll("text")].every(t => parseFloat(t.getAttribute("font-size")) * k >= 11);
		});
	})()`, "chart labels of 11 px or more at "+strconv.Itoa(width)+" px")
}

// download clicks a link and returns the file the browser saved.
func (b *browser) download(sel string) string {
	b.t.Helper()
	dir := b.t.TempDir()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	progress := chromedp.Events(ctx, cdpbrowser.DownloadProgress)
	if _, err := chromedp.Call(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: new(true)}); err != nil {
		b.t.Fatalf("allowing downloads: %v", err)
	}
	b.run("download", chromedp.Click(chromedp.CSS(sel)))
	for ev, err := range progress {
		if err != nil {
			b.t.Fatalf("waiting for the download: %v", err)
		}
		if ev.State == cdpbrowser.DownloadProgressStateCompleted {
			body, err := os.ReadFile(filepath.Join(dir, ev.GUID))
			must(b.t, err)
			return string(body)
		}
	}
	b.t.Fatalf("no download within 30 s: %v", ctx.Err())
	return ""
}

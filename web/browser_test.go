package web

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/autocred/autocred/internal/testenv"
	simac "github.com/autocred/autocred/sim/activecampaign"
	simcert "github.com/autocred/autocred/sim/certifier"
)

const chromium = "/usr/bin/chromium"

// TestBrowserStory plays the operator's day in headless Chromium over real
// HTTP, in one browser session (each Chromium start costs seconds): sign
// in, connect both sandboxes (refused once on a wrong key), create the
// automation through the form with the token picker (refused once on a bad
// date mapping), activate, move contacts into the segment, see the runs
// issued and one failed, read the failed run, fix its cause in the
// sandbox, retry it from the UI and see it issued, resend its email. It
// saves a screenshot of each main page to docs/screenshots, at 1280 and
// 390 pixels. Then the flows of issue 15, each a step below: paging past
// 50 runs and back, finding a person (in an automation, then in every
// automation from the box at the top), downloading what a filter shows,
// resending every unconfirmed email, a phone-width pass over the main
// pages, reconnecting a broken automation (and catching up on who entered
// meanwhile), and choosing another group for one whose group was deleted.
// For the search and the download the browser is moved to Tokyo, so that
// times and days in the browser's zone differ from the server's (UTC); the screenshots are taken
// in the server's zone, where the chart's days and the runs' times agree.
func TestBrowserStory(t *testing.T) {
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("%s is missing: the browser tests need Debian's Chromium; run apt-get install -y chromium", chromium)
	}
	s := newStory(t)
	s.setUp()
	s.connect()
	s.createAutomation()
	s.issueAndRetry()
	s.listAndHealth()
	s.phoneScreenshots()

	s.b.inZone("Asia/Tokyo")
	s.pagingBothWays()
	s.findAPerson()
	s.exportWhatTheFilterShows()
	s.findAcrossAutomations()
	s.b.inZone("UTC")
	s.resendEveryUnconfirmedEmail()
	s.phonePass()
	s.reconnect()
	s.groupGone()
}

// story is the browser session of TestBrowserStory and what it made.
type story struct {
	t       *testing.T
	env     *testenv.Env
	b       *browser
	shots   string
	groupID string
	first   int64 // the automation made through the form
	paged   int64 // an automation with 120 runs, for paging and search
}

func newStory(t *testing.T) *story {
	// Segments are read every second: often enough for a quick story, and
	// the automation's settings then say "checked every second".
	env := testenv.New(t, testenv.Options{PollInterval: time.Second})
	srv := httptest.NewServer(New(Config{Service: env.Service, Auth: env.Auth, Metrics: env.Metrics}))
	t.Cleanup(srv.Close)
	s := &story{t: t, env: env, b: newBrowser(t, srv.URL, chromedp.Env("TZ=UTC")), shots: filepath.Join("..", "docs", "screenshots")}
	must(t, os.MkdirAll(s.shots, 0o755))
	return s
}

// setUp fills the sandboxes: two contacts already in the segment, the
// segments, the group and its custom attribute, and the admin.
func (s *story) setUp() {
	t, env := s.t, s.env
	baseline := []simac.ContactInput{
		{Email: "grace@example.com", FirstName: "Grace", LastName: "Hopper", Tags: []string{"course-done"}, Fields: map[string]string{"EXPIRES": "2031-06-30", "COURSE": "Compilers"}},
		{Email: "alan@example.com", FirstName: "Alan", LastName: "Turing", Tags: []string{"course-done"}, Fields: map[string]string{"EXPIRES": "2031-06-30", "COURSE": "Computability"}},
	}
	must(t, importContacts(env, baseline))
	_, err := env.AC.DefineSegment(testenv.ACAccount, simac.SegmentDef{Name: "Course Completers", Conditions: []simac.Condition{{Type: "tag", Op: "has", Value: "course-done"}}})
	must(t, err)
	for _, name := range []string{"VIP Members", "Newsletter", "Webinar Attendees"} {
		_, err := env.AC.DefineSegment(testenv.ACAccount, simac.SegmentDef{Name: name, Conditions: []simac.Condition{{Type: "tag", Op: "has", Value: name}}})
		must(t, err)
	}
	group, err := env.Certifier.AddGroup(testenv.CertWorkspace, simcert.GroupInput{Name: "Course certificate"})
	must(t, err)
	s.groupID = group.ID
	must(t, env.Certifier.AddAttribute(testenv.CertWorkspace, "custom.course_name", "Course Name"))
	_, err = env.Store.CreateUser(context.Background(), adminEmail, adminPassword)
	must(t, err)
}

// connect signs in and connects both sandboxes, ActiveCampaign refused
// once on a wrong key.
func (s *story) connect() {
	b, env := s.b, s.env
	b.run("open sign-in", chromedp.Navigate(b.url+"/signin"), chromedp.WaitVisible(chromedp.CSS("#email")))
	b.shot(s.shots, "signin", 390)
	b.shot(s.shots, "signin", 1280)
	b.run("sign in",
		chromedp.SetValue(chromedp.CSS("#email"), adminEmail),
		chromedp.SetValue(chromedp.CSS("#password"), adminPassword),
		chromedp.Click(chromedp.CSS("button.primary")),
		chromedp.WaitVisible(chromedp.CSS("a.button.primary[href='/automations/new']")))
	b.run("wrong ActiveCampaign key",
		chromedp.Navigate(b.url+"/connections"),
		chromedp.SetValue(chromedp.CSS("#ac-name"), "Acme ActiveCampaign"),
		chromedp.SetValue(chromedp.CSS("#ac-url"), env.ACURL),
		chromedp.SetValue(chromedp.CSS("#ac-key"), "not-the-key-000000000000"),
		chromedp.Click(chromedp.CSS("#connect-activecampaign button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#connect-activecampaign .field-error")))
	b.expectText("#connect-activecampaign .field-error", "ActiveCampaign refused this API key")
	b.run("right ActiveCampaign key",
		chromedp.SetValue(chromedp.CSS("#ac-key"), testenv.ACKey),
		chromedp.Click(chromedp.CSS("#connect-activecampaign button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(".flash")))
	b.run("connect Certifier",
		chromedp.SetValue(chromedp.CSS("#cert-name"), "Acme Certifier"),
		chromedp.SetValue(chromedp.CSS("#cert-token"), testenv.CertifierToken),
		chromedp.SetValue(chromedp.CSS("#cert-url"), env.CertifierURL),
		chromedp.Click(chromedp.CSS("#connect-certifier button[type=submit]")))
	b.waitJS(`document.querySelector("table").innerText.includes("Acme Certifier")`)
	b.shot(s.shots, "connections", 1280)
}

// createAutomation goes through the form's two steps, with the segment
// searched for, a save refused once on a date that is none, the token
// picker and the live preview, and activates the automation.
func (s *story) createAutomation() {
	b := s.b
	b.run("trigger step",
		chromedp.Navigate(b.url+"/automations/new"),
		chromedp.WaitVisible(chromedp.CSS("#segment-search")),
		chromedp.SetValue(chromedp.CSS("#name"), "Course completion certificates"),
		chromedp.SendKeys(chromedp.CSS("#segment-search"), "course"),
		chromedp.Click(chromedp.CSS(`label.segment[data-name="Course Completers"] input`)))
	b.waitJS(`[...document.querySelectorAll(".segment")].filter(e => !e.hidden).length === 1`)
	b.shot(s.shots, "new-automation-trigger", 1280)

	// Step 2: the action, saved with four mistakes at once: the name
	// emptied on step 1, an expiry date that is no date, ActiveCampaign's
	// %FIRSTNAME% for the recipient's name, a time zone that is none. All
	// four are said on the first save, each beside its input; the form
	// opens on step 1, and the Action tab says that it has three to fix.
	b.run("action step",
		chromedp.Click(chromedp.CSS(`[data-goto="action"]`)),
		chromedp.WaitVisible(chromedp.CSS("#group")),
		chromedp.SetValue(chromedp.CSS("#group"), s.groupID),
		chromedp.SetValue(chromedp.CSS("#mapping-expiry-date"), "31/12/2030"),
		chromedp.SetValue(chromedp.CSS("#mapping-recipient-name"), "%FIRSTNAME%"),
		chromedp.SetValue(chromedp.CSS("#time-zone"), "Mars/Olympus"))
	b.eval(`document.getElementById("name").value = ""`)
	b.run("save with every mistake",
		chromedp.Click(chromedp.CSS("#step-action .step-nav button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#name[aria-invalid=true]")))
	b.expectText("#step-trigger", "is required")
	b.expectText(".steps [data-tab=action]", "3 to fix")
	b.run("to the action's mistakes",
		chromedp.SendKeys(chromedp.CSS("#name"), "Course completion certificates"),
		chromedp.Click(chromedp.CSS(`[data-goto="action"]`)),
		chromedp.WaitVisible(chromedp.CSS("#mapping-expiry-date[aria-invalid=true]")))
	b.expectJS(`!document.querySelector(".steps [data-tab=trigger] .to-fix") && !document.querySelector("[data-both-steps]")`,
		"the Trigger tab to have nothing left to fix once the name is typed, and no alert that both steps have")
	for _, sel := range []string{"#mapping-recipient-name", "#time-zone"} {
		b.expectJS(`document.querySelector("`+sel+`").getAttribute("aria-invalid") === "true"`, sel+" marked as a mistake")
	}
	// Said once each: the preview, which finds the same mistakes once it
	// has run, does not repeat the save's messages under the inputs
	// (issue 15).
	b.waitJS(`document.querySelector("[data-preview-status]").textContent.startsWith("Preview for")`)
	for _, msg := range []string{"is not a date", "Write {{contact.firstName}} instead", `"Mars/Olympus" is not a time zone`} {
		b.expectCount("#step-action", msg, 1)
	}
	// The preview line has no stray colon before the time zone.
	b.expectJS(`/a member of the segment\. Dates are taken in /.test(document.querySelector("[data-preview-status]").textContent)`,
		"the preview line to say \"…, a member of the segment. Dates are taken in …\"")
	// Fixed as typed: each message goes with its edit.
	for id, v := range map[string]string{"mapping-recipient-name": "{{contact.firstName}} {{contact.lastName}}", "time-zone": "UTC"} {
		b.eval(`(el => { el.value = ` + strconv.Quote(v) + `; el.dispatchEvent(new Event("input", {bubbles: true})); })(document.getElementById("` + id + `"))`)
		b.expectJS(`!document.getElementById("`+id+`").hasAttribute("aria-invalid")`, "#"+id+" no longer marked once edited")
	}

	// Fixed with the token picker: typing {{ lists the tokens, the
	// account's fields among them; Enter inserts the one highlighted.
	b.eval(`document.getElementById("mapping-expiry-date").value = ""`)
	b.run("token picker by typing",
		chromedp.SendKeys(chromedp.CSS("#mapping-expiry-date"), "{{contact.fields.EXPI"),
		chromedp.WaitVisible(chromedp.CSS("#token-list li")),
		chromedp.SendKeys(chromedp.CSS("#mapping-expiry-date"), kb.Enter))
	b.expectValue("#mapping-expiry-date", "{{contact.fields.EXPIRES}}")
	// And with the + button, then the arrow keys.
	b.run("token picker by button",
		chromedp.Click(chromedp.CSS(`[data-token-for="mapping-attr-0"]`)),
		chromedp.WaitVisible(chromedp.CSS("#token-list li")))
	b.waitJS(`document.querySelectorAll("#token-list li").length > 10`)
	b.run("pick COURSE", chromedp.SendKeys(chromedp.CSS("#mapping-attr-0"), kb.Escape),
		chromedp.SendKeys(chromedp.CSS("#mapping-attr-0"), "{{contact.fields.COU"),
		chromedp.WaitVisible(chromedp.CSS("#token-list li")),
		chromedp.SendKeys(chromedp.CSS("#mapping-attr-0"), kb.Enter))
	b.expectValue("#mapping-attr-0", "{{contact.fields.COURSE}}")
	// The preview is rendered for a real member of the segment.
	b.waitJS(`document.querySelector("[data-preview-for='action.recipient_name']").textContent.includes("Turing") || document.querySelector("[data-preview-for='action.recipient_name']").textContent.includes("Hopper")`)
	b.waitJS(`document.querySelector("[data-preview-for='action.expiry_date']").textContent.includes("2031-06-30")`)
	// Several contacts match what is typed in Preview for: the line says
	// how many, and the input offers them to pick another.
	b.run("preview for several", chromedp.SendKeys(chromedp.CSS("#preview-contact"), "example.com"))
	b.waitJS(`document.querySelector("[data-preview-status]").textContent.includes('2 contacts match "example.com"')`)
	b.expectJS(`[...document.querySelectorAll("#preview-matches option")].map(o => o.value).sort().join() === "alan@example.com,grace@example.com"`,
		"the two matching contacts offered under Preview for")
	b.eval(`(el => { el.value = ""; el.dispatchEvent(new Event("input", {bubbles: true})); })(document.getElementById("preview-contact"))`)
	b.waitJS(`!document.querySelector("[data-preview-status]").textContent.includes("contacts match") && !document.querySelector("#preview-matches option")`)
	b.run("open the picker for the screenshot",
		chromedp.Click(chromedp.CSS(`[data-token-for="mapping-recipient-name"]`)),
		chromedp.WaitVisible(chromedp.CSS("#token-list li")))
	b.shot(s.shots, "new-automation-action", 1280)
	b.run("save",
		chromedp.SendKeys(chromedp.CSS("#mapping-recipient-name"), kb.Escape),
		chromedp.Click(chromedp.CSS("#step-action .step-nav button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(`form[action$="/activate"]`)))
	id, err := chromedp.Run(b.ctx, chromedp.Evaluate[int64](`Number(location.pathname.split("/")[2])`))
	must(s.t, err)
	s.first = id

	// Activate: the two members already in get nothing.
	b.run("activate", chromedp.Click(chromedp.CSS(`form[action$="/activate"] button`)))
	b.waitJS(`document.querySelector(".summary .badge") && document.querySelector(".summary .badge").textContent === "Active"`)
}

// issueAndRetry moves three contacts in, one with an expiry date Certifier
// cannot take; reads the failed run, fixes the contact, retries the run
// and resends its email.
func (s *story) issueAndRetry() {
	b := s.b
	entering := []simac.ContactInput{
		{Email: "ada@example.com", FirstName: "Ada", LastName: "Lovelace", Tags: []string{"course-done"}, Fields: map[string]string{"EXPIRES": "2030-12-31", "COURSE": "Analytical Engines"}},
		{Email: "edsger@example.com", FirstName: "Edsger", LastName: "Dijkstra", Tags: []string{"course-done"}, Fields: map[string]string{"EXPIRES": "31/12/2030", "COURSE": "Shortest Paths"}},
		{Email: "barbara@example.com", FirstName: "Barbara", LastName: "Liskov", Tags: []string{"course-done"}, Fields: map[string]string{"EXPIRES": "2030-12-31", "COURSE": "Abstraction"}},
	}
	must(s.t, importContacts(s.env, entering))
	b.waitJS(`document.querySelectorAll("[data-region=runs] .run-issued").length === 2 && document.querySelectorAll("[data-region=runs] .run-failed").length === 1`)
	b.expectText("[data-region=runs]", "View credential")
	// The trigger says how entries are seen here: by polling only.
	b.expectText("dl.facts", "New Contact Added to Segment · Course Completers · checked every second")
	b.shot(s.shots, "automation", 1280)

	// Reading a run: the failed run's page says why; once retried, what
	// it sent, labelled as the mapping labels it.
	b.run("open the failed run",
		chromedp.Click(`//tr[.//span[contains(@class,"run-failed")]]//a`),
		chromedp.WaitVisible(chromedp.CSS(".log")))
	b.expectText("[data-region=run]", "31/12/2030")
	// The Event log heading stands clear of the Retry button and its hint.
	b.expectJS(`(() => {
		const f = document.querySelector("[data-region=run] form[action$='/retry']");
		const h = [...document.querySelectorAll("[data-region=run] h2")].find(e => e.textContent.includes("Event log"));
		return h.getBoundingClientRect().top - f.getBoundingClientRect().bottom >= 16;
	})()`, "the Event log heading is at least 16 px below the Retry button")
	must(s.t, importContacts(s.env, []simac.ContactInput{{Email: "edsger@example.com", Fields: map[string]string{"EXPIRES": "2030-12-31"}}}))
	b.run("retry", chromedp.Click(chromedp.CSS(`[data-region=run] form button`)), chromedp.WaitVisible(chromedp.CSS(".flash")))
	b.waitJS(`document.querySelector("[data-region=run] .badge").textContent === "Issued"`)
	b.expectText("[data-region=run]", "Created, issued and sent")
	b.expectText("[data-region=run]", "Retry requested by "+adminEmail)
	b.expectText("[data-region=run]", "What was sent")
	b.expectText("[data-region=run] .sent", "Course Name")
	b.expectText("[data-region=run] .sent", "Shortest Paths")

	// Resend its email: asked to confirm, sent once, recorded.
	b.eval(`window.confirm = () => true`)
	// The retry's flash is still on the page: wait for the resend's own
	// line, not for any flash.
	b.run("resend", chromedp.Click(chromedp.CSS(`form[action$="/resend"] button`)))
	b.waitJS(`document.querySelector("[data-region=run]").innerText.includes(` + strconv.Quote("Email resent by "+adminEmail+" to edsger@example.com.") + `)`)
	b.shot(s.shots, "run", 1280)
	b.shot(s.shots, "run", 390)
}

// listAndHealth takes the list's and Health's screenshots, and checks the
// list's chart labels are readable at a desk.
func (s *story) listAndHealth() {
	b := s.b
	b.run("automations list", chromedp.Navigate(b.url+"/automations"), chromedp.WaitVisible(chromedp.CSS("svg.chart")))
	b.expectText("[data-region=automations]", "Course Completers")
	b.expectReadableCharts(1280)
	b.shot(s.shots, "automations", 1280)
	b.run("health", chromedp.Navigate(b.url+"/health"), chromedp.WaitVisible(chromedp.CSS("[data-region=health]")))
	b.shot(s.shots, "health", 1280)
}

// phoneScreenshots takes the main pages at a phone's width.
func (s *story) phoneScreenshots() {
	b := s.b
	for _, p := range []struct{ name, path, ready string }{
		{"automations", "/automations", "svg.chart"},
		{"automation", "/automations/" + itoa(s.first), "[data-region=runs]"},
		{"connections", "/connections", "#ac-name"},
		{"new-automation-trigger", "/automations/new", ".segment-list"},
		{"health", "/health", "[data-region=health]"},
	} {
		b.run(p.name+" on a phone", chromedp.Navigate(b.url+p.path), chromedp.WaitVisible(p.ready))
		b.shot(s.shots, p.name, 390)
	}
}

func importContacts(env *testenv.Env, in []simac.ContactInput) error {
	_, err := env.AC.Import(testenv.ACAccount, in)
	return err
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// browser is a headless Chromium driven through one tab.
//
// The browser tests (TestBrowser*) do not call t.Parallel: they run one
// after another, before the package's parallel tests start, as they did
// when every test ran alone. A Chromium takes most of a core while it
// renders, and their steps have deadlines (15 s each, 4 minutes for a
// test): beside other tests on two cores shared with other work, steps
// of TestBrowserStory and TestBrowserListWraps missed them (seen once
// each with two at once beside the package's other tests).
type browser struct {
	t   *testing.T
	ctx context.Context
	url string
}

func newBrowser(t *testing.T, url string, extra ...chromedp.ExecAllocatorOption) *browser {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, 900),
	}
	opts = append(opts, extra...)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	// The browser starts without a deadline (one would stop it); the story
	// gets one, generous for the race detector on two busy cores.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v", chromium, err)
	}
	ctx, cancelTime := context.WithTimeout(ctx, 4*time.Minute)
	t.Cleanup(func() { cancelTime(); cancelTab(); cancelAlloc() })
	return &browser{t: t, ctx: ctx, url: url}
}

func (b *browser) run(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	for i, a := range actions {
		if err := chromedp.Do(ctx, a); err != nil {
			loc, _ := chromedp.Run(b.ctx, chromedp.Location())
			b.t.Fatalf("%s, action %d: %v\nat %s:\n%.2000s", step, i+1, err, loc, b.mainText())
		}
	}
}

// mainText is the page's text, for failure messages.
func (b *browser) mainText() string {
	text, _ := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS("main")))
	return text
}

// eval runs a JavaScript statement in the page.
func (b *browser) eval(js string) {
	b.t.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[any](js)); err != nil {
		b.t.Fatalf("%s: %v", js, err)
	}
}

// waitJS waits until a JavaScript expression is true.
func (b *browser) waitJS(expr string) {
	b.t.Helper()
	deadline := time.Now().Add(60 * time.Second) // generous: the race detector on two busy cores
	for {
		if ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`Boolean(`+expr+`)`)); err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("waited 60s for %s; the page shows:\n%.2000s", expr, b.mainText())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// expectJS checks, once, that a JavaScript expression is true; what says
// what it checks.
func (b *browser) expectJS(expr, what string) {
	b.t.Helper()
	ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`Boolean(`+expr+`)`))
	if err != nil || !ok {
		b.t.Fatalf("want %s (%v); the page shows:\n%.2000s", what, err, b.mainText())
	}
}

func (b *browser) expectText(sel, want string) {
	b.t.Helper()
	got, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.querySelector(`+strconv.Quote(sel)+`).innerText`))
	if err != nil {
		b.t.Fatalf("reading %s: %v", sel, err)
	}
	if !strings.Contains(got, want) {
		b.t.Fatalf("%s shows %q, want it to contain %q", sel, got, want)
	}
}

// expectCount checks how many times a text is shown in an element.
func (b *browser) expectCount(sel, text string, want int) {
	b.t.Helper()
	got, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelector(`+strconv.Quote(sel)+`).innerText.split(`+strconv.Quote(text)+`).length - 1`))
	if err != nil {
		b.t.Fatalf("reading %s: %v", sel, err)
	}
	if got != want {
		b.t.Fatalf("%s shows %q %d times, want %d:\n%.2000s", sel, text, got, want, b.mainText())
	}
}

func (b *browser) expectValue(sel, want string) {
	b.t.Helper()
	got, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.querySelector(`+strconv.Quote(sel)+`).value`))
	if err != nil {
		b.t.Fatalf("reading %s: %v", sel, err)
	}
	if got != want {
		b.t.Fatalf("%s holds %q, want %q", sel, got, want)
	}
}

// shot saves a full-page screenshot at a width, as docs/screenshots/
// <name>.png (1280) or <name>-phone.png (390).
func (b *browser) shot(dir, name string, width int64) {
	b.t.Helper()
	file := name + ".png"
	if width < 1000 {
		file = name + "-phone.png"
	}
	// The viewport is made as tall as the page, so that no scrollbar takes
	// width from the layout the screenshot shows.
	b.run("resize for "+file, chromedp.EmulateViewport(width, 900), chromedp.Sleep(100*time.Millisecond))
	height, err := chromedp.Run(b.ctx, chromedp.Evaluate[int64](`document.documentElement.scrollHeight`))
	if err != nil {
		b.t.Fatal(err)
	}
	b.run("resize for "+file, chromedp.EmulateViewport(width, height), chromedp.Sleep(100*time.Millisecond))
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", file, err)
	}
	b.run("resize back", chromedp.EmulateViewport(1280, 900))
	if err := os.WriteFile(filepath.Join(dir, file), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Log("saved", fmt.Sprintf("docs/screenshots/%s", file))
}

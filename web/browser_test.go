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

// TestBrowserStory plays the story in headless Chromium over real
// HTTP: sign in, connect both sandboxes (refused once on a wrong key),
// create the automation through the form with the token picker (refused
// once on a bad date mapping), activate, move contacts into the segment,
// see the runs issued and one failed, fix its cause in the sandbox, retry
// it from the UI and see it issued. It saves a screenshot of each main
// page to docs/screenshots.
func TestBrowserStory(t *testing.T) {
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("%s is missing: the browser tests need Debian's Chromium; run apt-get install -y chromium", chromium)
	}
	env := testenv.New(t, testenv.Options{})
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
	must(t, env.Certifier.AddAttribute(testenv.CertWorkspace, "custom.course_name", "Course Name"))
	_, err = env.Store.CreateUser(context.Background(), adminEmail, adminPassword)
	must(t, err)
	srv := httptest.NewServer(New(Config{Service: env.Service, Auth: env.Auth, Metrics: env.Metrics}))
	t.Cleanup(srv.Close)

	b := newBrowser(t, srv.URL)
	shots := filepath.Join("..", "docs", "screenshots")
	must(t, os.MkdirAll(shots, 0o755))

	// Sign in.
	b.run("open sign-in", chromedp.Navigate(b.url+"/signin"), chromedp.WaitVisible(chromedp.CSS("#email")))
	b.shot(shots, "signin", 390)
	b.shot(shots, "signin", 1280)
	b.run("sign in",
		chromedp.SetValue(chromedp.CSS("#email"), adminEmail),
		chromedp.SetValue(chromedp.CSS("#password"), adminPassword),
		chromedp.Click(chromedp.CSS("button.primary")),
		chromedp.WaitVisible(chromedp.CSS("a.button.primary[href='/automations/new']")))

	// Connect ActiveCampaign: refused on a wrong key, then accepted.
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
	b.shot(shots, "connections", 1280)

	// New automation, step 1: the trigger, with the segment searched for.
	b.run("trigger step",
		chromedp.Navigate(b.url+"/automations/new"),
		chromedp.WaitVisible(chromedp.CSS("#segment-search")),
		chromedp.SetValue(chromedp.CSS("#name"), "Course completion certificates"),
		chromedp.SendKeys(chromedp.CSS("#segment-search"), "course"),
		chromedp.Click(chromedp.CSS(`label.segment[data-name="Course Completers"] input`)))
	b.waitJS(`[...document.querySelectorAll(".segment")].filter(e => !e.hidden).length === 1`)
	b.shot(shots, "new-automation-trigger", 1280)

	// Step 2: the action. The expiry date first gets a literal that is no
	// date, which the save refuses beside the input.
	b.run("action step",
		chromedp.Click(chromedp.CSS(`[data-goto="action"]`)),
		chromedp.WaitVisible(chromedp.CSS("#group")),
		chromedp.SetValue(chromedp.CSS("#group"), group.ID),
		chromedp.SetValue(chromedp.CSS("#mapping-expiry-date"), "31/12/2030"),
		chromedp.Click(chromedp.CSS("#step-action .step-nav button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#mapping-expiry-date[aria-invalid=true]")))
	b.expectText("#step-action", "is not a date")
	// Said once: the preview, which finds the same mistake once it has
	// run, does not repeat the save's message under the input (issue 15).
	b.waitJS(`document.querySelector("[data-preview-status]").textContent.startsWith("Preview for")`)
	b.expectCount("#step-action", "is not a date", 1)

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
	b.run("open the picker for the screenshot",
		chromedp.Click(chromedp.CSS(`[data-token-for="mapping-recipient-name"]`)),
		chromedp.WaitVisible(chromedp.CSS("#token-list li")))
	b.shot(shots, "new-automation-action", 1280)
	b.run("save",
		chromedp.SendKeys(chromedp.CSS("#mapping-recipient-name"), kb.Escape),
		chromedp.Click(chromedp.CSS("#step-action .step-nav button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(`form[action$="/activate"]`)))

	// Activate: the two members already in get nothing.
	b.run("activate", chromedp.Click(chromedp.CSS(`form[action$="/activate"] button`)))
	b.waitJS(`document.querySelector(".summary .badge") && document.querySelector(".summary .badge").textContent === "Active"`)

	// Three contacts enter the segment; one has an expiry date Certifier
	// cannot take.
	entering := []simac.ContactInput{
		{Email: "ada@example.com", FirstName: "Ada", LastName: "Lovelace", Tags: []string{"course-done"}, Fields: map[string]string{"EXPIRES": "2030-12-31", "COURSE": "Analytical Engines"}},
		{Email: "edsger@example.com", FirstName: "Edsger", LastName: "Dijkstra", Tags: []string{"course-done"}, Fields: map[string]string{"EXPIRES": "31/12/2030", "COURSE": "Shortest Paths"}},
		{Email: "barbara@example.com", FirstName: "Barbara", LastName: "Liskov", Tags: []string{"course-done"}, Fields: map[string]string{"EXPIRES": "2030-12-31", "COURSE": "Abstraction"}},
	}
	must(t, importContacts(env, entering))
	b.waitJS(`document.querySelectorAll("[data-region=runs] .run-issued").length === 2 && document.querySelectorAll("[data-region=runs] .run-failed").length === 1`)
	b.expectText("[data-region=runs]", "View credential")
	b.shot(shots, "automation", 1280)

	// The failed run's log says why; fix the contact, retry, see it issued.
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
	must(t, importContacts(env, []simac.ContactInput{{Email: "edsger@example.com", Fields: map[string]string{"EXPIRES": "2030-12-31"}}}))
	b.run("retry", chromedp.Click(chromedp.CSS(`[data-region=run] form button`)), chromedp.WaitVisible(chromedp.CSS(".flash")))
	b.waitJS(`document.querySelector("[data-region=run] .badge").textContent === "Issued"`)
	b.expectText("[data-region=run]", "Created, issued and sent")
	b.expectText("[data-region=run]", "Retry requested by "+adminEmail)
	b.expectText("[data-region=run]", "What was sent")

	// Resend its email: asked to confirm, sent once, recorded.
	b.eval(`window.confirm = () => true`)
	// The retry's flash is still on the page: wait for the resend's own
	// line, not for any flash.
	b.run("resend", chromedp.Click(chromedp.CSS(`form[action$="/resend"] button`)))
	b.waitJS(`document.querySelector("[data-region=run]").innerText.includes(` + strconv.Quote("Email resent by "+adminEmail+" to edsger@example.com.") + `)`)
	b.shot(shots, "run", 1280)
	b.shot(shots, "run", 390)

	b.run("automations list", chromedp.Navigate(b.url+"/automations"), chromedp.WaitVisible(chromedp.CSS("svg.chart")))
	b.expectText("[data-region=automations]", "Course Completers")
	b.shot(shots, "automations", 1280)
	b.run("health", chromedp.Navigate(b.url+"/health"), chromedp.WaitVisible(chromedp.CSS("[data-region=health]")))
	b.shot(shots, "health", 1280)

	// The same pages at a phone's width.
	for _, p := range []struct{ name, path, ready string }{
		{"automations", "/automations", "svg.chart"},
		{"automation", "/automations/1", "[data-region=runs]"},
		{"connections", "/connections", "#ac-name"},
		{"new-automation-trigger", "/automations/new", ".segment-list"},
		{"health", "/health", "[data-region=health]"},
	} {
		b.run(p.name+" on a phone", chromedp.Navigate(b.url+p.path), chromedp.WaitVisible(p.ready))
		b.shot(shots, p.name, 390)
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
	// gets one.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v", chromium, err)
	}
	ctx, cancelTime := context.WithTimeout(ctx, 90*time.Second)
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

package web

import (
	"context"
	"html"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/testenv"
	simac "github.com/autocred/autocred/sim/activecampaign"
	"github.com/autocred/autocred/sim/traffic"
)

// Through a Certifier outage (every call answered 503) a run waits, and
// the pages say so as a customer reads it: the automation says once, in
// plain words and calmly, that Certifier is not answering, since when,
// how many runs wait, that they are retried automatically and when next;
// the run's row says a few words, not that notice again, and not
// "unconfirmed"; the run's page says what attempt 1 sent without calling
// it a success, and its log says what happened in words, on one line per
// kind of wait, the last with its next attempt.
func TestCertifierOutageReadsAsWaiting(t *testing.T) {
	t.Parallel()
	u := newUITestWith(t, testenv.Options{Circuits: &autocred.CircuitPolicy{Threshold: 1, FirstProbe: time.Hour}}, false)
	u.signIn()
	f := u.fixture()
	u.activate(f)
	const rawError = "upstream connect error or disconnect"
	if err := u.env.Certifier.Gate().SetRules([]traffic.Rule{{Endpoint: "*", ErrorRate: 1, ErrorStatus: 503, ErrorMessage: rawError}}); err != nil {
		t.Fatal(err)
	}
	run := u.enterRun(f, simac.ContactInput{Email: "max@example.com", FirstName: "Max"}, autocred.RunPending)
	eventually(t, "the run to wait for the open circuit, its job put back until the next probe", func() bool {
		r, err := u.env.Service.Run(context.Background(), run.ID)
		return err == nil && r.ErrorCode == autocred.RunCodeWaitingOutage && !r.NextAttemptAt.IsZero()
	})

	auto := u.do("GET", "/automations/"+itoa(f.automation), nil).body
	notice := regexp.MustCompile(`<div class="wait circuit" role="status"><p><strong>Certifier is not answering</strong>, since <time [^>]*data-clock>[^<]+</time>\. 1 run waits for it: waiting is not failing\. ` +
		`autocred retries automatically, [^<]*Next attempt at <time [^>]*data-clock>[^<]+</time>\.</p></div>`)
	if !notice.MatchString(auto) {
		t.Errorf("the automation does not say calmly that Certifier is not answering, since when, how many runs wait and when next:\n%s", auto)
	}
	for _, raw := range []string{rawError, "certifier POST", "certifier GET", "has been failing since"} {
		if strings.Contains(html.UnescapeString(auto), raw) {
			t.Errorf("the automation page shows %q: a raw upstream error or the old notice", raw)
		}
	}
	// Health's connection says it too, the same words, its times in the
	// browser's zone, without the raw error.
	health := u.do("GET", "/health", nil).body
	if !notice.MatchString(health) || strings.Contains(health, rawError) || strings.Contains(health, "certifier POST") {
		t.Errorf("Health does not say Certifier is not answering as the automation does, its times in the browser's zone:\n%s", health)
	}
	row := regexp.MustCompile(`(?s)<tr>\s*<td data-label="Run"><a href="/runs/` + itoa(run.ID) + `">.*?</tr>`).FindString(auto)
	if !regexp.MustCompile(`<span class="wait-text">Waiting: Certifier is not answering: this run waits without calling it\. Retrying automatically; next attempt at <time [^>]*data-clock>[^<]+</time>\.</span> <code class="muted" title="[^"]+">waiting_outage</code>`).MatchString(row) ||
		strings.Contains(row, "since") || strings.Contains(row, "unconfirmed") {
		t.Errorf("the waiting run's row does not say in a few words why it waits:\n%s", row)
	}

	p := u.do("GET", "/runs/"+itoa(run.ID), nil).body
	for _, want := range []string{
		`<h2 class="section">What attempt 1 sent</h2>`,
		"Certifier did not confirm a credential from it",
		"Waiting: Certifier answered with an error (503 Service Unavailable).</li>",
		"Waiting: Certifier is not answering, so this run waited without calling it. Next attempt at <time ",
	} {
		if !strings.Contains(html.UnescapeString(p), want) {
			t.Errorf("the run page lacks %q", want)
		}
	}
	for _, wrong := range []string{"As attempt 1 sent it", "What was sent", rawError, "unconfirmed", "answer was lost", "Attempt failed"} {
		if strings.Contains(p, wrong) {
			t.Errorf("the run page of a waiting run says %q", wrong)
		}
	}
}

// During a Certifier outage nothing says "OK" or "fine" about it: Health
// shows the Certifier connection "Waiting on Certifier" (not Broken:
// nothing to fix), lists the automation as waiting with how many of its
// runs wait, and the Automations list's row says so in place of "Active";
// Connections shows the connection so too, the outage in the same words.
func TestCertifierOutageIsWaitingEverywhere(t *testing.T) {
	t.Parallel()
	u := newUITestWith(t, testenv.Options{Circuits: &autocred.CircuitPolicy{Threshold: 1, FirstProbe: time.Hour}}, false)
	u.signIn()
	f := u.fixture()
	u.activate(f)
	if err := u.env.Certifier.Gate().SetRules([]traffic.Rule{{Endpoint: "*", ErrorRate: 1, ErrorStatus: 503}}); err != nil {
		t.Fatal(err)
	}
	run := u.enterRun(f, simac.ContactInput{Email: "max@example.com", FirstName: "Max"}, autocred.RunPending)
	eventually(t, "the run to wait for the open circuit", func() bool {
		r, err := u.env.Service.Run(context.Background(), run.ID)
		return err == nil && r.ErrorCode == autocred.RunCodeWaitingOutage
	})
	waiting := `<span class="badge badge-waiting" title="[^"]+">Waiting on Certifier</span> <span class="muted">· 1 run waits</span>`

	health := u.do("GET", "/health", nil).body
	if regexp.MustCompile(`<span class="badge badge-active">OK</span> <strong>[^<]+</strong> \(Certifier\)`).MatchString(health) ||
		!regexp.MustCompile(`<span class="badge badge-waiting">Waiting on Certifier</span> <strong>[^<]+</strong> \(Certifier\)`).MatchString(health) {
		t.Errorf("Health does not show the Certifier connection waiting on Certifier:\n%s", health)
	}
	if strings.Contains(health, "every automation is fine") ||
		!regexp.MustCompile(`(?s)<h3>Waiting on Certifier</h3>\s*<ul class="plain">\s*<li>`+waiting+` <a href="/automations/`+itoa(f.automation)+`">[^<]+</a>: retrying automatically; next attempt at <time `).MatchString(health) {
		t.Errorf("Health does not list the automation as waiting on Certifier with its runs waiting:\n%s", health)
	}

	conns := u.do("GET", "/connections", nil).body
	certRow := regexp.MustCompile(`(?s)<td data-label="App">Certifier</td>.*?</tr>\s*<tr class="detail">.*?</tr>`).FindString(conns)
	if !strings.Contains(certRow, `<td data-label="Status"><span class="badge badge-waiting">Waiting on Certifier</span></td>`) ||
		!strings.Contains(certRow, "<strong>Certifier is not answering</strong>") || strings.Contains(certRow, "err-text") {
		t.Errorf("Connections does not show the Certifier connection calmly waiting on Certifier:\n%s", certRow)
	}

	list := u.do("GET", "/automations", nil).body
	row := regexp.MustCompile(`(?s)<tr>\s*<td data-label="Automation"><div class="cell"><a href="/automations/` + itoa(f.automation) + `">.*?</tr>`).FindString(list)
	if !regexp.MustCompile(`<td data-label="Status"><div class="cell">` + waiting + `</div></td>`).MatchString(row) {
		t.Errorf("the Automations list's row does not say it waits on Certifier:\n%s", row)
	}
}

// Times inside messages (a log line, a run's error, a notice) are <time>
// elements, which the script shows in the browser's zone with UTC on
// hover, as every other time of the page; the rest is escaped.
func TestSaysShowsTimesInTheBrowsersZone(t *testing.T) {
	t.Parallel()
	today := time.Now().UTC().Truncate(time.Minute)
	clock := today.Format("15:04")
	tests := []struct{ in, want string }{
		{"Nothing to see <here>.", "Nothing to see &lt;here&gt;."},
		{"Asked whether attempt 2 (" + today.Format(time.RFC3339) + ") made it.",
			`Asked whether attempt 2 (<time datetime="` + today.Format(time.RFC3339) + `" title="` + today.Format("2006-01-02 15:04:05 UTC") + `" data-clock>` + clock + ` UTC</time>) made it.`},
		{"registered it again at 2026-03-10 20:00:05 UTC.",
			`registered it again at <time datetime="2026-03-10T20:00:05Z" title="2026-03-10 20:00:05 UTC" data-clock>10 Mar 20:00 UTC</time>.`},
		{"a date alone, 2026-03-10, stays", "a date alone, 2026-03-10, stays"},
	}
	for _, tt := range tests {
		if got := string(says(tt.in)); got != tt.want {
			t.Errorf("says(%q) =\n%s\nwant\n%s", tt.in, got, tt.want)
		}
	}
}

// The pages that show messages show their times as <time> elements: a
// failed run's error on Health and on the runs table; "Last sync" keeps
// its "ago" with the time in UTC on hover.
//
// Not in parallel: "just now" is a sync less than 5 seconds old, and five
// pages are rendered after the sync is recorded; beside other tests on
// two busy cores that took longer (seen once).
func TestMessageTimesAndLastSyncOnHover(t *testing.T) {
	u := newUITest(t)
	u.signIn()
	f := u.fixture()
	ctx := context.Background()
	r, err := u.env.Store.Run(ctx, f.run)
	if err != nil {
		t.Fatal(err)
	}
	r.LastError = "Found credential c1, made by attempt 1 (2026-03-10T20:00:05Z) although Certifier's answer did not confirm it."
	if err := u.env.Store.SaveRun(ctx, &r); err != nil {
		t.Fatal(err)
	}
	if err := u.env.Store.RecordSync(ctx, f.automation, time.Now(), "", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	stamp := `<time datetime="2026-03-10T20:00:05Z" title="2026-03-10 20:00:05 UTC" data-clock>10 Mar 20:00 UTC</time>`
	for _, path := range []string{"/health", "/automations/" + itoa(f.automation), "/runs/" + itoa(f.run)} {
		if p := u.do("GET", path, nil); !strings.Contains(p.body, stamp) || strings.Contains(p.body, "(2026-03-10T20:00:05Z)") {
			t.Errorf("%s does not show the time inside the message as a time in the browser's zone", path)
		}
	}
	lastSync := regexp.MustCompile(`Last sync: <time datetime="[^"]+" title="\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC" data-ago>just now</time>`)
	for _, path := range []string{"/automations", "/automations/" + itoa(f.automation)} {
		body := u.do("GET", path, nil).body
		if path == "/automations" {
			body = strings.Replace(body, `<td data-label="Last sync">`, "Last sync: ", 1)
		}
		if !lastSync.MatchString(body) {
			t.Errorf("%s: Last sync has no UTC time on hover", path)
		}
	}
}

// The charts' days are the browser's (the script tells the server its zone
// in a cookie), as are the times beside them, and the chart says so; a
// run finished now counts on today of the browser's zone, whatever day it
// is in UTC or the automation's zone. Without the zone, the page's times
// and days are UTC's.
func TestChartDaysInTheBrowsersZone(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	f := u.fixture()
	u.addRuns(f.automation, autocred.RunIssued)
	// A zone whose date today is not UTC's: 14 hours ahead from 10:00
	// UTC, 11 hours behind before 11:00.
	zone := "Pacific/Kiritimati"
	if time.Now().UTC().Hour() < 10 {
		zone = "Pacific/Pago_Pago"
	}
	_, loc, err := autocred.LoadTimeZone("", zone)
	if err != nil {
		t.Fatal(err)
	}
	lastDay := regexp.MustCompile(`(?s)<details class="chart-numbers">.*<tr><td>([^<]+)</td><td class="num">(\d+)</td>[^\n]*</tr></tbody>`)
	for _, tt := range []struct {
		cookie, zone string
		today        time.Time
	}{
		{"tz=" + strings.ReplaceAll(zone, "/", "%2F"), zone, time.Now().In(loc)},
		{"", "UTC", time.Now().UTC()},
	} {
		p := u.do("GET", "/automations/"+itoa(f.automation), nil, "Cookie", tt.cookie)
		if !strings.Contains(p.body, "(days in "+tt.zone+", as the times on this page)") {
			t.Errorf("with cookie %q the chart does not say its days are %s's", tt.cookie, tt.zone)
		}
		m := lastDay.FindStringSubmatch(p.body)
		if m == nil || m[1] != tt.today.Format("Mon Jan 2") || m[2] != "1" {
			t.Errorf("with cookie %q the chart's last day is %q; want %s with the run issued now", tt.cookie, m, tt.today.Format("Mon Jan 2"))
		}
		list := u.do("GET", "/automations", nil, "Cookie", tt.cookie)
		if !strings.Contains(list.body, "(days in "+tt.zone+", as the times on these pages)") {
			t.Errorf("with cookie %q the list does not say its days are %s's", tt.cookie, tt.zone)
		}
	}
}

// A waiting run is said one way wherever a row or its page shows it:
// "Waiting: <why>. Retrying automatically; next attempt at <time>.",
// whatever made it wait; its code is kept, quiet, its meaning on hover;
// the Error code filter lists the codes by their meaning.
func TestWaitingRunSaidOneWay(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	f := u.fixture()
	ctx := context.Background()
	// The next attempt is the circuit's next probe for a run that waits
	// for it (these runs have no job of their own here); for the other it
	// is not known.
	next := time.Now().UTC().Add(10 * time.Minute).Truncate(time.Second)
	if _, err := u.env.Store.UpdateCircuit(ctx, f.certConn, func(c *autocred.Circuit) bool {
		c.Open, c.Reason, c.FailingSince, c.NextProbe, c.Interval = true, autocred.CircuitOutage, time.Now(), next, time.Minute
		return true
	}); err != nil {
		t.Fatal(err)
	}
	for i, tt := range []struct {
		code      autocred.RunErrorCode
		lastError string
		want      string
	}{
		{autocred.RunCodeWaitingOutage, "Certifier is not answering: this run waits without calling it.",
			`Waiting: Certifier is not answering: this run waits without calling it. Retrying automatically; next attempt at <time datetime="` + next.Format(time.RFC3339) + `"`},
		{autocred.RunCodeRetrying, "Certifier did not answer (503 Service Unavailable).",
			`Waiting: Certifier did not answer (503 Service Unavailable). Retrying automatically.</span>`},
	} {
		r := u.addRun(f.automation, autocred.ContactID(100+i), "Max", "Wait", "max@example.com", autocred.RunPending, time.Now())
		r.LastError, r.ErrorCode = tt.lastError, tt.code
		if err := u.env.Store.SaveRun(ctx, &r); err != nil {
			t.Fatal(err)
		}
		code := `<code class="muted" title="` + html.EscapeString(tt.code.Label()) + ` (error code: filter the runs by it, or count it in an alert)">` + string(tt.code) + `</code>`
		row := regexp.MustCompile(`(?s)<tr>\s*<td data-label="Run"><a href="/runs/` + itoa(r.ID) + `">.*?</tr>`).
			FindString(u.do("GET", "/automations/"+itoa(f.automation), nil).body)
		page := u.do("GET", "/runs/"+itoa(r.ID), nil).body
		for where, body := range map[string]string{"row": row, "run page": page} {
			if !strings.Contains(html.UnescapeString(body), tt.want) || !strings.Contains(body, code) {
				t.Errorf("%s, %s: the %s does not say %q with its code quiet, its meaning on hover:\n%s", tt.code, tt.lastError, where, tt.want, body)
			}
			for _, other := range []string{"Waiting, not failed", "autocred tries again by itself"} {
				if strings.Contains(body, other) {
					t.Errorf("%s: the %s says the wait another way too: %q", tt.code, where, other)
				}
			}
		}
	}
	p := u.do("GET", "/automations/"+itoa(f.automation)+"?error_code=waiting_outage", nil).body
	if !strings.Contains(p, `<option value="waiting_outage" selected>Waiting: Certifier not answering</option>`) ||
		!strings.Contains(p, `<option value="certifier_validation">Certifier refused a value</option>`) {
		t.Errorf("the Error code filter does not list the codes by their meaning, the code as the value:\n%s", p)
	}
}

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
)

// When Certifier refuses the whole workspace (402: its plan does not
// include issuing; or the API version autocred sends), every page that
// says so says it in autocred's words first, what happened and what to do
// (upgrade the plan in Certifier; update autocred), and Certifier's own
// text only after, as a quiet detail ("Certifier said: …"): the
// automation, Health, Connections and the run's page.
func TestWorkspaceRefusalsSaidInPlainWords(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		refuse func(u *uiTest) error
		code   autocred.RunErrorCode
		plain  []string // on the automation, Health and Connections
		run    string   // on the run's page
		raw    string   // part of Certifier's own message (the sandbox's)
	}{
		{"plan", func(u *uiTest) error { return u.env.Certifier.SetPaymentRequired(testenv.CertWorkspace, true) }, autocred.RunCodeWaitingPlan,
			[]string{"Nothing can be issued: this Certifier workspace's plan does not include issuing credentials. Upgrade the plan in Certifier;"},
			"This Certifier workspace's plan does not include issuing credentials: upgrade the plan in Certifier.",
			"upgrade to a premium plan"},
		{"version", func(u *uiTest) error { return u.env.Certifier.SetRetiredVersions([]string{"2022-10-26"}) }, autocred.RunCodeWaitingVersion,
			[]string{"Nothing can be issued: Certifier no longer accepts the API version this autocred uses. Update autocred to its latest release;"},
			"Certifier no longer accepts the API version this autocred uses: update autocred to its latest release.",
			"is not a recognised version"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			u := newUITestWith(t, testenv.Options{Circuits: &autocred.CircuitPolicy{Threshold: 1, FirstProbe: time.Hour, AccountProbe: time.Hour}}, false)
			u.signIn()
			f := u.fixture()
			u.activate(f)
			if err := tc.refuse(u); err != nil {
				t.Fatal(err)
			}
			run := u.enterRun(f, simac.ContactInput{Email: "max@example.com", FirstName: "Max"}, autocred.RunPending)
			eventually(t, "the run to wait for the workspace", func() bool {
				r, err := u.env.Service.Run(context.Background(), run.ID)
				return err == nil && r.ErrorCode == tc.code
			})
			// Certifier's text, where it is shown, is the quiet detail
			// after autocred's words.
			detail := regexp.MustCompile(`<span class="muted">Certifier said: &#34;[^<]*` + regexp.QuoteMeta(tc.raw) + `[^<]*&#34;\.</span>`)
			for _, path := range []string{"/automations/" + itoa(f.automation), "/health", "/connections", "/runs/" + itoa(run.ID)} {
				body := u.do("GET", path, nil).body
				text := html.UnescapeString(body)
				want := tc.plain
				if strings.HasPrefix(path, "/runs/") {
					want = []string{tc.run}
				}
				for _, w := range want {
					if !strings.Contains(text, w) {
						t.Errorf("%s does not say, in autocred's words, %q", path, w)
					}
				}
				if n, quiet := strings.Count(text, tc.raw), len(detail.FindAllString(body, -1)); n != quiet {
					t.Errorf("%s shows Certifier's own text %d times, %d of them as the detail after autocred's words:\n%s", path, n, quiet, text)
				}
				for _, old := range []string{"(402:", "Certifier says the workspace's plan", "autocred sends Certifier-Version"} {
					if strings.Contains(text, old) {
						t.Errorf("%s still says %q", path, old)
					}
				}
			}
		})
	}
}

package web

import (
	"context"
	"html"
	"regexp"
	"strings"
	"testing"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/store/storetest"
)

// A skipped run says its status once: beside its "Skipped" badge, the
// reason does not begin with "Skipped" again. Its page says that nothing
// was sent, which is what a learner asking about an email needs answered.
func TestSkippedRunSaysItOnceAndThatNothingWasSent(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	f := u.fixture()
	r := autocred.Run{AutomationID: f.automation, ContactID: 9, Entry: 1, Status: autocred.RunSkipped,
		Contact:   autocred.Contact{FirstName: "Bo"},
		LastError: "Skipped: the contact has no email address. Fix the contact's email in ActiveCampaign, then retry this run.",
		ErrorCode: autocred.RunCodeInvalidEmail}
	if err := storetest.InsertRun(context.Background(), u.env.Store, &r); err != nil {
		t.Fatal(err)
	}
	body := html.UnescapeString(u.do("GET", "/automations/"+itoa(f.automation), nil).body)
	row := pageText(regexp.MustCompile(`(?s)<a href="/runs/` + itoa(r.ID) + `">.*?</tr>`).FindString(body))
	if n := strings.Count(row, "Skipped"); n != 1 || !strings.Contains(row, "The contact has no email address.") {
		t.Errorf("the skipped run's row says Skipped %d times, want once (its badge): %s", n, row)
	}
	page := pageText(html.UnescapeString(u.do("GET", "/runs/"+itoa(r.ID), nil).body))
	if !strings.Contains(page, "Nothing was sent to Certifier: no credential was made and no email went out") {
		t.Errorf("the skipped run's page does not say that nothing was sent:\n%s", page)
	}
}

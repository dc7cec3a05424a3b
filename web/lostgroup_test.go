package web

import (
	"html"
	"net/http"
	"strings"
	"testing"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/testenv"
	"github.com/autocred/autocred/service"
)

// Stopped halfway through a wave of runs, the progress says what the rest
// waits for: the user's choice of another group, a reconnect, a resume.
func TestStoppedProgressSaysWhatTheRestWaitFor(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		status      autocred.AutomationStatus
		reason      string
		done, total int
		want        string
	}{
		{autocred.AutomationPaused, autocred.GroupMissingReason("Course certificate"), 0, 2, "0 of 2 issued; all 2 wait until you choose another group under Edit"},
		{autocred.AutomationPaused, "", 0, 2, "0 of 2 issued; all 2 wait until you resume it"},
		{autocred.AutomationBroken, "ActiveCampaign refused the API key.", 0, 2, "0 of 2 issued; all 2 wait until you reconnect and resume it"},
		// "the others" only when there are others (tester 4, finding 10).
		{autocred.AutomationPaused, autocred.GroupMissingReason("Course certificate"), 0, 1, "0 of 1 issued; it waits until you choose another group under Edit"},
		{autocred.AutomationPaused, "", 4, 5, "4 of 5 issued; the last one waits until you resume it"},
		{autocred.AutomationPaused, "", 3, 1200, "3 of 1,200 issued; the other 1,197 wait until you resume it"},
		{autocred.AutomationPaused, "", 2, 2, "2 of 2 issued"},
	} {
		s := automationSummary{AutomationView: service.AutomationView{Automation: autocred.Automation{Status: tt.status, StatusReason: tt.reason}},
			Batch: autocred.Progress{Done: tt.done, Total: tt.total}}
		if got := s.ProgressLabel(); got != tt.want {
			t.Errorf("%s (%q): %q, want %q", tt.status, tt.reason, got, tt.want)
		}
	}
}

// Edit, after the automation's group was deleted in Certifier, names the
// group that is gone above the list to choose another from.
func TestEditNamesTheLostGroup(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	f := u.fixture()
	req, err := http.NewRequest("DELETE", u.env.CertifierURL+"/groups/"+f.group, nil)
	must(t, err)
	req.Header.Set("Authorization", "Bearer "+testenv.CertifierToken)
	req.Header.Set("Certifier-Version", "2022-10-26")
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		t.Fatalf("deleting the group in the sandbox: %s", resp.Status)
	}
	body := html.UnescapeString(u.do("GET", "/automations/"+itoa(f.automation)+"/edit", nil).body)
	if !strings.Contains(body, "The group 'Course certificate' no longer exists: choose another.") {
		t.Errorf("Edit does not name the lost group:\n%s", body)
	}
}
